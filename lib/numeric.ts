/**
 * Small numeric helpers shared by the whole library (grids used by both papers' figures).
 *
 * @module
 */

import { requireInteger } from "./validate.ts";

/** `n` numbers evenly spaced from `a` to `b` inclusive (numpy `linspace`). */
export function linspace(a: number, b: number, n: number): number[] {
  requireInteger("n", n, 1);
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** `n` numbers evenly spaced in log10 from 10^a to 10^b (numpy `logspace`; the papers' learning-rate grids). */
export function logspace(a: number, b: number, n: number): number[] {
  return linspace(a, b, n).map((v) => 10 ** v);
}
