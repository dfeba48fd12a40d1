/** Number formatting and table rows for the benchmark's report. */
import { percentiles } from './load.ts';

export const int = (n: number) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(Math.abs(n) < 10 ? 3 : 1) : '-');
export const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
export const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
export const row = (cells: readonly string[], widths: readonly number[]) =>
  `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}\n`;
export const median = (values: readonly number[]) => percentiles(Float64Array.from(values)).p50;
