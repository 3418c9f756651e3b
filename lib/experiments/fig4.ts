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
 * The four training runs of Figures 4 and 5 (rank-2 DCDT and DMTS, full-rank DCDT and DMTS) are
 * the sweep `fig4-fig5` ({@linkcode sweep}, `deno task sweep fig4-fig5 --scale paper`): each run
 * records a subsampled history and the parameters (with the optimiser state) at its snapshot
 * epochs, saves its state every minute so that an interrupted run continues where it stopped, and
 * the notebook rebuilds the figures' trajectories by replaying single epochs from the snapshots
 * ({@linkcode fig45Result}).
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
import {
  compile,
  type History,
  initParams,
  type OptimizerState,
  Trainer,
  type TrainOptions,
  type TrainResult,
  unpackParams,
} from "../rnn/mod.ts";
import { byScale, type Scale } from "../config.ts";
import type { RunContext, SweepDefinition } from "../sweep/mod.ts";
import { logEpochs } from "./common.ts";

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
  res: Pick<TrainResult, "checkpoints" | "states" | "options">,
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

// ---- the Fig 4 / Fig 5 training runs as a sweep ----

/** The four training runs of Figures 4 and 5 (docs/ghost-mechanism.md §2.4, §2.5). */
export const FIG45_RUNS = ["fig4-dcdt", "fig4-dmts", "fig5-dcdt", "fig5-dmts"] as const;

/** One of {@linkcode FIG45_RUNS}. */
export type Fig45Run = typeof FIG45_RUNS[number];

/** One point of the `fig4-fig5` sweep: which run, and its seed (Fig 4: 0, Fig 5: 3). */
export interface Fig45Point extends Record<string, unknown> {
  run: Fig45Run;
  seed: number;
}

/** What one run of the `fig4-fig5` sweep trains and records (one entry of its config). */
export interface Fig45RunConfig {
  /** The training options except seed (in the point) and record (set by the run). */
  train: Omit<TrainOptions, "seed" | "record">;
  /** The figure's checkpoint epochs (a flow map / PCA frame each). */
  checkpoints: number[];
  /** Extra snapshot epochs for a slider over training: `frames` evenly spaced epochs (0 = none). */
  frames: number;
  /** History rows: every `every`-th epoch, … */
  every: number;
  /** … `logPoints` log-spaced epochs (for log-x plots), … */
  logPoints: number;
  /** … and every epoch of [s, s + window) after each snapshot s, plus the last epoch. */
  window: number;
}

/** The parameters (and optimiser state) used in the forward pass of one saved epoch. */
export interface Fig45Snapshot {
  epoch: number;
  params: Record<string, number[]>;
  optimizer: OptimizerState;
}

/** What one run records: a subsampled history and the snapshots (see {@linkcode Fig45RunConfig}). */
export interface Fig45Summary {
  status: "ok" | "diverged";
  divergedAt: number | null;
  /** Epochs completed: `train.epochs` once finished (fewer in an in-progress record). */
  epochsDone: number;
  history: { epoch: number[]; loss: number[]; accuracy: number[]; recGradNorm: number[] };
  snapshots: Fig45Snapshot[];
}

/** `frames` evenly spaced epochs k·epochs/(frames − 1), the last one capped at epochs − 1 (the slider frames). */
export function frameEpochs(epochs: number, frames: number): number[] {
  requireInteger("frames", frames, 0);
  if (frames === 0) return [];
  if (frames === 1) return [0];
  return Array.from(
    { length: frames },
    (_, k) => Math.min(epochs - 1, Math.round((k * epochs) / (frames - 1))),
  );
}

/**
 * One entry of the `fig4-fig5` config: the training options of the run (Fig 4 via
 * {@linkcode fig4Options}, Fig 5 via {@linkcode fig5Options}; Fig 5 has one trial per type) and
 * what it records.
 */
export function fig45RunConfig(
  run: Fig45Run,
  p: {
    epochs: number;
    trialsPerType: number;
    checkpoints: number[];
    frames?: number;
    every: number;
    logPoints?: number;
    window?: number;
  },
): Fig45RunConfig {
  const task = run.endsWith("dcdt") ? "dcdt" : "dmts";
  const o = run.startsWith("fig4")
    ? fig4Options(task, { ...p, checkpoints: [], every: 1 })
    : fig5Options(task, { epochs: p.epochs, saved: [], every: 1 });
  if (run.startsWith("fig5") && p.trialsPerType !== 1) {
    o.task = { ...o.task, trialsPerType: p.trialsPerType } as TrainOptions["task"];
  }
  const { seed: _s, record: _r, ...train } = o;
  return {
    train,
    checkpoints: p.checkpoints,
    frames: p.frames ?? 0,
    every: p.every,
    logPoints: p.logPoints ?? 100,
    window: p.window ?? 20,
  };
}

/** Fig 5's DCDT run is short enough to be the same at both scales. */
const FIG5_DCDT = {
  epochs: 3001,
  trialsPerType: 1,
  checkpoints: [10, 200, 1000, 3000],
  every: 5,
  logPoints: 200,
};

function fig45Config(scale: Scale): Record<Fig45Run, Fig45RunConfig> {
  return byScale({
    quick: {
      "fig4-dcdt": fig45RunConfig("fig4-dcdt", {
        epochs: 25_000,
        trialsPerType: 5,
        checkpoints: [0, 4000, 8000, 20000, 24999],
        frames: 13,
        every: 10,
      }),
      "fig4-dmts": fig45RunConfig("fig4-dmts", {
        epochs: 20_000,
        trialsPerType: 1,
        checkpoints: [0, 400, 1600, 3000, 19990],
        every: 10,
        window: 5,
      }),
      "fig5-dcdt": fig45RunConfig("fig5-dcdt", FIG5_DCDT),
      "fig5-dmts": fig45RunConfig("fig5-dmts", {
        epochs: 10_001,
        trialsPerType: 1,
        checkpoints: [100, 1000, 5000, 10000],
        every: 10,
        logPoints: 200,
      }),
    },
    paper: {
      "fig4-dcdt": fig45RunConfig("fig4-dcdt", {
        epochs: 100_000,
        trialsPerType: 500,
        checkpoints: [0, 4000, 8000, 20000, 99000],
        frames: 21,
        every: 50,
      }),
      "fig4-dmts": fig45RunConfig("fig4-dmts", {
        epochs: 20_000,
        trialsPerType: 500,
        checkpoints: [0, 400, 1600, 3000, 19990],
        every: 10,
        window: 5,
      }),
      "fig5-dcdt": fig45RunConfig("fig5-dcdt", FIG5_DCDT),
      "fig5-dmts": fig45RunConfig("fig5-dmts", {
        epochs: 100_001,
        trialsPerType: 1,
        checkpoints: [100, 1000, 50000, 100000],
        every: 100,
        logPoints: 300,
      }),
    },
  }, scale);
}

/** The run's training options (seed from the point) without records. */
export function fig45Options(point: Fig45Point, rc: Fig45RunConfig): TrainOptions {
  return { ...structuredClone(rc.train), seed: point.seed } as TrainOptions;
}

/** Snapshot epochs (checkpoints and slider frames) and history epochs of a run, sorted. */
export function fig45Plan(rc: Fig45RunConfig): { snapshots: number[]; recorded: number[] } {
  const E = rc.train.epochs;
  requireInteger("train.epochs", E, 1);
  requireInteger("every", rc.every, 1);
  requireInteger("window", rc.window, 1);
  const snapshots = [...new Set([...rc.checkpoints, ...frameEpochs(E, rc.frames)])]
    .filter((e) => e < E).sort((a, b) => a - b);
  const rec = new Set<number>([E - 1, ...logEpochs(E - 1, Math.max(2, rc.logPoints))]);
  for (let e = 0; e < E; e += rc.every) rec.add(e);
  for (const s of snapshots) for (let e = s; e < Math.min(E, s + rc.window); e++) rec.add(e);
  return { snapshots, recorded: [...rec].sort((a, b) => a - b) };
}

/** The resumable state of a `fig4-fig5` run (saved through its {@linkcode RunContext}). */
interface Fig45State {
  epoch: number;
  params: Record<string, number[]>;
  optimizer: OptimizerState;
  summary: Fig45Summary;
}

/**
 * A state to resume from when only the run's in-progress record is there (the saved state stayed
 * on another machine): its last snapshot, with the history and snapshots before it.
 */
function fromProgress(s: Fig45Summary | undefined): Fig45State | null {
  const last = s?.snapshots[s.snapshots.length - 1];
  if (!s || !last || s.status !== "ok") return null;
  const keep = s.history.epoch.findIndex((e) => e >= last.epoch);
  const n = keep < 0 ? s.history.epoch.length : keep;
  const h = s.history;
  return {
    epoch: last.epoch,
    params: last.params,
    optimizer: last.optimizer,
    summary: {
      status: "ok",
      divergedAt: null,
      epochsDone: last.epoch,
      history: {
        epoch: h.epoch.slice(0, n),
        loss: h.loss.slice(0, n),
        accuracy: h.accuracy.slice(0, n),
        recGradNorm: h.recGradNorm.slice(0, n),
      },
      snapshots: s.snapshots.slice(0, -1),
    },
  };
}

/**
 * Trains one run of the `fig4-fig5` sweep (docs/ghost-mechanism.md §2.4, §2.5): the history rows
 * of {@linkcode fig45Plan} (loss, accuracy, recurrent gradient norm of the epoch's forward pass)
 * and a {@linkcode Fig45Snapshot} at every snapshot epoch. With a `context` it continues from the
 * state saved last (or, if there is none, from the last snapshot of its in-progress record) and
 * saves a new one (with the summary so far) whenever the save interval has passed; the summary is
 * the same as that of an uninterrupted run.
 */
export async function runFig45(
  point: Fig45Point,
  config: Record<string, unknown>,
  context?: RunContext,
): Promise<Fig45Summary> {
  const rc = config[point.run] as Fig45RunConfig | undefined;
  if (!rc) throw new RangeError(`fig4-fig5: no config for run "${point.run}"`);
  const E = rc.train.epochs, plan = fig45Plan(rc);
  const saved = ((await context?.load()) as Fig45State | null | undefined) ??
    fromProgress((await context?.progress())?.summary as Fig45Summary | undefined);
  const summary: Fig45Summary = saved?.summary ?? {
    status: "ok",
    divergedAt: null,
    epochsDone: 0,
    history: { epoch: [], loss: [], accuracy: [], recGradNorm: [] },
    snapshots: [],
  };
  const e0 = saved?.epoch ?? 0;
  if (summary.status !== "ok" || e0 >= E) return summary;
  const tr = new Trainer({
    ...fig45Options(point, rc),
    epochs: E - e0,
    init: saved ? { params: saved.params, optimizer: saved.optimizer, epoch: e0 } : undefined,
    record: { every: 0, at: plan.recorded.filter((e) => e >= e0), weightNorm: false },
  });
  const snap = new Set(plan.snapshots), h = tr.result.history, out = summary.history;
  let copied = 0, yielded = performance.now();
  const sync = () => {
    for (; copied < h.epoch.length; copied++) {
      out.epoch.push(h.epoch[copied]);
      out.loss.push(h.loss[copied]);
      out.accuracy.push(h.accuracy[copied]);
      out.recGradNorm.push(h.recGradNorm[copied]);
    }
    summary.epochsDone = tr.epoch;
    summary.status = tr.result.status;
    summary.divergedAt = tr.result.divergedAt;
  };
  while (!tr.done) {
    if (snap.has(tr.epoch)) {
      summary.snapshots.push({
        epoch: tr.epoch,
        params: unpackParams(tr.c.layout, tr.params),
        optimizer: tr.opt.state(),
      });
    }
    tr.step();
    if (performance.now() - yielded > 1000) {
      // let the event loop run once a second (signal handlers: Ctrl-C stops within a second)
      await new Promise((r) => setTimeout(r, 0));
      yielded = performance.now();
    }
    if (context?.due() && !tr.done) {
      sync();
      await context.save(
        {
          epoch: tr.epoch,
          params: unpackParams(tr.c.layout, tr.params),
          optimizer: tr.opt.state(),
          summary,
        } satisfies Fig45State,
        { done: tr.epoch, total: E, unit: "epochs", summary },
      );
    }
  }
  sync(); // a diverged run stops at its diverged epoch: epochsDone = divergedAt
  return summary;
}

/**
 * The `fig4-fig5` sweep (docs/ghost-mechanism.md §3 Figures 4 and 5): the four training runs of
 * notebook 04. Paper scale: Fig 4 with the paper's 500 trials per type (DCDT 100 000 epochs, SGD
 * lr 1e-3; DMTS 20 000 epochs, Adam lr 1e-4), Fig 5 with 3001 (DCDT) and 100 001 (DMTS) epochs.
 * The cheap Fig 5 runs come first, so a time-limited run finishes them.
 */
export const sweep: SweepDefinition<Fig45Point, Fig45Summary> = {
  name: "fig4-fig5",
  description: "Figs 4, 5: rank-2 DCDT/DMTS and full-rank DCDT/DMTS training runs with snapshots",
  points: (_scale) => [
    { run: "fig5-dcdt", seed: 3 },
    { run: "fig5-dmts", seed: 3 },
    { run: "fig4-dcdt", seed: 0 },
    { run: "fig4-dmts", seed: 0 },
  ],
  config: (scale) => fig45Config(scale),
  run: runFig45,
};

/** One trial per type of a replayed epoch: outputs and targets [steps × types], rates [steps + 1, types, N]. */
export interface ReplayedState {
  epoch: number;
  loss: number;
  outputs: number[];
  targets: number[];
  trajectory: number[];
  shape: number[];
}

/**
 * Replays the epoch of each snapshot (one forward pass and BPTT from its parameters, with that
 * epoch's initial rates and noise) and keeps the first trial of every type: the trajectories and
 * outputs of the figures, without storing them (docs/ghost-mechanism.md §2.4–§2.6).
 */
export function replayStates(options: TrainOptions, snapshots: Fig45Snapshot[]): ReplayedState[] {
  const c = compile(options.model, options.task);
  const { batch: B, types, steps: S, targets } = c.task, N = c.model.N;
  return snapshots.map((s) => {
    const tr = new Trainer({
      ...options,
      epochs: 1,
      init: { params: s.params, optimizer: s.optimizer, epoch: s.epoch },
      record: { every: 0, weightNorm: false },
    }, c);
    tr.step();
    const data = c.engine.trajectory().data, o = c.engine.outputs;
    const trajectory = new Array<number>((S + 1) * types * N);
    for (let t = 0; t <= S; t++) {
      for (let k = 0; k < types; k++) {
        for (let i = 0; i < N; i++) {
          trajectory[(t * types + k) * N + i] = data[(t * B + k) * N + i];
        }
      }
    }
    const outputs: number[] = [], tg: number[] = [];
    for (let t = 0; t < S; t++) {
      for (let k = 0; k < types; k++) {
        outputs.push(o[t * B + k]);
        tg.push(targets[t * B + k]);
      }
    }
    return {
      epoch: s.epoch,
      loss: tr.result.history.loss[0],
      outputs,
      targets: tg,
      trajectory,
      shape: [S + 1, types, N],
    };
  });
}

/** A `fig4-fig5` run as the notebook draws it. */
export interface Fig45Result {
  run: Fig45Run;
  options: TrainOptions;
  /** Planned epochs and epochs completed (equal once the run is complete). */
  epochs: number;
  epochsDone: number;
  /** The run has finished: all epochs done, or it diverged. */
  complete: boolean;
  status: "ok" | "diverged";
  /** The recorded history (global gradient and weight norms are not recorded). */
  history: History;
  /** Parameters at the snapshot epochs reached. */
  checkpoints: { epoch: number; params: Record<string, number[]> }[];
  /** One trial per type at each snapshot epoch, replayed ({@linkcode replayStates}). */
  states: ReplayedState[];
  /** Every replayed loss equals the loss recorded in the history (the replay is exact). */
  replayExact: boolean;
}

/** Rebuilds a run from its (final or in-progress) summary, replaying its snapshot epochs. */
export function fig45Result(
  point: Fig45Point,
  config: Record<string, unknown>,
  summary: Fig45Summary,
): Fig45Result {
  const rc = config[point.run] as Fig45RunConfig;
  const options = fig45Options(point, rc);
  const s = summary.history;
  const states = replayStates(options, summary.snapshots);
  const replayExact = states.every((st) => st.loss === s.loss[s.epoch.indexOf(st.epoch)]);
  return {
    run: point.run,
    options,
    epochs: rc.train.epochs,
    epochsDone: summary.epochsDone,
    complete: summary.epochsDone === rc.train.epochs || summary.status === "diverged",
    status: summary.status,
    history: { ...s, gradNorm: [], recWeightNorm: [], flowSignChanges: [] },
    checkpoints: summary.snapshots.map(({ epoch, params }) => ({ epoch, params })),
    states,
    replayExact,
  };
}

/**
 * Config overrides of the `fig4-fig5` sweep (`figureRecords(…, { overrides })`, `--set`): the
 * runs of the `scale` config with their epochs, trials per type, checkpoints or slider frames
 * changed (a notebook's quick-scale knobs); the history spacing stays that of the scale.
 */
export function fig45Overrides(
  scale: Scale,
  changes: Partial<
    Record<
      Fig45Run,
      { epochs?: number; trialsPerType?: number; checkpoints?: number[]; frames?: number }
    >
  >,
): Record<string, Fig45RunConfig> {
  const base = fig45Config(scale);
  const out: Record<string, Fig45RunConfig> = {};
  for (const [run, ch] of Object.entries(changes) as [Fig45Run, typeof changes[Fig45Run]][]) {
    const b = base[run];
    out[run] = fig45RunConfig(run, {
      epochs: ch?.epochs ?? b.train.epochs,
      trialsPerType: ch?.trialsPerType ?? (b.train.task as { trialsPerType?: number })
        .trialsPerType ??
        1,
      checkpoints: ch?.checkpoints ?? b.checkpoints,
      frames: ch?.frames ?? b.frames,
      every: b.every,
      logPoints: b.logPoints,
      window: b.window,
    });
  }
  return out;
}

/** Where a run of {@linkcode fig45Results} comes from. */
export type Fig45Source = "finished" | "in progress" | "no data";

/**
 * The four runs of a loaded (or freshly run) `fig4-fig5` sweep as the notebook draws them: a
 * finished record, else the run's in-progress record (partial), else an empty run (no data); each
 * with its snapshot epochs replayed ({@linkcode fig45Result}).
 */
export function fig45Results(data: {
  records: { point: Fig45Point; summary: Fig45Summary }[];
  inProgress: { point: Fig45Point; summary: Fig45Summary }[];
  config: Record<string, unknown>;
}): Record<Fig45Run, Fig45Result & { source: Fig45Source }> {
  const out = {} as Record<Fig45Run, Fig45Result & { source: Fig45Source }>;
  for (const point of sweep.points("paper")) {
    const rec = data.records.find((r) => r.point.run === point.run);
    const open = data.inProgress.find((r) => r.point.run === point.run);
    const summary: Fig45Summary = rec?.summary ?? open?.summary ?? {
      status: "ok",
      divergedAt: null,
      epochsDone: 0,
      history: { epoch: [], loss: [], accuracy: [], recGradNorm: [] },
      snapshots: [],
    };
    const source: Fig45Source = rec ? "finished" : open ? "in progress" : "no data";
    out[point.run] = { ...fig45Result(point, data.config, summary), source };
  }
  return out;
}

/** The initial parameters of a run (its seed's initialisation, docs/ghost-mechanism.md §2.4). */
export function fig45InitialParams(options: TrainOptions): Record<string, number[]> {
  const c = compile(options.model, options.task);
  return unpackParams(c.layout, initParams(c.model, c.layout, options.seed));
}
