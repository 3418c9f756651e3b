/**
 * Does the ghost come before the abrupt drop? The rank-one RNN on the delayed-activation task
 * (docs/ghost-mechanism.md §2.1, Fig 3) learns by moving its latent state κ from κ0 past the
 * read-out threshold θ = 1 at about step T. This module measures, on the exact 1-D flow
 * F(κ) = −κ + Σᵢ nᵢ tanh(mᵢκ + bᵢ) (Eq. (2.1.1) of docs/ghost-mechanism.md §2.1):
 *
 * - the **bottleneck** of the path from κ0 to θ: the minimum of F on [κ0, θ]. If F ≤ 0 there, a
 *   fixed point blocks the path; if the minimum is an interior local minimum with F > 0 it is a
 *   **ghost**, with the local 1-D reduction F ≈ b + a(κ − κ_g)² and the passage time π/√(ab) of
 *   the canonical form (docs/ghost-mechanism.md §1.1), i.e. π/(α√(ab)) update steps of
 *   κ_{t+1} = κ_t + α F(κ_t);
 * - the **timing study**: over many seeds, the first epoch at which a ghost lies near the trial's
 *   trajectory vs the first epoch at which the loss falls below half its plateau.
 *
 * @module
 */

import { compile, Trainer, type TrainOptions, unpackParams } from "../rnn/mod.ts";
import {
  fig4Options,
  type LatentSlowPointOptions,
  latentSlowPoints,
  latentSystem,
} from "./fig4.ts";
import { requireFinite, requireInteger, requirePositive } from "../validate.ts";
import { findSlowPoints, type SlowPoint, slowPointSystem } from "../dynamics/mod.ts";

/** The rank-one flow parameters m, n, b (each of length N). */
export interface RankOneParams {
  m: ArrayLike<number>;
  n: ArrayLike<number>;
  b: ArrayLike<number>;
}

/** The bottleneck of the rank-one flow on the path from κ0 to the threshold θ. */
export interface PathBottleneck {
  /**
   * `"ghost"`: an interior local minimum of F with F > `fixedTol` (no fixed point on the path)
   * that the toolbox classifies as a ghost (one eigenvalue near zero; here F'(κ_g) = 0);
   * `"fixed-point"`: F ≤ `fixedTol` somewhere on the path (a fixed point blocks it);
   * `"monotone"`: F > `fixedTol` on the path and its minimum sits at an end (no bottleneck);
   * `"reverse"`: κ0 ≥ θ (the path is empty).
   */
  kind: "ghost" | "fixed-point" | "monotone" | "reverse";
  /** Where F is smallest on [κ0, θ] (refined by the slow-point finder for a ghost). */
  kappa: number;
  /** F at that point (for a ghost: the speed at the ghost). */
  speed: number;
  /** π/√(ab) of the local reduction, in units of τ (NaN unless a ghost). */
  passageTime: number;
  /** The toolbox's slow point (ghosts only). */
  point: SlowPoint | null;
}

/** Options of {@linkcode pathBottleneck}. */
export interface BottleneckOptions {
  /** Threshold θ of the read-out (default 1, docs/ghost-mechanism.md §2.1). */
  threshold?: number;
  /** Grid points on [κ0, θ] (default 400). */
  points?: number;
  /** F at or below this counts as a fixed point (default 1e-9). */
  fixedTol?: number;
}

/**
 * The minimum of the rank-one flow F on [κ0, θ] and its class (see {@linkcode PathBottleneck});
 * an interior minimum is refined and classified by the slow-point toolbox (`findSlowPoints` on
 * the 1-D κ flow, docs/ghost-mechanism.md §2.1), which also gives the passage time π/√(ab) of
 * the canonical-form reduction (docs/ghost-mechanism.md §1.1).
 */
export function pathBottleneck(
  p: RankOneParams,
  kappa0: number,
  opts: BottleneckOptions = {},
): PathBottleneck {
  const theta = opts.threshold ?? 1, pts = opts.points ?? 400, tol = opts.fixedTol ?? 1e-9;
  requireInteger("points", pts, 3);
  requirePositive("fixedTol", tol);
  requireFinite("kappa0", kappa0);
  const system = slowPointSystem({ kind: "rankOne", params: p });
  const none = { passageTime: NaN, point: null };
  if (kappa0 >= theta) return { kind: "reverse", kappa: kappa0, speed: NaN, ...none };
  let iMin = 0, fMin = Infinity;
  const h = (theta - kappa0) / (pts - 1), x = new Float64Array(1), F = new Float64Array(1);
  for (let i = 0; i < pts; i++) {
    x[0] = kappa0 + i * h;
    const f = system.flow(x, F)[0];
    if (f < fMin) [fMin, iMin] = [f, i];
  }
  const at = kappa0 + iMin * h;
  if (fMin <= tol) return { kind: "fixed-point", kappa: at, speed: fMin, ...none };
  if (iMin === 0 || iMin === pts - 1) return { kind: "monotone", kappa: at, speed: fMin, ...none };
  const found = findSlowPoints(system, Float64Array.of(at), {
    ghostEigTol: 1e-6,
    rerunOutliers: false,
  });
  const g = found.points.find((q) => q.kind === "ghost" && Math.abs(q.x[0] - at) <= h);
  if (!g) return { kind: "monotone", kappa: at, speed: fMin, ...none };
  return {
    kind: "ghost",
    kappa: g.x[0],
    speed: g.speed,
    passageTime: g.passageTime ?? NaN,
    point: g,
  };
}

/**
 * The abrupt-drop rule of the timing protocols: the plateau is the mean loss over the `smooth`
 * epochs before `plateauAt`; the drop is the first epoch e ≥ plateauAt whose running mean loss
 * over epochs (e − smooth, e] is below half the plateau.
 */
export class DropDetector {
  plateau = NaN;
  dropEpoch: number | null = null;
  readonly #win: number[] = [];
  constructor(readonly plateauAt: number, readonly smooth: number) {
    requireInteger("smooth", smooth, 1);
    requireInteger("plateauAt", plateauAt, smooth);
  }
  /** Feeds the loss of epoch e (epochs in order). */
  add(e: number, loss: number): void {
    this.#win.push(loss);
    if (this.#win.length > this.smooth) this.#win.shift();
    if (this.#win.length < this.smooth) return;
    const mean = this.#win.reduce((a, b) => a + b, 0) / this.smooth;
    if (e === this.plateauAt - 1) this.plateau = mean;
    if (e >= this.plateauAt && this.dropEpoch === null && mean < this.plateau / 2) {
      this.dropEpoch = e;
    }
  }
}

/** One recorded epoch of a ghost-timing run. */
export interface GhostTimingRecord {
  epoch: number;
  loss: number;
  /** The path bottleneck of the flow at this epoch's parameters. */
  bottleneck: PathBottleneck;
  /** Distance from the bottleneck to the nearest visited κ_t of the epoch's trial. */
  distance: number;
  /** First step t with κ_t > θ (null if never). */
  crossingStep: number | null;
}

/** Result of {@linkcode ghostTiming} for one seed. */
export interface GhostTiming {
  seed: number;
  /** The plateau level (see {@linkcode DropDetector}). */
  plateau: number;
  /** First analysed epoch ≥ plateauAt with a ghost within `near` of the trajectory (or null). */
  ghostEpoch: number | null;
  /** The drop epoch of {@linkcode DropDetector} (null if none). */
  dropEpoch: number | null;
  /** dropEpoch − ghostEpoch (null unless both exist). */
  lead: number | null;
  records: GhostTimingRecord[];
}

/** Options of {@linkcode ghostTiming}. */
export interface GhostTimingOptions extends BottleneckOptions {
  /** Analyse the flow every `every` epochs (default 50); the loss is checked every epoch. */
  every?: number;
  /** "Near the trajectory": distance ≤ `near` in κ (default 0.25). */
  near?: number;
  /** Stop `stopAfter` epochs after the drop (default 0: run all epochs). */
  stopAfter?: number;
  /** The plateau ends at this epoch (after the initial transient; default 500). */
  plateauAt?: number;
  /** Running-mean window of the loss in epochs (default 100), see {@linkcode DropDetector}. */
  smooth?: number;
}

/**
 * The ghost-timing protocol for one rank-one run (docs/ghost-mechanism.md §2.1, Fig 3; our
 * addition, defined in notebook 04):
 *
 * - **ghost appears near the trajectories**: the first analysed epoch whose path bottleneck on
 *   [κ0, θ] is a ghost (interior local minimum of F with F > fixedTol) lying within `near` of a
 *   state κ_t visited by that epoch's trial;
 * - **abrupt drop**: the first epoch whose running-mean loss is below half the plateau
 *   ({@linkcode DropDetector}; both epochs counted from `plateauAt` on, after the initial
 *   transient).
 *
 * `options` are the training options of a rank-one delayed-activation run.
 */
export function ghostTiming(options: TrainOptions, opts: GhostTimingOptions = {}): GhostTiming {
  if (options.model.kind !== "rankOne") {
    throw new RangeError(`ghostTiming needs model kind rankOne, got ${options.model.kind}`);
  }
  const near = opts.near ?? 0.25, theta = opts.threshold ?? 1;
  requirePositive("near", near);
  return timingRun(options, { ...opts, every: opts.every ?? 50 }, (params, N, kap) => {
    const p = { m: params.subarray(0, N), n: params.subarray(N, 2 * N), b: params.subarray(2 * N) };
    const bn = pathBottleneck(p, kap[0], opts);
    let distance = Infinity, crossingStep: number | null = null;
    for (let t = 0; t < kap.length; t++) {
      distance = Math.min(distance, Math.abs(kap[t] - bn.kappa));
      if (crossingStep === null && kap[t] > theta) crossingStep = t;
    }
    return {
      record: { bottleneck: bn, distance, crossingStep },
      ghostNear: bn.kind === "ghost" && distance <= near,
    };
  });
}

/**
 * The shared loop of the timing protocols: trains `options` epoch by epoch, feeds the losses to
 * a {@linkcode DropDetector} and, every `every` epochs, calls `analyse` with that epoch's
 * parameters (before its update), N and the epoch's state trajectory; the first analysed epoch
 * ≥ plateauAt whose analysis reports a ghost near the trajectories is the ghost epoch.
 */
function timingRun<R>(
  options: TrainOptions,
  opts: { every: number; stopAfter?: number; plateauAt?: number; smooth?: number },
  analyse: (params: Float64Array, N: number, trajectory: Float64Array) => {
    record: R;
    ghostNear: boolean;
  },
): {
  seed: number;
  plateau: number;
  ghostEpoch: number | null;
  dropEpoch: number | null;
  lead: number | null;
  records: ({ epoch: number; loss: number } & R)[];
} {
  requireInteger("every", opts.every, 1);
  const stopAfter = opts.stopAfter ?? 0, plateauAt = opts.plateauAt ?? 500;
  requireInteger("stopAfter", stopAfter, 0);
  const drop = new DropDetector(plateauAt, opts.smooth ?? 100);
  const tr = new Trainer({ ...options, record: { ...options.record, every: 1 } });
  const records: ({ epoch: number; loss: number } & R)[] = [];
  let ghostEpoch: number | null = null;
  while (!tr.done) {
    const e = tr.epoch;
    const snap = e % opts.every === 0 ? Float64Array.from(tr.params) : null;
    tr.step();
    if (tr.result.status === "diverged") break;
    const loss = tr.result.history.loss[tr.result.history.loss.length - 1];
    drop.add(e, loss);
    if (snap) {
      const a = analyse(snap, tr.c.model.N, tr.c.engine.trajectory().data);
      records.push({ epoch: e, loss, ...a.record });
      if (e >= plateauAt && ghostEpoch === null && a.ghostNear) ghostEpoch = e;
    }
    if (stopAfter > 0 && drop.dropEpoch !== null && e >= drop.dropEpoch + stopAfter) break;
  }
  const dropEpoch = drop.dropEpoch;
  return {
    seed: options.seed,
    plateau: drop.plateau,
    ghostEpoch,
    dropEpoch,
    lead: ghostEpoch !== null && dropEpoch !== null ? dropEpoch - ghostEpoch : null,
    records,
  };
}

/** Result of {@linkcode latentGhostTiming} for one low-rank run. */
export interface LatentGhostTiming {
  seed: number;
  plateau: number;
  ghostEpoch: number | null;
  dropEpoch: number | null;
  lead: number | null;
  /** Per analysed epoch: loss, number of ghosts near the trajectories, nearest distance. */
  records: { epoch: number; loss: number; ghostsNear: number; distance: number }[];
}

/**
 * The ghost-timing protocol for a rank-2 `lowRank` run (docs/ghost-mechanism.md §2.4, Fig 4):
 * every `every` epochs the slow points of the latent flow are found
 * ({@linkcode latentSlowPoints}); **a ghost appears near the trajectories** at the first analysed
 * epoch ≥ `plateauAt` with a ghost within `near` (latent units) of a latent state κ = P r_t
 * visited by that epoch's trials; the **abrupt drop** is that of {@linkcode DropDetector}.
 */
export function latentGhostTiming(
  options: TrainOptions,
  opts:
    & { every?: number; near?: number; stopAfter?: number; plateauAt?: number; smooth?: number }
    & LatentSlowPointOptions = {},
): LatentGhostTiming {
  if (options.model.kind !== "lowRank" || (options.model.K ?? 2) !== 2) {
    throw new RangeError(`latentGhostTiming needs a lowRank model with K = 2`);
  }
  const near = opts.near ?? 0.5;
  requirePositive("near", near);
  const { layout } = compile(options.model, options.task);
  return timingRun(options, { ...opts, every: opts.every ?? 250 }, (snap, _N, trajectory) => {
    const params = unpackParams(layout, snap);
    const system = latentSystem(params);
    const ghosts = latentSlowPoints(params, opts).filter((q) => q.kind === "ghost");
    const kap = system.toState(trajectory);
    let distance = Infinity, ghostsNear = 0;
    for (const g of ghosts) {
      let d = Infinity;
      for (let j = 0; j < kap.length; j += 2) {
        d = Math.min(d, Math.hypot(kap[j] - g.x[0], kap[j + 1] - g.x[1]));
      }
      distance = Math.min(distance, d);
      if (d <= near) ghostsNear++;
    }
    return { record: { ghostsNear, distance }, ghostNear: ghostsNear > 0 };
  });
}

/** Configuration of the multi-seed ghost-timing study (rank-2 DCDT, notebook 04). */
export interface TimingStudyConfig {
  seeds: number;
  epochs: number;
  trialsPerType: number;
  every: number;
  near: number;
}

/** The paper-scale study: 40 seeds, up to 100 000 epochs, 5 trials per type. */
export const PAPER_TIMING: TimingStudyConfig = {
  seeds: 40,
  epochs: 100_000,
  trialsPerType: 5,
  every: 500,
  near: 0.5,
};

/** One seed's outcome of the timing study (the per-epoch records are dropped). */
export type TimingSummary = Omit<LatentGhostTiming, "records">;

/**
 * Runs the ghost-timing study (rank-2 DCDT, SGD lr 1e-3, docs/ghost-mechanism.md §2.4) for seeds
 * 0 … config.seeds − 1 that are not in `done`, calling `onSeed` after each (e.g. to save a
 * result file); each run stops one epoch after its drop.
 */
export async function timingStudy(
  config: TimingStudyConfig,
  done: TimingSummary[] = [],
  onSeed: (all: TimingSummary[]) => unknown = () => {},
): Promise<TimingSummary[]> {
  requireInteger("seeds", config.seeds, 1);
  const all = [...done];
  for (let seed = 0; seed < config.seeds; seed++) {
    if (all.some((t) => t.seed === seed)) continue;
    const o = fig4Options("dcdt", {
      epochs: config.epochs,
      trialsPerType: config.trialsPerType,
      checkpoints: [],
      every: 1,
      seed,
    });
    const { records: _, ...summary } = latentGhostTiming(o, {
      every: config.every,
      near: config.near,
      stopAfter: 1,
    });
    all.push(summary);
    all.sort((a, b) => a.seed - b.seed);
    await onSeed(all);
  }
  return all;
}
