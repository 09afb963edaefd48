/// <reference lib="dom" />
/**
 * One colour per server, stable: a server keeps the colour it got first (remembered in
 * localStorage), and a new server takes the first palette slot its service does not use yet,
 * so two replicas of one service never share a colour while the palette lasts.
 */

/** Distinct hues that read on light and dark backgrounds (Okabe–Ito based, colour-blind aware). */
export const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#d55e00',
  '#56b4e9',
  '#9467bd',
  '#8c6d31',
  '#17becf',
  '#7f7f7f',
];

const KEY = 'switchyard.serverColours';
let slots: Record<string, number> = {};
try {
  slots = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, number>;
} catch {
  slots = {};
}

function save(): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(slots));
  } catch {
    // Private mode or quota: colours stay stable for this page's life only.
  }
}

/** Assigns slots to the servers present now (sorted, so a fresh page gives the same result). */
export function assignColours(servers: string[]): void {
  const used = new Set<number>();
  const fresh: string[] = [];
  for (const url of [...servers].sort()) {
    const slot = slots[url];
    if (slot !== undefined && !used.has(slot)) used.add(slot);
    else fresh.push(url);
  }
  let changed = false;
  for (const url of fresh) {
    let slot = 0;
    while (used.has(slot) && slot < PALETTE.length) slot++;
    if (slot >= PALETTE.length) slot = hash(url) % PALETTE.length;
    used.add(slot);
    slots[url] = slot;
    changed = true;
  }
  if (changed) save();
}

function hash(text: string): number {
  let x = 2166136261;
  for (let i = 0; i < text.length; i++) x = Math.imul(x ^ text.charCodeAt(i), 16777619);
  return x >>> 0;
}

/** The colour of a server (assigning one if it was never seen). */
export function colourOf(url: string): string {
  if (slots[url] === undefined) assignColours([url]);
  return PALETTE[(slots[url] ?? 0) % PALETTE.length] as string;
}

/** A letter naming a server, tied to its colour slot so that letter and colour always agree. */
export function letterOf(url: string): string {
  if (slots[url] === undefined) assignColours([url]);
  return String.fromCharCode(65 + ((slots[url] ?? 0) % 26));
}

/** Colours of HTTP status classes. */
export const STATUS_COLOURS: Record<string, string> = {
  '1xx': '#7f7f7f',
  '2xx': '#009e73',
  '3xx': '#56b4e9',
  '4xx': '#e69f00',
  '5xx': '#d55e00',
};
