/**
 * Training loop of the ghost-paper RNNs (ghost spec §2): full-batch gradient steps ("one epoch =
 * one step"), per-epoch records (loss, accuracy, gradient and weight norms as each figure defines
 * them), checkpoints, saved trajectories, rank-one flows, divergence detection, and ensembles.
 *
 * @module
 */

import { deriveSeed, Rng } from "../random.ts";
import { accuracy, drawEpochNoise, makeTask, type Task, type TaskSpec } from "../tasks/mod.ts";
import { type Engine, makeEngine } from "./engine.ts";
import { countSignChanges, type Grid1D, PAPER_KAPPA_GRID, rankOneFlow } from "./flow.ts";
import { linspace } from "../numeric.ts";
import {
  initParams,
  type Layout,
  layoutOf,
  type ModelSpec,
  packParams,
  type ResolvedModel,
  resolveModel,
  unpackParams,
} from "./model.ts";
import { makeOptimizer, type Optimizer, type OptimizerSpec, type OptimizerState } from "./optim.ts";

/** What to record during training. */
export interface RecordOptions {
  /** History stride: record epochs that are multiples of `every` (default 1), plus the last one. */
  every?: number;
  /** Epochs at which to save the parameters (those used in that epoch's forward pass). */
  checkpoints?: number[];
  /** Epochs at which to save the outputs and the state trajectory of the forward pass. */
  states?: number[];
  /** Rank-one only: epochs at which to save the flow F(κ) (§2.1) on `flowGrid`. */
  flowAt?: number[];
  /** Rank-one only: also save the flow every `flowEvery` epochs. */
  flowEvery?: number;
  /** κ grid of the flows (default linspace(−15, 15, 1000)). */
  flowGrid?: Grid1D;
  /** Record the recurrent weight norm (default true). */
  weightNorm?: boolean;
  /**
   * Rank-one only: at every recorded epoch also count the sign changes of F(κ) on `flowGrid`
   * (the number of fixed points; Fig 3 "fixed point test", §2.1) into `history.flowSignChanges`.
   */
  flowSignChanges?: boolean;
}

/** Options of one training run (plain data, JSON-serialisable). */
export interface TrainOptions {
  model: ModelSpec;
  task: TaskSpec;
  /** Seed of the initial parameters; per-epoch noise uses deriveSeed(seed, 0x6e6f, epoch). */
  seed: number;
  /** Learning rate, > 0. */
  lr: number;
  /** Number of epochs (gradient steps) to run, ≥ 0. */
  epochs: number;
  /** Default `{ name: "sgd" }`. */
  optimizer?: OptimizerSpec;
  record?: RecordOptions;
  /** Start from saved parameters / optimiser state; `epoch` numbers the first epoch (default 0). */
  init?: { params?: Record<string, number[]>; optimizer?: OptimizerState; epoch?: number };
  /**
   * Fig 8C intervention (§2.5): before every forward pass rescale W_out and b_out by c/‖W_out‖₁
   * so that ‖W_out‖₁ = c. null/undefined/Infinity = off.
   */
  readoutL1?: number | null;
}

/** Per-epoch history (one entry per recorded epoch). */
export interface History {
  epoch: number[];
  loss: number[];
  accuracy: number[];
  /** Global L2 norm over all parameter gradients (§2.1, §2.3). */
  gradNorm: number[];
  /**
   * Recurrent gradient norm as each figure defines it: ‖∇W‖_F (full rank, §2.5),
   * ‖∇S_l‖_F + ‖∇S_r‖_F (low rank, §2.4), √(‖∇m‖² + ‖∇n‖²) (rank-one / rank-K).
   */
  recGradNorm: number[];
  /** Frobenius norm of the recurrent matrix (W, S_l S_r, m nᵀ, m n); empty if disabled. */
  recWeightNorm: number[];
  /** Sign changes of the rank-one flow on the grid (only with `record.flowSignChanges`). */
  flowSignChanges: number[];
}

/** Result of one training run (plain data). */
export interface TrainResult {
  status: "ok" | "diverged";
  /** Epoch whose loss or gradient was NaN/±Inf (null if none). */
  divergedAt: number | null;
  /** Number of epochs completed (history covers them). */
  epochsRun: number;
  options: TrainOptions;
  layout: { names: string[]; shapes: number[][] };
  history: History;
  checkpoints: { epoch: number; params: Record<string, number[]> }[];
  states: {
    epoch: number;
    loss: number;
    outputs: number[];
    trajectory: number[];
    shape: number[];
  }[];
  /** κ grid of the saved flows (empty unless flows were requested). */
  flowKappa: number[];
  flows: { epoch: number; F: number[] }[];
  /** Parameters and optimiser state after the last completed step. */
  final: { epoch: number; params: Record<string, number[]>; optimizer: OptimizerState };
}

function checkOptions(o: TrainOptions): void {
  if (o === null || typeof o !== "object") throw new TypeError("options must be an object");
  if (!(typeof o.lr === "number" && o.lr > 0 && Number.isFinite(o.lr))) {
    throw new RangeError(`lr must be a finite number > 0, got ${o.lr}`);
  }
  if (!Number.isInteger(o.epochs) || o.epochs < 0) {
    throw new RangeError(`epochs must be an integer >= 0, got ${o.epochs}`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${o.seed}`);
  }
  const r = o.record ?? {};
  if (r.every !== undefined && (!Number.isInteger(r.every) || r.every < 1)) {
    throw new RangeError(`record.every must be an integer >= 1, got ${r.every}`);
  }
  if (r.flowEvery !== undefined && (!Number.isInteger(r.flowEvery) || r.flowEvery < 1)) {
    throw new RangeError(`record.flowEvery must be an integer >= 1, got ${r.flowEvery}`);
  }
  const c = o.readoutL1;
  if (c !== undefined && c !== null && !(c > 0)) {
    throw new RangeError(`readoutL1 must be > 0 (or null/Infinity for off), got ${c}`);
  }
}

/** A compiled (model, task) pair that can be shared by many trainers of the same shape. */
export interface Compiled {
  model: ResolvedModel;
  task: Task;
  layout: Layout;
  engine: Engine;
}

/** Builds task, resolved model, layout and engine (validating everything). */
export function compile(model: ModelSpec, task: TaskSpec): Compiled {
  const t = makeTask(task);
  const m = resolveModel(model, t);
  const layout = layoutOf(m);
  return { model: m, task: t, layout, engine: makeEngine(m, t, layout) };
}

function slice(layout: Layout, a: Float64Array, name: string): Float64Array | null {
  const i = layout.names.indexOf(name);
  return i < 0 ? null : a.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]);
}

function sq(a: Float64Array | null): number {
  if (a === null) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** ‖A B‖_F for A (N×K) and B (K×N), row-major, via tr((AᵀA)(B Bᵀ)) in O(N·K²). */
export function lowRankFrobenius(A: Float64Array, B: Float64Array, N: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) {
    for (let l = 0; l < K; l++) {
      let a = 0, b = 0;
      for (let i = 0; i < N; i++) {
        a += A[i * K + k] * A[i * K + l];
        b += B[k * N + i] * B[l * N + i];
      }
      s += a * b;
    }
  }
  return Math.sqrt(Math.max(s, 0));
}

/**
 * One training run as a steppable object: `step()` runs one epoch. `train` and `trainEnsemble`
 * both drive trainers, so interleaved ensembles give exactly the one-by-one numbers.
 */
export class Trainer {
  readonly c: Compiled;
  readonly options: TrainOptions;
  readonly params: Float64Array;
  readonly grad: Float64Array;
  readonly opt: Optimizer;
  readonly result: TrainResult;
  /** Number of the next epoch. */
  epoch: number;
  done = false;
  readonly #end: number;
  readonly #r0: Float64Array;
  readonly #noise: Float64Array | null;
  readonly #every: number;
  readonly #ck: Set<number>;
  readonly #st: Set<number>;
  readonly #fl: Set<number>;
  readonly #flowEvery: number;
  readonly #kgrid: number[];
  readonly #wn: boolean;
  readonly #random: boolean;
  readonly #fsc: boolean;
  readonly #recG: Float64Array[];
  readonly #recP: Float64Array[];

  constructor(options: TrainOptions, compiled?: Compiled) {
    checkOptions(options);
    this.c = compiled ?? compile(options.model, options.task);
    const { model, task, layout } = this.c;
    this.options = structuredClone(options);
    this.params = initParams(model, layout, options.seed);
    if (options.init?.params) packParams(layout, options.init.params, this.params);
    this.grad = new Float64Array(layout.size);
    this.opt = makeOptimizer(
      options.optimizer ?? { name: "sgd" },
      layout.size,
      options.init?.optimizer,
    );
    this.epoch = options.init?.epoch ?? 0;
    this.#end = this.epoch + options.epochs;
    this.#r0 = new Float64Array(task.batch * model.N);
    this.#noise = task.noiseSigma > 0 ? new Float64Array(task.steps * task.batch * model.N) : null;
    this.#random = this.#noise !== null || (task.x0 === null && task.rateSigma > 0);
    // deterministic initial state: fill once (draws nothing)
    if (!this.#random) drawEpochNoise(task, model.N, new Rng(0), this.#r0, null);
    const r = options.record ?? {};
    this.#every = r.every ?? 1;
    this.#ck = new Set(r.checkpoints ?? []);
    this.#st = new Set(r.states ?? []);
    this.#fl = new Set(r.flowAt ?? []);
    this.#flowEvery = r.flowEvery ?? 0;
    this.#wn = r.weightNorm ?? true;
    const recNames = model.kind === "fullRank"
      ? ["W"]
      : model.kind === "lowRank"
      ? ["S_l", "S_r"]
      : ["m", "n"];
    this.#recG = recNames.map((n) => slice(layout, this.grad, n)!);
    this.#recP = recNames.map((n) => slice(layout, this.params, n)!);
    this.#fsc = r.flowSignChanges ?? false;
    const wantsFlow = this.#fl.size > 0 || this.#flowEvery > 0 || this.#fsc;
    if (wantsFlow && model.kind !== "rankOne") {
      throw new RangeError(
        `record.flowAt/flowEvery/flowSignChanges need model kind rankOne, got ${model.kind}`,
      );
    }
    const g = r.flowGrid ?? PAPER_KAPPA_GRID;
    this.#kgrid = wantsFlow ? linspace(g.min, g.max, g.n) : [];
    this.result = {
      status: "ok",
      divergedAt: null,
      epochsRun: 0,
      options: this.options,
      layout: { names: layout.names, shapes: layout.shapes },
      history: {
        epoch: [],
        loss: [],
        accuracy: [],
        gradNorm: [],
        recGradNorm: [],
        recWeightNorm: [],
        flowSignChanges: [],
      },
      checkpoints: [],
      states: [],
      flowKappa: this.#kgrid,
      flows: [],
      final: { epoch: this.epoch, params: {}, optimizer: this.opt.state() },
    };
    if (this.epoch >= this.#end) this.#finish();
  }

  #finish(): void {
    this.done = true;
    this.result.final = {
      epoch: this.epoch,
      params: unpackParams(this.c.layout, this.params),
      optimizer: this.opt.state(),
    };
  }

  /** Recurrent-parameter norms (only computed at recorded epochs). */
  #recNorms(): [number, number] {
    const { model } = this.c;
    const [g0, g1] = this.#recG, [p0, p1] = this.#recP;
    let rec: number, w = NaN;
    switch (model.kind) {
      case "rankOne":
      case "rankK":
        rec = Math.sqrt(sq(g0) + sq(g1));
        if (this.#wn) {
          w = model.kind === "rankOne"
            ? Math.sqrt(sq(p0) * sq(p1))
            : lowRankFrobenius(p0, p1, model.N, model.K);
        }
        break;
      case "fullRank":
        rec = Math.sqrt(sq(g0));
        if (this.#wn) w = Math.sqrt(sq(p0));
        break;
      case "lowRank":
        rec = Math.sqrt(sq(g0)) + Math.sqrt(sq(g1));
        if (this.#wn) w = lowRankFrobenius(p0, p1, model.N, model.K);
        break;
    }
    return [rec, w];
  }

  /** Runs one epoch: forward + BPTT + records + optimiser step. Returns false when finished. */
  step(): boolean {
    if (this.done) return false;
    const { engine, task, layout, model } = this.c;
    const e = this.epoch, p = this.params;
    const l1 = this.options.readoutL1;
    if (l1 !== undefined && l1 !== null && Number.isFinite(l1)) {
      const wo = slice(layout, p, "W_out"), bo = slice(layout, p, "b_out");
      if (wo === null || bo === null) {
        throw new RangeError(`readoutL1 needs a model with W_out, got ${model.kind}`);
      }
      let s = 0;
      for (let i = 0; i < wo.length; i++) s += Math.abs(wo[i]);
      const f = l1 / s;
      for (let i = 0; i < wo.length; i++) wo[i] *= f;
      bo[0] *= f;
    }
    if (this.#random) {
      const rng = new Rng(deriveSeed(this.options.seed, 0x6e6f, e));
      drawEpochNoise(task, model.N, rng, this.#r0, this.#noise);
    }
    const loss = engine.run(p, this.grad, this.#r0, this.#noise);
    const gn = Math.sqrt(sq(this.grad));
    const R = this.result;
    if (!Number.isFinite(loss) || !Number.isFinite(gn)) {
      R.status = "diverged";
      R.divergedAt = e;
      this.#finish();
      return false;
    }
    const last = e === this.#end - 1;
    if (e % this.#every === 0 || last) {
      const [rec, wn] = this.#recNorms();
      const h = R.history;
      h.epoch.push(e);
      h.loss.push(loss);
      h.accuracy.push(accuracy(task, engine.outputs));
      h.gradNorm.push(gn);
      h.recGradNorm.push(rec);
      if (this.#wn) h.recWeightNorm.push(wn);
      if (this.#fsc) {
        const N = model.N;
        const F = rankOneFlow(
          p.subarray(0, N),
          p.subarray(N, 2 * N),
          p.subarray(2 * N, 3 * N),
          this.#kgrid,
        );
        h.flowSignChanges.push(countSignChanges(F));
      }
    }
    if (this.#ck.has(e)) R.checkpoints.push({ epoch: e, params: unpackParams(layout, p) });
    if (this.#st.has(e)) {
      const tr = engine.trajectory();
      R.states.push({
        epoch: e,
        loss,
        outputs: Array.from(engine.outputs),
        trajectory: Array.from(tr.data),
        shape: tr.shape,
      });
    }
    if (this.#fl.has(e) || (this.#flowEvery > 0 && e % this.#flowEvery === 0)) {
      const N = model.N;
      R.flows.push({
        epoch: e,
        F: rankOneFlow(
          p.subarray(0, N),
          p.subarray(N, 2 * N),
          p.subarray(2 * N, 3 * N),
          this.#kgrid,
        ),
      });
    }
    this.opt.step(p, this.grad, this.options.lr);
    this.epoch++;
    R.epochsRun++;
    if (this.epoch >= this.#end) this.#finish();
    return !this.done;
  }
}

/**
 * Trains one network (§2): e.g.
 * `train({ model: { kind: "rankOne" }, task: { name: "delayed-activation" }, seed: 40, lr: 0.003,
 * epochs: 500_000, record: { every: 10, flowAt: [0, 200_000] } })`.
 * A NaN/Inf loss or gradient ends the run with status "diverged" (history kept).
 */
export function train(options: TrainOptions): TrainResult {
  const t = new Trainer(options);
  while (t.step()) { /* run */ }
  return t.result;
}

/**
 * Trains many independent networks of one shape (same model and task; per run its own seed, lr and
 * optionally other options) in one call, interleaving them epoch by epoch and sharing one engine.
 * Gives exactly the numbers of training each run alone with {@linkcode train}.
 *
 * @param base options shared by all runs
 * @param runs per-run overrides, typically `{ seed, lr }` (seeds × learning rates)
 */
export function trainEnsemble(
  base: Omit<TrainOptions, "seed" | "lr"> & Partial<Pick<TrainOptions, "seed" | "lr">>,
  runs: Partial<TrainOptions>[],
): TrainResult[] {
  if (!Array.isArray(runs)) throw new TypeError("runs must be an array of per-run options");
  const shared = compile(base.model, base.task);
  const trainers = runs.map((r) => {
    const o = { ...base, ...r } as TrainOptions;
    if (r.model !== undefined || r.task !== undefined) {
      throw new RangeError("runs of an ensemble must share model and task (set them in base)");
    }
    return new Trainer(o, shared);
  });
  let active = trainers.filter((t) => !t.done);
  while (active.length > 0) {
    for (const t of active) t.step();
    active = active.filter((t) => !t.done);
  }
  return trainers.map((t) => t.result);
}

/**
 * {@linkcode trainEnsemble} with one plain-data argument, for worker pools and resumable sweeps:
 * `runSweep(TRAIN_MODULE, "trainEnsembleJob", [{ key, arg: { base, runs } }], { file })`.
 */
export function trainEnsembleJob(
  arg: { base: Omit<TrainOptions, "seed" | "lr">; runs: Partial<TrainOptions>[] },
): TrainResult[] {
  return trainEnsemble(arg.base, arg.runs);
}

/**
 * Forward pass only (no gradient) of given parameters: loss, accuracy, outputs and the state
 * trajectory (κ for rank-one / rank-K, rates for full / low rank; see `Engine.trajectory`).
 * Initial states / noise as in {@linkcode lossAndGrad}.
 */
export function forward(
  model: ModelSpec,
  task: TaskSpec,
  params: Record<string, ArrayLike<number>>,
  noise?: { r0?: ArrayLike<number>; xi?: ArrayLike<number> },
): { loss: number; accuracy: number; outputs: number[]; trajectory: number[]; shape: number[] } {
  const c = compile(model, task);
  const { p, r0, xi } = prepare(c, params, noise);
  const loss = c.engine.run(p, null, r0, xi);
  const tr = c.engine.trajectory();
  return {
    loss,
    accuracy: accuracy(c.task, c.engine.outputs),
    outputs: Array.from(c.engine.outputs),
    trajectory: Array.from(tr.data),
    shape: tr.shape,
  };
}

function prepare(
  c: Compiled,
  params: Record<string, ArrayLike<number>>,
  noise?: { r0?: ArrayLike<number>; xi?: ArrayLike<number> },
): { p: Float64Array; r0: Float64Array; xi: Float64Array | null } {
  const p = packParams(c.layout, params, initParams(c.model, c.layout, 0));
  const per = c.task.batch * c.model.N;
  const r0 = new Float64Array(per);
  if (noise?.r0) {
    if (noise.r0.length !== per) {
      throw new RangeError(`r0 must have ${per} entries, got ${noise.r0.length}`);
    }
    r0.set(noise.r0);
  } else drawEpochNoise(c.task, c.model.N, new Rng(0), r0, null);
  let xi: Float64Array | null = null;
  if (noise?.xi) {
    const n = c.task.steps * c.task.batch * c.model.N;
    if (noise.xi.length !== n) {
      throw new RangeError(`xi must have ${n} entries, got ${noise.xi.length}`);
    }
    xi = Float64Array.from(noise.xi);
  }
  return { p, r0, xi };
}

/**
 * Loss, gradient (hand-written BPTT) and outputs of given parameters on one epoch. Without
 * `noise.r0` the initial state is the task's deterministic one (x0, or r0 = 0); without
 * `noise.xi` there is no noise. Missing parameters take their seed-0 initial values.
 */
export function lossAndGrad(
  model: ModelSpec,
  task: TaskSpec,
  params: Record<string, ArrayLike<number>>,
  noise?: { r0?: ArrayLike<number>; xi?: ArrayLike<number> },
): { loss: number; grad: Record<string, number[]>; outputs: number[] } {
  const c = compile(model, task);
  const { p, r0, xi } = prepare(c, params, noise);
  const g = new Float64Array(c.layout.size);
  const loss = c.engine.run(p, g, r0, xi);
  return { loss, grad: unpackParams(c.layout, g), outputs: Array.from(c.engine.outputs) };
}
