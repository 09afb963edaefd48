/**
 * MD5-crypt (Poul-Henning Kamp's FreeBSD scheme), the `$1$` hashes of `openssl passwd -1` and
 * old crypt(3), and Apache's `$apr1$` (`htpasswd -m`), the same algorithm with another magic
 * string. Traefik accepts both. The password's UTF-8 bytes are hashed, as htpasswd and openssl
 * do. 1,000 rounds of MD5: cheap next to bcrypt, still cached like every verified credential.
 */
import { createHash } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function md5(...parts: Buffer[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function to64(value: number, count: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < count; i++) {
    out += ITOA64[v & 63];
    v >>>= 6;
  }
  return out;
}

/** `<magic><salt>$<22 characters>` for `password`; the salt is cut at 8 characters or a `$`. */
export function md5Crypt(password: string, salt: string, magic = '$1$'): string {
  const pw = Buffer.from(password, 'utf8');
  const saltText = salt.split('$')[0]?.slice(0, 8) ?? '';
  const s = Buffer.from(saltText, 'utf8');
  const m = Buffer.from(magic, 'utf8');
  const alternate = md5(pw, s, pw);
  const parts: Buffer[] = [pw, m, s];
  for (let left = pw.length; left > 0; left -= 16) parts.push(alternate.subarray(0, Math.min(16, left)));
  for (let bits = pw.length; bits > 0; bits >>>= 1) parts.push(bits & 1 ? Buffer.of(0) : pw.subarray(0, 1));
  let final = md5(...parts);
  for (let round = 0; round < 1000; round++) {
    const roundParts: Buffer[] = [round & 1 ? pw : final];
    if (round % 3 !== 0) roundParts.push(s);
    if (round % 7 !== 0) roundParts.push(pw);
    roundParts.push(round & 1 ? final : pw);
    final = md5(...roundParts);
  }
  const f = (i: number) => final[i] as number;
  const text =
    to64((f(0) << 16) | (f(6) << 8) | f(12), 4) +
    to64((f(1) << 16) | (f(7) << 8) | f(13), 4) +
    to64((f(2) << 16) | (f(8) << 8) | f(14), 4) +
    to64((f(3) << 16) | (f(9) << 8) | f(15), 4) +
    to64((f(4) << 16) | (f(10) << 8) | f(5), 4) +
    to64(f(11), 2);
  return `${magic}${saltText}$${text}`;
}
