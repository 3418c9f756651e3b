/**
 * Flow of the rank-one RNN in its latent coordinate (docs/ghost-mechanism.md §2.1, Fig 3b/3d).
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
