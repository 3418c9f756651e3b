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
  sampleStarts,
  type SlowPoint,
  slowPointSystem,
  type SlowPointSystemInfo,
  speedMapFigure,
} from "../dynamics/mod.ts";
import type { Figure } from "../plot/mod.ts";
import { latentBasis } from "../dynamics/mod.ts";
import { requireInteger, requirePositive } from "../validate.ts";
import { Rng } from "../random.ts";
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

/**
 * The read-out as a function of the latent coordinates (docs/ghost-mechanism.md §2.4, decision
 * regions): with r = Pᵀκ, Z(κ) = W_out·(r S_l) + b_out = w·κ + b0, w_k = Σ_{i,j} P_{ki} S_l,ij W_out,j.
 */
export function latentReadout(
  params: Record<string, ArrayLike<number>>,
): { w: [number, number]; b0: number } {
  const N = params.b.length;
  const { P } = latentBasis(params.S_l, params.S_r, N, 2);
  const w: [number, number] = [0, 0];
  for (let k = 0; k < 2; k++) {
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < 2; j++) s += params.S_l[i * 2 + j] * params.W_out[j];
      w[k] += P[k * N + i] * s;
    }
  }
  return { w, b0: params.b_out[0] };
}

/**
 * The rates of one trial from a saved state trajectory of shape [steps + 1, batch, N]
 * (row-major steps+1 × N).
 */
export function trialRates(
  state: { trajectory: ArrayLike<number>; shape: number[] },
  trial: number,
): Float64Array {
  const [S1, B, N] = state.shape;
  if (state.shape.length !== 3) {
    throw new RangeError(`trajectory shape must be [steps+1, batch, N], got [${state.shape}]`);
  }
  requireInteger("trial", trial, 0);
  if (trial >= B) throw new RangeError(`trial must be < batch = ${B}, got ${trial}`);
  const out = new Float64Array(S1 * N);
  for (let t = 0; t < S1; t++) {
    for (let i = 0; i < N; i++) out[t * N + i] = state.trajectory[(t * B + trial) * N + i];
  }
  return out;
}

/**
 * The Figure 5 runs (docs/ghost-mechanism.md §2.5): full rank, seed 3, SGD lr 1e-2, one trial per
 * type, σ_noise = 1e-2, σ_fr = 0.1; DCDT input/delay/response 10/50/50 ms, DMTS 10/150/50 ms.
 */
export function fig5Options(
  task: "dcdt" | "dmts",
  p: { epochs: number; saved: number[]; every: number; seed?: number },
): TrainOptions {
  return {
    model: { kind: "fullRank" },
    task: {
      name: task,
      inputMs: 10,
      delayMs: task === "dcdt" ? 50 : 150,
      responseMs: 50,
      noiseSigma: 0.01,
      rateSigma: 0.1,
    },
    seed: p.seed ?? 3,
    lr: 1e-2,
    epochs: p.epochs,
    record: { every: p.every, checkpoints: p.saved, states: p.saved },
  };
}

/**
 * Slow points of a full-rank network at zero input (docs/ghost-mechanism.md §2.7): `starts`
 * visited states sampled (seeded) as starts of the toolbox's finder (Newton / Gauss–Newton on
 * q = ½‖F‖², Eq. (2.7.2)), distances to the visited states attached.
 */
export function fullRankSlowPoints(
  params: Record<string, ArrayLike<number>>,
  visited: ArrayLike<number>,
  opts: { starts: number; seed: number; ghostEigTol?: number },
): SlowPoint[] {
  const system = slowPointSystem({ kind: "fullRank", params: { W: params.W, b: params.b } });
  const starts = sampleStarts(visited, system.dim, opts.starts, 0, new Rng(opts.seed));
  return findSlowPoints(system, starts, {
    visited,
    dedupTol: 1e-3,
    ghostEigTol: opts.ghostEigTol ?? 0.05,
  }).points;
}

/**
 * The Fig 4 flow map of a saved epoch (docs/ghost-mechanism.md §2.4): log-speed image with arrows
 * (`speedMapFigure` of the toolbox), the latent trajectory of the first trial of each type, the
 * slow points found by {@linkcode latentSlowPoints} and the read-out decision regions (levels
 * [−0.55, 0, 0.55] for the tanh read-out of DCDT, [−1, 0, 1] for DMTS).
 */
export function flowMapFigure(
  res: TrainResult,
  epoch: number,
  opts: { range?: number; n?: number; arrows?: number; title?: string } = {},
): Figure {
  const ck = res.checkpoints.find((c) => c.epoch === epoch);
  const st = res.states.find((s) => s.epoch === epoch);
  if (!ck || !st) {
    throw new RangeError(`epoch ${epoch} was not saved (record.checkpoints and record.states)`);
  }
  const system = latentSystem(ck.params);
  const types = res.options.task.name === "dmts" ? 4 : 2;
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const trajectories = Array.from({ length: types }, (_, k) => ({
    states: system.toState(trialRates(st, k)),
    name: `trial type ${k + 1}`,
    color: colors[k],
  }));
  const R = opts.range ?? 5;
  const points = latentSlowPoints(ck.params, { grid: { min: -R, max: R, n: 81 } });
  const dcdt = res.options.task.name === "dcdt";
  return speedMapFigure(system, {
    range: { x: [-R, R], y: [-R, R] },
    n: opts.n ?? 80,
    arrows: opts.arrows ?? 15,
    trajectories,
    points,
    readout: { ...latentReadout(ck.params), levels: dcdt ? [-0.55, 0, 0.55] : [-1, 0, 1] },
    title: opts.title ?? `epoch ${epoch}, loss ${st.loss.toFixed(4)}`,
  });
}
