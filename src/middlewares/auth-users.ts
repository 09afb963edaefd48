/**
 * The users of basicAuth and digestAuth: `usersFile` (read when the middleware is built, so a
 * reload reads it again) then `users`, as Traefik merges them. The file's lines are trimmed;
 * blank lines and `#` comments are skipped. A file that cannot be read is an error naming it.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { boolValue } from '../config/value-schemas.js';
import { OptionError, stringList } from './options.js';

/** The options basicAuth and digestAuth share (Traefik's keys). */
export const authUsersOptions = {
  users: stringList.optional(),
  usersFile: z.string().trim().optional(),
  realm: z.string().optional(),
  headerField: z
    .string()
    .trim()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/, 'invalid header name')
    .optional(),
  removeHeader: boolValue.optional(),
};

/** One user line, the option it came from (`usersFile`, `users.1`) and, in a file, where. */
export interface UserLine {
  readonly text: string;
  readonly field: string;
  /** `line 3 of /etc/htpasswd: ` for a file's line, '' for an inline user (error prefixes). */
  readonly where: string;
}

/** The user lines of the options: the file's first, then the inline ones. */
export function userLines(options: { users?: string[] | undefined; usersFile?: string | undefined }): UserLine[] {
  const lines: UserLine[] = [];
  const file = options.usersFile ?? '';
  if (file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
      throw new OptionError('usersFile', `cannot read the users file ${JSON.stringify(file)}: ${reason ?? error}`);
    }
    for (const [index, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (line !== '' && !line.startsWith('#'))
        lines.push({ text: line, field: 'usersFile', where: `line ${index + 1} of ${file}: ` });
    }
  }
  for (const [index, user] of (options.users ?? []).entries())
    lines.push({ text: user, field: `users.${index}`, where: '' });
  return lines;
}

/** The realm, Traefik's default when unset or empty. */
export function realmOf(realm: string | undefined): string {
  return realm !== undefined && realm !== '' ? realm : 'traefik';
}

/** Whether a realm can be written inside a quoted string of WWW-Authenticate. */
export function checkRealm(realm: string): void {
  if (/["\\\x00-\x1f\x7f]/.test(realm)) {
    throw new OptionError('realm', 'quotes, backslashes and control characters are not allowed in a realm');
  }
}
