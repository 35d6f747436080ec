/** The command table: name -> usage, summary, flags, implementation. */
import type { FlagSpec, Parsed } from '../args.js';
import { ABLATIONS, ablateCommand } from './ablate.js';
import { classifyCommand } from './classify.js';
import { dataCommand } from './data.js';
import { evalCommand } from './eval.js';
import { infoCommand } from './info.js';
import { reportCommand } from './report.js';
import { RUN_FLAGS, runCommand } from './run.js';
import { PRETRAIN_FLAGS, pretrainCommand } from './pretrain.js';
import { DEMO_FLAGS, demoCommand } from './demo.js';
import { BENCH_FLAGS, benchCommand } from './bench.js';

export interface Command {
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  run(p: Parsed): Promise<void> | void;
}

export const ABLATE_HELP = `variants: ${ABLATIONS.map((a) => a.name).join('; ')}`;

export const COMMANDS: Record<string, Command> = {
  demo: { usage: '[options]', summary: 'MulKI on MTIL-Offline with the built-in model, end to end (minutes on a CPU)', flags: DEMO_FLAGS, run: demoCommand },
  run: { usage: '[options]', summary: 'continual learning: one method on a task stream (resumable)', flags: RUN_FLAGS, run: runCommand },
  eval: { usage: '[options]', summary: "a model's accuracy on every test set of a stream", flags: RUN_FLAGS, run: evalCommand },
  ablate: { usage: '[run options]', summary: "MulKI's ablation grid on one stream", flags: RUN_FLAGS, run: ablateCommand },
  report: { usage: 'RUN_DIR...', summary: 're-render reports; compare runs in one table', flags: {}, run: reportCommand },
  classify: {
    usage: 'MODEL IMAGE... --labels "a,b,c"', summary: 'zero-shot classification of images',
    flags: {
      labels: { type: 'string', help: 'comma-separated class names' },
      template: { type: 'string', help: 'prompt template with {c} (default "a photo of a {c}.")' },
      top: { type: 'string', help: 'classes to show (default 5)' },
      device: { type: 'string', help: 'cpu | cuda | ref' },
    },
    run: classifyCommand,
  },
  bench: { usage: 'mtil-offline [options]', summary: 'every method x seeds + MulKI ablations -> docs/results.md', flags: BENCH_FLAGS, run: benchCommand },
  pretrain: { usage: '[options]', summary: 'pre-train the small built-in CLIP on the offline corpus', flags: PRETRAIN_FLAGS, run: pretrainCommand },
  info: { usage: 'MODEL_DIR|ARCH', summary: "a model's architecture and parameter count", flags: {}, run: infoCommand },
  data: { usage: 'check --data DIR', summary: 'check the MTIL datasets in a folder', flags: { data: { type: 'string', help: 'data folder' } }, run: dataCommand },
};
