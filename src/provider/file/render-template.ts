/**
 * Traefik renders every file-provider file as a Go template before parsing it (with `false` as
 * dot, sprig's functions, `normalize`, and `split` replaced by Go's strings.Split, so
 * `split "a,b" ","` there). A file without `{{` is returned untouched and the engine is never
 * loaded: most setups pay nothing for it.
 */
import { normalizeName } from '../labels/normalize.js';

/** The text to parse: `text` itself, or its rendering when it holds template actions. */
export async function renderFileTemplate(text: string, file: string): Promise<{ text: string; rendered: boolean }> {
  if (!text.includes('{{')) return { text, rendered: false };
  const engine = await import('../../template/index.js');
  const functions = {
    normalize: engine.fixed(1, ([name]) => normalizeName(String(name ?? ''))),
    split: engine.fixed(2, ([s, sep]) => String(s ?? '').split(String(sep ?? ''))),
  };
  return { text: engine.renderTemplate(text, false, { name: file, functions }), rendered: true };
}
