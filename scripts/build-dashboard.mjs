#!/usr/bin/env node
// Builds the dashboard SPA: src/dashboard/app/main.ts → dist/dashboard/ (index.html, hashed JS and CSS).
// Everything is local (no CDN), so the dashboard works offline. `--watch` rebuilds on change.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/dashboard');
const out = join(root, 'dist/dashboard');
const watch = process.argv.includes('--watch');

function hashOf(content) {
  return createHash('sha256').update(content).digest('hex').slice(0, 10);
}

async function build() {
  const result = await esbuild.build({
    entryPoints: [join(src, 'app/main.ts')],
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: 'external',
    write: false,
    outfile: join(out, 'assets/app.js'),
    logLevel: 'warning',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  const css = await esbuild.transform(await readFile(join(src, 'styles.css'), 'utf8'), { loader: 'css', minify: true });
  const jsName = `app-${hashOf(js.contents)}.js`;
  const cssName = `styles-${hashOf(css.code)}.css`;
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'assets'), { recursive: true });
  const jsText = `${js.text.replace(/\/\/# sourceMappingURL=.*\n?$/, '')}//# sourceMappingURL=${jsName}.map\n`;
  await writeFile(join(out, 'assets', jsName), jsText);
  if (map) await writeFile(join(out, 'assets', `${jsName}.map`), map.contents);
  await writeFile(join(out, 'assets', cssName), css.code);
  const html = (await readFile(join(src, 'index.html'), 'utf8'))
    .replace('__CSS__', `/dashboard/assets/${cssName}`)
    .replace('__JS__', `/dashboard/assets/${jsName}`);
  await writeFile(join(out, 'index.html'), html);
  console.log(`dashboard: dist/dashboard/ (${jsName} ${(js.contents.length / 1024).toFixed(1)} KiB, ${cssName})`);
}

await build();
if (watch) {
  const { watch: fsWatch } = await import('node:fs');
  let timer;
  fsWatch(src, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => build().catch((error) => console.error(error.message)), 100);
  });
  console.log('dashboard: watching src/dashboard/');
}
