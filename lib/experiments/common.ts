/**
 * Helpers shared by the figure protocols of `lib/experiments/`: log-spaced recording epochs,
 * per-group mean ± SEM, the Wilson binomial interval,.
 *
 * @module
 */

import { requireInteger } from "../validate.ts";

/**
 * About `n` integer epochs spaced evenly in log from 1 to `last` (plus 0 and `last`), sorted and
 * unique: where the compact learning curves of a sweep summary are sampled.
 */
export function logEpochs(last: number, n: number): number[] {
  requireInteger("last", last, 0);
  requireInteger("n", n, 2);
  const out = new Set<number>([0, last]);
  for (let i = 0; i < n; i++) {
    out.add(Math.min(last, Math.round(Math.exp((Math.log(Math.max(last, 1)) * i) / (n - 1)))));
  }
  return [...out].sort((a, b) => a - b);
}

/** Mean and standard error of the mean (population std / √n, numpy's `std(0)/sqrt(n)`). */
export function meanSem(xs: number[]): { mean: number; sem: number; n: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, sem: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { mean, sem: Math.sqrt(v / n), n };
}

/**
 * Wilson score interval of a binomial proportion k/n at z (default 1.96, 95 %): the confidence
 * intervals of Fig 6B's learned fractions (docs/ghost-mechanism.md §3 Figure 6).
 */
export function wilson(k: number, n: number, z = 1.96): { p: number; lo: number; hi: number } {
  requireInteger("n", n, 1);
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(`k must be an integer in [0, n = ${n}], got ${k}`);
  }
  const p = k / n, z2 = z * z;
  const c = (p + z2 / (2 * n)) / (1 + z2 / n);
  const h = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { p, lo: Math.max(0, c - h), hi: Math.min(1, c + h) };
}

/** Every `step`-th entry of `xs` starting at `start` (numpy `xs[start::step]`). */
export function everyNth<T>(xs: T[], start: number, step: number): T[] {
  return xs.filter((_, i) => i >= start && (i - start) % step === 0);
}

/** Groups items by a key, keeping first-seen key order. */
export function groupBy<T>(xs: T[], key: (x: T) => string | number): Map<string | number, T[]> {
  const m = new Map<string | number, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}
