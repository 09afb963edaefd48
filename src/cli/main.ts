#!/usr/bin/env node
/**
 * The `switchyard` command. The first argument picks a subcommand; anything else (or none)
 * runs the proxy with the static configuration, as `traefik` does.
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
    const where = e.location ? ` (${e.location})` : '';
    process.stderr.write(`switchyard: ${e.message ?? String(error)}${where}${e.code ? ` [${e.code}]` : ''}\n`);
    process.exitCode = 1;
  },
);
