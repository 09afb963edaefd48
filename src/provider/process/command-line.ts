/**
 * Splits a compose `command` string into argv without a shell, the way `docker compose` does for
 * the string form: whitespace separates words, single quotes keep everything literal, double
 * quotes keep spaces and honour `\"` and `\\`, a backslash outside quotes escapes one character.
 * No globbing, no variables, no pipes: what you write is what runs.
 */
import { ConfigError } from '../../errors.js';

/** Splits `command` into argv; throws ConfigError on an unterminated quote or a trailing backslash. */
export function splitCommandLine(command: string, location?: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (command[i + 1] === '"' || command[i + 1] === '\\')) word += command[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= command.length) throw new ConfigError(`command ends with a lone backslash: ${command}`, location);
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new ConfigError(`command has an unterminated ${quote} quote: ${command}`, location);
  if (inWord) words.push(word);
  return words;
}
