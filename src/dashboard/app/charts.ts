/// <reference lib="dom" />
/** SVG charts: a multi-series time chart and a sparkline. Rebuilt on each tick; cheap at these sizes. */
import { s } from './dom.js';
import { clock } from './format.js';

/** A point in time with a value. */
export interface Point {
  t: number;
  v: number;
}

/** One line of a chart. */
export interface Series {
  key: string;
  label: string;
  colour: string;
  points: Point[];
}

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (max <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function path(points: Point[], x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  for (const p of points) d += `${d === '' ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
  return d;
}

/** A time chart of several series over `[now - windowMs, now]`, with a y axis and time labels. */
export function timeChart(
  series: Series[],
  opts: { now: number; windowMs: number; width?: number; height?: number; unit?: string; title: string },
): SVGElement {
  const width = opts.width ?? 640;
  const height = opts.height ?? 180;
  const left = 40;
  const right = 8;
  const top = 8;
  const bottom = 20;
  const from = opts.now - opts.windowMs;
  let max = 0;
  for (const line of series) for (const p of line.points) if (p.t >= from && p.v > max) max = p.v;
  const yMax = niceMax(max);
  const x = (t: number) => left + ((t - from) / opts.windowMs) * (width - left - right);
  const y = (v: number) => top + (1 - v / yMax) * (height - top - bottom);
  const grid: SVGElement[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    grid.push(s('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid' }));
    grid.push(s('text', { x: left - 4, y: y(v) + 3, class: 'axis', 'text-anchor': 'end' }, trim(v)));
  }
  const ticks = 4;
  for (let i = 0; i <= ticks; i++) {
    const t = from + (opts.windowMs * i) / ticks;
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle';
    grid.push(s('text', { x: x(t), y: height - 5, class: 'axis', 'text-anchor': anchor }, clock(t)));
  }
  const lines = series.map((line) =>
    s(
      'path',
      {
        d: path(
          line.points.filter((p) => p.t >= from),
          x,
          y,
        ),
        stroke: line.colour,
        class: 'series',
        'data-series': line.key,
      },
      s('title', null, line.label),
    ),
  );
  const summary = series
    .map((line) => `${line.label}: ${trim(line.points.at(-1)?.v ?? 0)}${opts.unit ?? ''}`)
    .join(', ');
  return s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      class: 'chart',
      role: 'img',
      'aria-label': `${opts.title}. Latest: ${summary || 'no data'}`,
      preserveAspectRatio: 'none',
    },
    grid,
    lines,
  );
}

function trim(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return v < 1 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : String(Math.round(v));
}

/** A small line without axes; several series share one scale. */
export function sparkline(series: Series[], opts: { label: string; width?: number; height?: number }): SVGElement {
  const width = opts.width ?? 160;
  const height = opts.height ?? 36;
  const all = series.flatMap((line) => line.points);
  const from = Math.min(...all.map((p) => p.t), Date.now());
  const to = Math.max(...all.map((p) => p.t), from + 1);
  const max = Math.max(1e-9, ...all.map((p) => p.v));
  const x = (t: number) => 1 + ((t - from) / (to - from)) * (width - 2);
  const y = (v: number) => 2 + (1 - v / max) * (height - 4);
  return s(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'spark', role: 'img', 'aria-label': opts.label },
    series.map((line) =>
      s('path', { d: path(line.points, x, y), stroke: line.colour, class: 'series' }, s('title', null, line.label)),
    ),
  );
}
