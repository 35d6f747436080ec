#!/usr/bin/env node
/** The `mulki` command: dispatches to one file per command. */
import { ABLATE_HELP, COMMANDS } from './commands/index.js';
import { UsageError, helpText, parseArgs } from './args.js';

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    printHelp();
    return;
  }
  if (name === '--version') {
    const { mulkiVersion } = await import('../cl/results.js');
    console.log(mulkiVersion());
    return;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown command '${name}'; run 'mulki help'`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`mulki ${name} ${cmd.usage}\n\n${cmd.summary}\n\n${helpText(cmd.flags)}${name === 'ablate' ? `\n\n${ABLATE_HELP}` : ''}`);
    return;
  }
  await cmd.run(parseArgs(rest, cmd.flags, name));
}

function printHelp(): void {
  console.log('mulki: continual learning of CLIP models (MulKI and baselines, the MTIL protocol)\n\ncommands:');
  for (const [n, c] of Object.entries(COMMANDS)) console.log(`  ${`${n} ${c.usage}`.padEnd(44)} ${c.summary}`);
  console.log("\n'mulki COMMAND --help' lists a command's options.");
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error;
  console.error(err instanceof UsageError ? err.message : `mulki: ${err.message}`);
  if (process.env.MULKI_DEBUG) console.error(err.stack);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
