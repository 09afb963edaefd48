/**
 * Content sniffing as Go's `http.DetectContentType` (the WHATWG MIME sniffing algorithm's
 * signatures Go knows), for the contentType middleware: at most the first 512 bytes decide,
 * and anything unrecognised is `text/plain; charset=utf-8` when it has no binary bytes,
 * `application/octet-stream` otherwise.
 */

const SNIFF_LENGTH = 512;

/** HTML tags Go recognises at the start (after whitespace), each followed by a space or `>`. */
const HTML_TAGS = [
  '<!DOCTYPE HTML',
  '<HTML',
  '<HEAD',
  '<SCRIPT',
  '<IFRAME',
  '<H1',
  '<DIV',
  '<FONT',
  '<TABLE',
  '<A',
  '<STYLE',
  '<TITLE',
  '<B',
  '<BODY',
  '<BR',
  '<P',
  '<!--',
].map((tag) => Buffer.from(tag, 'latin1'));

/** Exact signatures: bytes at offset 0 (a null in the pattern matches any byte where `masked`). */
const EXACT: Array<[prefix: Buffer, type: string]> = [
  [Buffer.from('%PDF-'), 'application/pdf'],
  [Buffer.from('%!PS-Adobe-'), 'application/postscript'],
  [Buffer.from([0xfe, 0xff]), 'text/plain; charset=utf-16be'],
  [Buffer.from([0xff, 0xfe]), 'text/plain; charset=utf-16le'],
  [Buffer.from([0xef, 0xbb, 0xbf]), 'text/plain; charset=utf-8'],
  [Buffer.from([0x00, 0x00, 0x01, 0x00]), 'image/x-icon'],
  [Buffer.from([0x00, 0x00, 0x02, 0x00]), 'image/x-icon'],
  [Buffer.from('BM'), 'image/bmp'],
  [Buffer.from('GIF87a'), 'image/gif'],
  [Buffer.from('GIF89a'), 'image/gif'],
  [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/png'],
  [Buffer.from([0xff, 0xd8, 0xff]), 'image/jpeg'],
  [Buffer.from('ID3'), 'audio/mpeg'],
  [Buffer.from('OggS\x00', 'latin1'), 'application/ogg'],
  [Buffer.from('MThd\x00\x00\x00\x06', 'latin1'), 'audio/midi'],
  [Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), 'video/webm'],
  [Buffer.from('wOFF'), 'font/woff'],
  [Buffer.from('wOF2'), 'font/woff2'],
  [Buffer.from([0x00, 0x01, 0x00, 0x00]), 'font/ttf'],
  [Buffer.from('OTTO'), 'font/otf'],
  [Buffer.from('ttcf'), 'font/collection'],
  [Buffer.from([0x1f, 0x8b, 0x08]), 'application/x-gzip'],
  [Buffer.from('PK\x03\x04', 'latin1'), 'application/zip'],
  [Buffer.from('Rar!\x1a\x07\x00', 'latin1'), 'application/x-rar-compressed'],
  [Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1'), 'application/x-rar-compressed'],
  [Buffer.from('\x00asm', 'latin1'), 'application/wasm'],
];

/** RIFF containers: `RIFF`, four size bytes, then the form type. */
const RIFF: Array<[form: string, type: string]> = [
  ['WEBPVP', 'image/webp'],
  ['AVI ', 'video/avi'],
  ['WAVE', 'audio/wave'],
];

function startsWith(data: Buffer, prefix: Buffer, at = 0): boolean {
  if (data.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[at + i] !== prefix[i]) return false;
  return true;
}

function isWhitespace(byte: number): boolean {
  return byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x20;
}

function htmlTagAt(data: Buffer, at: number, tag: Buffer): boolean {
  if (data.length - at < tag.length + 1) return false;
  for (let i = 0; i < tag.length; i++) {
    let byte = data[at + i] as number;
    const expected = tag[i] as number;
    if (expected >= 0x41 && expected <= 0x5a) byte &= 0xdf; // case-insensitive letters
    if (byte !== expected) return false;
  }
  const after = data[at + tag.length] as number;
  return after === 0x20 || after === 0x3e;
}

function isMp4(data: Buffer): boolean {
  if (data.length < 12) return false;
  const boxSize = data.readUInt32BE(0);
  if (data.length < boxSize || boxSize % 4 !== 0 || boxSize < 12) return false;
  if (data.toString('latin1', 4, 8) !== 'ftyp') return false;
  for (let at = 8; at + 3 <= boxSize; at += 4) {
    if (at === 12) continue; // the minor version
    if (data.toString('latin1', at, at + 3) === 'mp4') return true;
  }
  return false;
}

/** The content type Go would detect for a body starting with `chunk`. */
export function detectContentType(chunk: Buffer): string {
  const data = chunk.length > SNIFF_LENGTH ? chunk.subarray(0, SNIFF_LENGTH) : chunk;
  let start = 0;
  while (start < data.length && isWhitespace(data[start] as number)) start++;
  for (const tag of HTML_TAGS) if (htmlTagAt(data, start, tag)) return 'text/html; charset=utf-8';
  if (startsWith(data, Buffer.from('<?xml'), start)) return 'text/xml; charset=utf-8';
  for (const [prefix, type] of EXACT) if (startsWith(data, prefix)) return type;
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF') {
    for (const [form, type] of RIFF) if (data.toString('latin1', 8, 8 + form.length) === form) return type;
  }
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'FORM' && data.toString('latin1', 8, 12) === 'AIFF') {
    return 'audio/aiff';
  }
  if (isMp4(data)) return 'video/mp4';
  for (let i = 0; i < data.length; i++) {
    const byte = data[i] as number;
    if (byte <= 0x08 || byte === 0x0b || (byte >= 0x0e && byte <= 0x1a) || (byte >= 0x1c && byte <= 0x1f)) {
      return 'application/octet-stream';
    }
  }
  return 'text/plain; charset=utf-8';
}
