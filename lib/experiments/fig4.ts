/**
 * Figure 4 protocol: rank-2 RNNs on DCDT (SGD) and DMTS (Adam) (docs/ghost-mechanism.md §2.4,
 * §3 Fig 4), and the slow points of their latent flow.
 *
 * The slow points follow the reference procedure of §2.4: the candidates are the grid cells where
 * the speed ‖F(κ)‖ of the latent flow F(κ) = −κ + P tanh(Mκ + b) (Eq. (2.4.1)) equals its 3×3
 * minimum filter; the slow-point toolbox (`findSlowPoints`, Newton on q = ½‖F‖² with the exact
 * Hessian, Eq. (2.4.3)) refines and classifies them (fixed point: stable / unstable / saddle;
 * **ghost**: a local speed minimum with ‖F‖ clearly above zero and one eigenvalue near zero).
 *
 * @module
 */

import {
  type DynamicalSystem,
  findSlowPoints,
  latentFlowGrid,
  type SlowPoint,
  slowPointSystem,
  type SlowPointSystemInfo,
} from "../dynamics/mod.ts";
import { latentBasis } from "../dynamics/mod.ts";
import { requireInteger, requirePositive } from "../validate.ts";
import type { TrainOptions, TrainResult } from "../rnn/mod.ts";

/** Options of {@linkcode latentSlowPoints}. */
export interface LatentSlowPointOptions {
  /** Square grid κ₁, κ₂ ∈ linspace(min, max, n) for the candidates (default ±5, 81 points). */
  grid?: { min: number; max: number; n: number };
  /** Keep speed minima that are neither fixed points nor ghosts (kind "slow"; default false). */
  keepSlow?: boolean;
  /** A ghost's slow eigenvalue has |λ| below this (default 0.05). */
  ghostEigTol?: number;
}

/** The rank-2 latent system of a `lowRank` parameter set (S_l, S_r, b), zero input (§2.4). */
export function latentSystem(
  params: Record<string, ArrayLike<number>>,
): DynamicalSystem & SlowPointSystemInfo {
  return slowPointSystem({
    kind: "lowRank",
    params: { S_l: params.S_l, S_r: params.S_r, b: params.b },
    K: 2,
  });
}

/**
 * Slow points of a rank-2 latent flow (docs/ghost-mechanism.md §2.4): 3×3 grid speed minima as
 * starts of the toolbox's `findSlowPoints`, deduplicated within one grid cell.
 */
export function latentSlowPoints(
  params: Record<string, ArrayLike<number>>,
  opts: LatentSlowPointOptions = {},
): SlowPoint[] {
  const grid = opts.grid ?? { min: -5, max: 5, n: 81 };
  requireInteger("grid.n", grid.n, 3);
  const ghostEigTol = opts.ghostEigTol ?? 0.05;
  requirePositive("ghostEigTol", ghostEigTol);
  const N = params.b.length;
  const basis = latentBasis(params.S_l, params.S_r, N, 2);
  const g = latentFlowGrid(basis, params.b, grid);
  const n = grid.n, h = (grid.max - grid.min) / (n - 1), L = g.logSpeed;
  const starts: number[] = [];
  for (let i2 = 1; i2 < n - 1; i2++) {
    for (let i1 = 1; i1 < n - 1; i1++) {
      const v = L[i2 * n + i1];
      let isMin = true;
      for (let d = 0; d < 9 && isMin; d++) {
        const d1 = (d % 3) - 1, d2 = Math.floor(d / 3) - 1;
        if ((d1 || d2) && L[(i2 + d2) * n + i1 + d1] < v) isMin = false;
      }
      if (isMin) starts.push(g.kappa[i1], g.kappa[i2]);
    }
  }
  if (starts.length === 0) return [];
  const found = findSlowPoints(latentSystem(params), Float64Array.from(starts), {
    dedupTol: h,
    ghostEigTol,
    rerunOutliers: false,
  });
  // keep what stayed inside the grid box (a start may run off along a slow valley)
  return found.points.filter((p) =>
    p.x.every((v) => v >= grid.min - h && v <= grid.max + h) && (opts.keepSlow || p.kind !== "slow")
  );
}

/**
 * The Figure 4 runs (docs/ghost-mechanism.md §2.4): DCDT with SGD lr 1e-3 (σ_fr = 0.3, no noise,
 * tanh read-out, input/delay/response 10/50/50 ms) and DMTS with Adam lr 1e-4 (σ_noise = 1e-2,
 * σ_fr = 0.3, sigmoid read-out, 30/80/50 ms); `trialsPerType` is 500 in the paper.
 */
export function fig4Options(
  task: "dcdt" | "dmts",
  p: { epochs: number; trialsPerType: number; checkpoints: number[]; every: number; seed?: number },
): TrainOptions {
  const dcdt = task === "dcdt", n = p.trialsPerType;
  return {
    model: { kind: "lowRank", K: 2, readout: dcdt ? "tanh" : "sigmoid" },
    task: dcdt
      ? { name: "dcdt", inputMs: 10, delayMs: 50, responseMs: 50, rateSigma: 0.3, trialsPerType: n }
      : {
        name: "dmts",
        inputMs: 30,
        delayMs: 80,
        responseMs: 50,
        rateSigma: 0.3,
        noiseSigma: 0.01,
        trialsPerType: n,
      },
    seed: p.seed ?? 0,
    lr: dcdt ? 1e-3 : 1e-4,
    optimizer: { name: dcdt ? "sgd" : "adam" },
    epochs: p.epochs,
    record: { every: p.every, checkpoints: p.checkpoints, states: p.checkpoints },
  };
}

/** Epoch of the abrupt drop: the first recorded epoch whose loss is below half the first loss. */
export function dropEpoch(res: TrainResult): number | null {
  const h = res.history, i = h.loss.findIndex((l) => l < h.loss[0] / 2);
  return i < 0 ? null : h.epoch[i];
}
