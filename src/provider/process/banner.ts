/**
 * The start-up banner of `switchyard up`: where to click, and what runs where. Plain lines with
 * stable labels (`Web`, `Dashboard`, `Stack API`), so scripts and tests can read the URLs.
 */
import { relative } from 'node:path';
import pc from 'picocolors';
import type { StackView } from './stack-view.js';

/** The URLs the banner shows. */
export interface BannerUrls {
  web: string | undefined;
  dashboard: string | undefined;
  stackApi: string | undefined;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + 3)))
      .join('')
      .trimEnd(),
  );
}

/** The banner text (ends with a newline). */
export function formatBanner(view: StackView, urls: BannerUrls, readySeconds: number, allReady: boolean): string {
  const lines: string[] = [''];
  const title = allReady
    ? `${pc.green('✔')} ${pc.bold('Switchyard is up')}`
    : `${pc.yellow('!')} ${pc.bold('Switchyard is up, but some replicas are not ready yet')}`;
  const file = relative(process.cwd(), view.composeFile);
  const shown = file === '' || file.startsWith('..') ? view.composeFile : file;
  lines.push(` ${title} — project ${pc.cyan(view.project)} from ${shown} (${readySeconds.toFixed(1)} s)`);
  lines.push('');
  const links: string[][] = [];
  if (urls.web) links.push(['Web', urls.web]);
  if (urls.dashboard) links.push(['Dashboard', urls.dashboard]);
  if (urls.stackApi) links.push(['Stack API', urls.stackApi]);
  for (const line of table(links)) lines.push(`   ${line.replace(/(https?:\/\/\S+)/, (url) => pc.cyan(url))}`);
  lines.push('');
  const rows = [['SERVICE', 'REPLICAS', 'PORTS', 'ROUTES']];
  for (const service of view.services) {
    const ports = service.replicas.map((r) => r.port).filter((p): p is number => p !== null);
    const routes = service.routes.map((r) => `${r.router}: ${r.rule}`).join(', ');
    rows.push([service.name, `${service.running}/${service.scale}`, ports.join(', ') || '-', routes || '-']);
  }
  const [header, ...body] = table(rows);
  lines.push(`   ${pc.dim(header ?? '')}`);
  for (const row of body) lines.push(`   ${row}`);
  for (const skipped of view.skipped) lines.push(`   ${pc.dim(`${skipped.name}: not run (${skipped.reason})`)}`);
  lines.push('');
  const scalable = view.services.find((s) => s.scale > 1) ?? view.services[0];
  if (urls.stackApi && scalable) {
    const body = JSON.stringify({ replicas: scalable.scale + 1 });
    // The API takes changes as JSON only (src/api/request-guard.ts), so the example says so.
    lines.push(
      `   ${pc.dim('Scale:')} curl -X POST -H 'Content-Type: application/json' ${urls.stackApi}/services/${scalable.name}/scale -d '${body}'`,
    );
  }
  lines.push(`   ${pc.dim('Stop:')}  Ctrl-C (drains traffic, then stops every replica)`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}
