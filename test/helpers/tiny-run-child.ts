/**
 * Child process for the crash test: runs a tiny stream and kills itself with SIGKILL right after a given
 * optimiser step (no cleanup, no flush: like a power cut or the OOM killer).
 * Usage: node tiny-run-child.js OUT METHOD KILL_TASK KILL_STEP
 */
import { runContinual } from '../../src/cl/trainer.js';
import { Progress } from '../../src/cl/progress.js';
import { tinyInputs } from './tiny-run.js';

const [out, method, killTask, killStep] = process.argv.slice(2);
const quiet = new Progress(false, { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream);
await runContinual({
  ...tinyInputs(out!, method!, { checkpointEvery: 20, methodOptions: { avgEvery: 10 } }, 60),
  progress: quiet,
  onStep: (ti, step) => {
    if (ti === Number(killTask) && step === Number(killStep)) process.kill(process.pid, 'SIGKILL');
  },
});
