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
 * - the **timing study** (rank-2 networks on DCDT, docs/ghost-mechanism.md §2.8, Eqs. (2.8.1)–(2.8.3)):
 *   over many seeds, the first epoch at which a ghost of the latent flow lies near the trials'
 *   trajectories vs the first epoch at which the loss falls below half its plateau.
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
import { wilson } from "./common.ts";

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
 * The abrupt-drop rule of the timing study (docs/ghost-mechanism.md Eq. (2.8.1)): the plateau is
 * the mean loss over the `smooth`
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

/** One seed's outcome of the timing protocol ({@linkcode latentGhostTiming}). */
export interface TimingOutcome {
  seed: number;
  /** The plateau level (see {@linkcode DropDetector}). */
  plateau: number;
  /**
   * First epoch ≥ plateauAt with a ghost near the trajectories (or null): to the epoch in the
   * gap before the first analysis that saw one, and in the gap before the drop.
   */
  ghostEpoch: number | null;
  /** The drop epoch of {@linkcode DropDetector} (null if none). */
  dropEpoch: number | null;
  /** dropEpoch − ghostEpoch (null unless both exist). */
  lead: number | null;
  /** The last epoch trained and its loss (null if none). */
  lastEpoch: number | null;
  lastLoss: number | null;
  /** Epochs replayed and analysed to locate the ghost epoch between two analyses. */
  refined: number;
}

/** Options of the timing loop ({@linkcode latentGhostTiming}). */
export interface TimingLoopOptions {
  /** Analyse the flow every `every` epochs; the loss is checked every epoch. */
  every?: number;
  /** Stop `stopAfter` epochs after the drop (default 0: run all epochs). */
  stopAfter?: number;
  /** The plateau ends at this epoch (after the initial transient; default 500). */
  plateauAt?: number;
  /** Running-mean window of the loss in epochs (default 100), see {@linkcode DropDetector}. */
  smooth?: number;
  /**
   * Locate the ghost epoch to one epoch by replaying the epochs of the gap before the first
   * analysis that sees a ghost, and of the gap before the drop (default true; false: the ghost
   * epoch is an analysed epoch, resolution `every`).
   */
  refine?: boolean;
}

/**
 * The loop of the timing protocol (docs/ghost-mechanism.md §2.8, Eq. (2.8.2)): trains `options`
 * epoch by epoch, feeds the losses to
 * a {@linkcode DropDetector} and, every `every` epochs, calls `analyse` with that epoch's
 * parameters (before its update), N and the epoch's state trajectory.
 *
 * The ghost epoch is found at the resolution of one epoch where it matters: the parameters of
 * the epochs since the last analysed one are kept, and when an analysis first reports a ghost
 * near the trajectories — or the loss drops before any did — those epochs are replayed (one
 * forward pass each, with the epoch's own initial rates and noise, so the trajectory is the one
 * training saw) and analysed in order; the first with a ghost near is the ghost epoch. A ghost
 * that came and went between two analyses that both saw none, before the gap of the drop, is
 * not seen (that is what `every` trades for speed).
 */
function timingRun<R>(
  options: TrainOptions,
  opts: TimingLoopOptions & { every: number },
  analyse: (params: Float64Array, N: number, trajectory: Float64Array) => {
    record: R;
    ghostNear: boolean;
  },
): TimingRunResult<R> {
  requireInteger("every", opts.every, 1);
  const stopAfter = opts.stopAfter ?? 0, plateauAt = opts.plateauAt ?? 500;
  requireInteger("stopAfter", stopAfter, 0);
  const refine = opts.refine ?? true;
  const drop = new DropDetector(plateauAt, opts.smooth ?? 100);
  const tr = new Trainer({ ...options, record: { ...options.record, every: 1 } });
  const N = tr.c.model.N;
  const records: TimingRunResult<R>["records"] = [];
  let ghostEpoch: number | null = null, refined = 0;
  // epochs ≥ plateauAt since the last analysed one, while no ghost has been found
  const pending: { epoch: number; params: Float64Array; loss: number }[] = [];
  const replayer = compile(options.model, options.task);
  const scan = (): number | null => {
    for (const p of pending) {
      const replay = new Trainer({
        ...options,
        epochs: 1,
        init: { params: unpackParams(replayer.layout, p.params), epoch: p.epoch },
        record: { every: 0, weightNorm: false },
      }, replayer);
      replay.step();
      const a = analyse(p.params, N, replayer.engine.trajectory().data);
      refined++;
      records.push({ epoch: p.epoch, loss: p.loss, refined: true, ...a.record });
      if (a.ghostNear) return p.epoch;
    }
    return null;
  };
  while (!tr.done) {
    const e = tr.epoch;
    const analysed = e % opts.every === 0;
    const keep = analysed || (refine && ghostEpoch === null && e >= plateauAt);
    const snap = keep ? Float64Array.from(tr.params) : null;
    tr.step();
    if (tr.result.status === "diverged") break;
    const loss = tr.result.history.loss[tr.result.history.loss.length - 1];
    drop.add(e, loss);
    if (analysed) {
      const a = analyse(snap!, N, tr.c.engine.trajectory().data);
      records.push({ epoch: e, loss, refined: false, ...a.record });
      if (ghostEpoch === null && e >= plateauAt && (a.ghostNear || drop.dropEpoch === e)) {
        ghostEpoch = scan() ?? (a.ghostNear ? e : null);
      }
      pending.length = 0;
    } else if (snap) {
      pending.push({ epoch: e, params: snap, loss });
      if (ghostEpoch === null && drop.dropEpoch === e) {
        ghostEpoch = scan();
        pending.length = 0;
      }
    }
    if (stopAfter > 0 && drop.dropEpoch !== null && e >= drop.dropEpoch + stopAfter) break;
  }
  records.sort((a, b) => a.epoch - b.epoch);
  const dropEpoch = drop.dropEpoch;
  const history = tr.result.history;
  return {
    seed: options.seed,
    plateau: drop.plateau,
    ghostEpoch,
    dropEpoch,
    lead: ghostEpoch !== null && dropEpoch !== null ? dropEpoch - ghostEpoch : null,
    lastEpoch: history.epoch.at(-1) ?? null,
    lastLoss: history.loss.at(-1) ?? null,
    refined,
    records,
  };
}

/** What {@linkcode timingRun} returns: the seed's outcome and the analysed epochs. */
interface TimingRunResult<R> extends TimingOutcome {
  records: ({ epoch: number; loss: number; refined: boolean } & R)[];
}

/** Result of {@linkcode latentGhostTiming} for one low-rank run. */
export interface LatentGhostTiming extends TimingOutcome {
  /** Per analysed epoch: loss, number of ghosts near the trajectories, nearest distance. */
  records: {
    epoch: number;
    loss: number;
    refined: boolean;
    ghostsNear: number;
    distance: number;
  }[];
}

/**
 * The ghost-timing protocol for a rank-2 `lowRank` run (docs/ghost-mechanism.md §2.8, Fig 4):
 * every `every` epochs the slow points of the latent flow are found
 * ({@linkcode latentSlowPoints}); **a ghost appears near the trajectories** at the first epoch
 * ≥ `plateauAt` with a ghost within `near` (latent units) of a latent state κ = P r_t visited by
 * that epoch's trials (Eq. (2.8.2), located to the epoch with `refine`); the **abrupt drop** is
 * that of {@linkcode DropDetector} (Eq. (2.8.1)).
 */
export function latentGhostTiming(
  options: TrainOptions,
  opts: TimingLoopOptions & { near?: number } & LatentSlowPointOptions = {},
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
  /** Locate the ghost epoch to one epoch ({@linkcode TimingLoopOptions.refine}). */
  refine: boolean;
}

/** The paper-scale study: 40 seeds, up to 100 000 epochs, 5 trials per type. */
export const PAPER_TIMING: TimingStudyConfig = {
  seeds: 40,
  epochs: 100_000,
  trialsPerType: 5,
  every: 500,
  near: 0.5,
  refine: true,
};

/** One seed's outcome of the timing study (the per-epoch records are dropped). */
export type TimingSummary = Omit<LatentGhostTiming, "records">;

/**
 * Runs the ghost-timing study (rank-2 DCDT, SGD lr 1e-3, docs/ghost-mechanism.md §2.4, §2.8) for seeds
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
      refine: config.refine,
      stopAfter: 1,
    });
    all.push(summary);
    all.sort((a, b) => a.seed - b.seed);
    await onSeed(all);
  }
  return all;
}

/** What the timing study says, counted over its seeds ({@linkcode summariseTiming}). */
export interface TimingStudySummary {
  seeds: number;
  /** Seeds whose loss dropped (a {@linkcode DropDetector} drop). */
  dropped: number;
  /** Of those: a ghost near the trajectories before the drop (lead > 0), at it, after it. */
  ghostBefore: number;
  ghostAtDrop: number;
  ghostAfter: number;
  /** Dropped without a ghost near the trajectories by the end of the run. */
  noGhost: number;
  /** ghostBefore / dropped (NaN when no seed dropped): the claim's measured fraction. */
  fractionGhostFirst: number;
  /** Its 95 % Wilson score interval ({@linkcode wilson}; null when no seed dropped). */
  fractionInterval: { lo: number; hi: number } | null;
  /** Lead times (drop − ghost epoch) of the dropped seeds with a ghost, ascending. */
  leads: number[];
  /** Seeds that never dropped, and the range of their last losses. */
  neverDropped: number;
  neverDroppedLastLoss: [number, number] | null;
}

/**
 * Counts the outcomes of the ghost-timing study (docs/ghost-mechanism.md Eq. (2.8.3); the claim
 * under test: a ghost appears near the trajectories before the abrupt drop). The fraction is taken
 * over every seed that dropped — a drop without a ghost before it counts against the claim.
 */
export function summariseTiming(timings: TimingOutcome[]): TimingStudySummary {
  const dropped = timings.filter((t) => t.dropEpoch !== null);
  const leads = dropped.filter((t) => t.lead !== null).map((t) => t.lead!).sort((a, b) => a - b);
  const never = timings.filter((t) => t.dropEpoch === null);
  const last = never.map((t) => t.lastLoss).filter((l): l is number => l !== null);
  const ghostBefore = leads.filter((l) => l > 0).length;
  return {
    seeds: timings.length,
    dropped: dropped.length,
    ghostBefore,
    ghostAtDrop: leads.filter((l) => l === 0).length,
    ghostAfter: leads.filter((l) => l < 0).length,
    noGhost: dropped.length - leads.length,
    fractionGhostFirst: dropped.length ? ghostBefore / dropped.length : NaN,
    fractionInterval: dropped.length ? wilson(ghostBefore, dropped.length) : null,
    leads,
    neverDropped: never.length,
    neverDroppedLastLoss: last.length ? [Math.min(...last), Math.max(...last)] : null,
  };
}
