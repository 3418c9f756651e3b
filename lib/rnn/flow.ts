/**
 * Flow of the rank-one RNN in its latent coordinate (ghost spec §2.1, Fig 3b/3d).
 *
 * @module
 */

/** A grid of κ values: `n` points from `min` to `max` inclusive (like `linspace`). */
export interface Grid1D {
  min: number;
  max: number;
  n: number;
}

/** The paper's grid: κ = linspace(−15, 15, 1000) (§2.1). */
export const PAPER_KAPPA_GRID: Grid1D = { min: -15, max: 15, n: 1000 };

/** `linspace(min, max, n)` as a plain array. */
export function linspace(min: number, max: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  if (n === 1) return [min];
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = min + (max - min) * (k / (n - 1));
  return out;
}

/** `logspace(a, b, n)` = 10^linspace(a, b, n) (numpy's; the papers' learning-rate grids). */
export function logspace(a: number, b: number, n: number): number[] {
  return linspace(a, b, n).map((v) => 10 ** v);
}

/**
 * The rank-one latent flow dκ/dt = F(κ) = −κ + Σᵢ nᵢ tanh(mᵢκ + bᵢ) (§2.1) on the given κ values.
 */
export function rankOneFlow(
  m: ArrayLike<number>,
  n: ArrayLike<number>,
  b: ArrayLike<number>,
  kappa: ArrayLike<number>,
): number[] {
  const N = m.length;
  if (n.length !== N || b.length !== N) {
    throw new RangeError(`m, n, b must have the same length, got ${N}, ${n.length}, ${b.length}`);
  }
  const out = new Array<number>(kappa.length);
  for (let k = 0; k < kappa.length; k++) {
    const x = kappa[k];
    let s = -x;
    for (let i = 0; i < N; i++) s += n[i] * Math.tanh(m[i] * x + b[i]);
    out[k] = s;
  }
  return out;
}

/** Number of sign changes of F along the grid (= number of fixed points crossed; §2.1 v2 test). */
export function countSignChanges(F: ArrayLike<number>): number {
  let c = 0;
  for (let k = 1; k < F.length; k++) if ((F[k - 1] > 0) !== (F[k] > 0)) c++;
  return c;
}
