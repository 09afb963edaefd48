#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `switchyard` command. The first argument picks a subcommand; anything else (or none)
 * runs the proxy with the static configuration, as `traefik` does.
 *
 * The shebang caps V8's young generation at 4 MiB per semi-space (Node's default grows to
 * 16): a proxy's garbage is per-request and dies young, so the smaller nursery costs no
 * measurable CPU and keeps ~15 MiB off the resident size under load (bench/NOTES.md). The
 * same flag is on `npm start` and the Docker image's entrypoint; the benchmark reads it from
 * this line.
 */
import { checkCommand } from './check.js';
import { explainCommand } from './explain.js';
import { helpCommand, versionCommand } from './info.js';
import { runCommand } from './run.js';
import { upCommand } from './up.js';

/** A subcommand: receives the arguments after its name, resolves to an exit code (or never, for servers). */
export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  up: upCommand,
  check: checkCommand,
  explain: explainCommand,
  version: versionCommand,
  help: helpCommand,
};

const argv = process.argv.slice(2);
const first = argv[0];
let command: Command = runCommand;
let args = argv;
if (first !== undefined && Object.hasOwn(COMMANDS, first)) {
  command = COMMANDS[first] as Command;
  args = argv.slice(1);
} else if (first === '--help' || first === '-h') {
  command = helpCommand;
} else if (first === '--version') {
  command = versionCommand;
}

command(args).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    const e = error as { code?: string; location?: string; message?: string };
    // A parse error's message already starts with its position: say it once.
    const where = e.location && !e.message?.startsWith(`${e.location}:`) ? ` (${e.location})` : '';
    process.stderr.write(`switchyard: ${e.message ?? String(error)}${where}${e.code ? ` [${e.code}]` : ''}\n`);
    process.exitCode = 1;
  },
);
