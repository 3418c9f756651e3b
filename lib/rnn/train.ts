/**
 * Training loop of the ghost-paper RNNs (docs/ghost-mechanism.md §2): full-batch gradient steps ("one epoch =
 * one step"), per-epoch records (loss, accuracy, gradient and weight norms as each figure defines
 * them), checkpoints, saved trajectories, rank-one flows, divergence detection, and ensembles.
 *
 * @module
 */

import { deriveSeed, Rng } from "../random.ts";
import {
  accuracy,
  drawEpochNoise,
  epochBuffers,
  makeTask,
  type Task,
  type TaskSpec,
} from "../tasks/mod.ts";
import { type Engine, makeEngine } from "./engine.ts";
import { countSignChanges, type Grid1D, PAPER_KAPPA_GRID, rankOneFlow } from "./flow.ts";
import { linspace } from "../numeric.ts";
import { requireInteger, requirePositive } from "../validate.ts";
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
import {
  makeOptimizer,
  type Optimizer,
  type OptimizerSpec,
  type OptimizerState,
  Sgd,
} from "./optim.ts";
import { RankKKernel, rankKKernelAvailable } from "./rankk_wasm.ts";
import type { RankKLanes } from "./rankk_wat.ts";

/** What to record during training. */
export interface RecordOptions {
  /**
   * History stride: record epochs that are multiples of `every` (default 1; 0 = no stride, only
   * `at`, `windows` and the last epoch), plus the last one.
   */
  every?: number;
  /** Also record these epochs in the history (e.g. Fig 6A's epochs 9 999, 19 999, …). */
  at?: number[];
  /**
   * Also record every epoch e with from ≤ e < to of each `[from, to]` window (e.g. Fig 8B's
   * `[[5800, 6000]]`, docs/ghost-mechanism.md §3 Figure 8).
   */
  windows?: [number, number][];
  /**
   * Evaluate the parameters after the last step once more (loss, accuracy, gradient norms) into
   * `result.finalEval`: history row e uses the parameters *before* step e, so the loss "after E
   * epochs" of E steps is only available this way (default false).
   */
  finalEval?: boolean;
  /** Rank-one only: epochs at which to count the sign changes of F(κ) into `result.signChanges`. */
  signChangesAt?: number[];
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

/** One evaluation of a parameter set: what a history row records. */
export interface Evaluation {
  /** Number of steps taken before these parameters (= the history row they would fill). */
  epoch: number;
  loss: number;
  accuracy: number;
  gradNorm: number;
  recGradNorm: number;
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
  /** Sign changes of the rank-one flow at `record.signChangesAt` (number of fixed points, §2.1). */
  signChanges: { epoch: number; count: number }[];
  /** Evaluation of the last parameters (only with `record.finalEval` and status "ok"). */
  finalEval: Evaluation | null;
  /** Parameters and optimiser state after the last completed step. */
  final: { epoch: number; params: Record<string, number[]>; optimizer: OptimizerState };
}

function checkOptions(o: TrainOptions): void {
  if (o === null || typeof o !== "object") throw new TypeError("options must be an object");
  requirePositive("lr", o.lr);
  requireInteger("epochs", o.epochs, 0);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${o.seed}`);
  }
  const r = o.record ?? {};
  if (r.every !== undefined) requireInteger("record.every", r.every, 0);
  if (r.flowEvery !== undefined) requireInteger("record.flowEvery", r.flowEvery, 1);
  for (const [name, list] of [["at", r.at], ["signChangesAt", r.signChangesAt]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new TypeError(`record.${name} must be an array of epochs`);
    list.forEach((e, i) => requireInteger(`record.${name}[${i}]`, e, 0));
  }
  if (r.windows !== undefined) {
    if (!Array.isArray(r.windows)) {
      throw new TypeError("record.windows must be an array of [from, to] epoch pairs");
    }
    r.windows.forEach((w, i) => {
      if (!Array.isArray(w) || w.length !== 2) {
        throw new TypeError(`record.windows[${i}] must be a [from, to] pair, got ${w}`);
      }
      requireInteger(`record.windows[${i}][0]`, w[0], 0);
      requireInteger(`record.windows[${i}][1]`, w[1], w[0]);
    });
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
  /**
   * The initial states and noise last drawn for (seed, epoch), kept when several trainers of an
   * ensemble share a seed (e.g. Fig 8C's continuations of one run, docs/ghost-mechanism.md §2.5):
   * an epoch's draws depend only on (seed, epoch), so a trainer that finds them here copies
   * them instead of drawing them again — the same numbers, without the Box–Muller cost.
   */
  epochDraws?: { seed: number; epoch: number; r0: Float64Array; xi: Float64Array | null };
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
  readonly #initialState: Float64Array;
  readonly #noise: Float64Array | null;
  readonly #every: number;
  readonly #recordAt: Set<number>;
  readonly #windows: [number, number][];
  readonly #checkpointAt: Set<number>;
  readonly #statesAt: Set<number>;
  readonly #flowAt: Set<number>;
  readonly #flowEvery: number;
  readonly #signChangesAt: Set<number>;
  readonly #kappaGrid: number[];
  readonly #recordWeightNorm: boolean;
  readonly #randomEpochs: boolean;
  readonly #recordSignChanges: boolean;
  readonly #finalEval: boolean;
  readonly #recGrad: Float64Array[];
  readonly #recParams: Float64Array[];
  /** Sorted epochs of the set-based events (at, checkpoints, states, flowAt, signChangesAt). */
  readonly #events: number[];

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
    const buffers = epochBuffers(task, model.N);
    this.#initialState = buffers.r0;
    this.#noise = buffers.xi;
    this.#randomEpochs = this.#noise !== null || (task.x0 === null && task.rateSigma > 0);
    // deterministic initial state: fill once (draws nothing)
    if (!this.#randomEpochs) {
      drawEpochNoise(task, model.N, new Rng(0), this.#initialState, null);
    }
    const r = options.record ?? {};
    this.#every = r.every ?? 1;
    this.#recordAt = new Set(r.at ?? []);
    this.#windows = r.windows ?? [];
    this.#checkpointAt = new Set(r.checkpoints ?? []);
    this.#statesAt = new Set(r.states ?? []);
    this.#flowAt = new Set(r.flowAt ?? []);
    this.#flowEvery = r.flowEvery ?? 0;
    this.#signChangesAt = new Set(r.signChangesAt ?? []);
    this.#recordWeightNorm = r.weightNorm ?? true;
    this.#finalEval = r.finalEval ?? false;
    const recNames = model.kind === "fullRank"
      ? ["W"]
      : model.kind === "lowRank"
      ? ["S_l", "S_r"]
      : ["m", "n"];
    this.#recGrad = recNames.map((n) => slice(layout, this.grad, n)!);
    this.#recParams = recNames.map((n) => slice(layout, this.params, n)!);
    this.#recordSignChanges = r.flowSignChanges ?? false;
    this.#events = [
      ...new Set([
        ...this.#recordAt,
        ...this.#checkpointAt,
        ...this.#statesAt,
        ...this.#flowAt,
        ...this.#signChangesAt,
      ]),
    ].sort((a, b) => a - b);
    const wantsFlow = this.#flowAt.size > 0 || this.#flowEvery > 0 || this.#recordSignChanges ||
      this.#signChangesAt.size > 0;
    if (wantsFlow && model.kind !== "rankOne") {
      throw new RangeError(
        `record.flowAt/flowEvery/flowSignChanges need model kind rankOne (so does signChangesAt), got ${model.kind}`,
      );
    }
    const g = r.flowGrid ?? PAPER_KAPPA_GRID;
    this.#kappaGrid = wantsFlow ? linspace(g.min, g.max, g.n) : [];
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
      flowKappa: this.#kappaGrid,
      flows: [],
      signChanges: [],
      finalEval: null,
      final: { epoch: this.epoch, params: {}, optimizer: this.opt.state() },
    };
    if (this.epoch >= this.#end) this.#finish();
  }

  #finish(): void {
    this.done = true;
    if (this.#finalEval && this.result.status === "ok") {
      const e = this.epoch;
      const { loss, gradNorm } = this.#evaluate(e);
      this.result.finalEval = {
        epoch: e,
        loss,
        accuracy: accuracy(this.c.task, this.c.engine.outputs),
        gradNorm,
        recGradNorm: this.#recNorms()[0],
      };
    }
    this.result.final = {
      epoch: this.epoch,
      params: unpackParams(this.c.layout, this.params),
      optimizer: this.opt.state(),
    };
  }

  /** Recurrent-parameter norms (only computed at recorded epochs). */
  #recNorms(): [number, number] {
    const { model } = this.c;
    const [g0, g1] = this.#recGrad, [p0, p1] = this.#recParams;
    let rec: number, w = NaN;
    switch (model.kind) {
      case "rankOne":
      case "rankK":
        rec = Math.sqrt(sq(g0) + sq(g1));
        if (this.#recordWeightNorm) {
          w = model.kind === "rankOne"
            ? Math.sqrt(sq(p0) * sq(p1))
            : lowRankFrobenius(p0, p1, model.N, model.K);
        }
        break;
      case "fullRank":
        rec = Math.sqrt(sq(g0));
        if (this.#recordWeightNorm) w = Math.sqrt(sq(p0));
        break;
      case "lowRank":
        rec = Math.sqrt(sq(g0)) + Math.sqrt(sq(g1));
        if (this.#recordWeightNorm) w = lowRankFrobenius(p0, p1, model.N, model.K);
        break;
    }
    return [rec, w];
  }

  /** Whether epoch e gets a history row. */
  #recorded(e: number): boolean {
    if (e === this.#end - 1 || (this.#every > 0 && e % this.#every === 0)) return true;
    if (this.#recordAt.has(e)) return true;
    for (const [from, to] of this.#windows) if (e >= from && e < to) return true;
    return false;
  }

  /**
   * The forward pass and BPTT of epoch e on the current parameters (after the Fig 8C read-out
   * bound, docs/ghost-mechanism.md §2.5, and with epoch e's noise): loss and global gradient norm.
   */
  #evaluate(e: number): { loss: number; gradNorm: number } {
    const { engine, layout, model } = this.c;
    const p = this.params;
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
    if (this.#randomEpochs) this.#drawEpoch(e);
    const loss = engine.run(p, this.grad, this.#initialState, this.#noise);
    return { loss, gradNorm: Math.sqrt(sq(this.grad)) };
  }

  /** Initial states and noise of epoch e: from the ensemble's last draws if they are e's. */
  #drawEpoch(e: number): void {
    const seed = this.options.seed, memo = this.c.epochDraws;
    if (memo !== undefined && memo.seed === seed && memo.epoch === e) {
      this.#initialState.set(memo.r0);
      if (this.#noise !== null) this.#noise.set(memo.xi!);
      return;
    }
    const rng = new Rng(deriveSeed(seed, 0x6e6f, e));
    drawEpochNoise(this.c.task, this.c.model.N, rng, this.#initialState, this.#noise);
    if (memo !== undefined) {
      memo.seed = seed;
      memo.epoch = e;
      memo.r0.set(this.#initialState);
      if (this.#noise !== null) memo.xi!.set(this.#noise);
    }
  }

  #flow(): number[] {
    const N = this.c.model.N, p = this.params;
    return rankOneFlow(
      p.subarray(0, N),
      p.subarray(N, 2 * N),
      p.subarray(2 * N, 3 * N),
      this.#kappaGrid,
    );
  }

  /**
   * Whether a fused kernel may run this run's silent epochs: a rank-K model trained with SGD on a
   * task without per-epoch randomness and without the read-out bound (what `trainEnsemble`
   * batches two per WebAssembly lane pair, docs/ghost-mechanism.md §5).
   */
  get fusable(): boolean {
    const l1 = this.options.readoutL1;
    return this.c.model.kind === "rankK" && this.opt instanceof Sgd && !this.#randomEpochs &&
      (l1 === undefined || l1 === null || !Number.isFinite(l1));
  }

  /**
   * How many epochs from the current one record nothing (no history row, checkpoint, state,
   * flow or sign count, and not the last epoch): a fused kernel may run them and report them
   * with {@linkcode countSilentEpochs}. 0 when the next epoch must be run by {@linkcode step}.
   */
  silentEpochs(): number {
    if (this.done) return 0;
    const e = this.epoch;
    let next = this.#end - 1;
    if (this.#every > 0) next = Math.min(next, Math.ceil(e / this.#every) * this.#every);
    if (this.#flowEvery > 0) {
      next = Math.min(next, Math.ceil(e / this.#flowEvery) * this.#flowEvery);
    }
    const ev = this.#events;
    let lo = 0, hi = ev.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ev[mid] < e) lo = mid + 1;
      else hi = mid;
    }
    if (lo < ev.length) next = Math.min(next, ev[lo]);
    for (const [from, to] of this.#windows) {
      if (from >= to) continue;
      if (e >= from && e < to) next = e;
      else if (from > e) next = Math.min(next, from);
    }
    return Math.max(0, next - e);
  }

  /**
   * Accounts for `n` silent epochs (n ≤ {@linkcode silentEpochs}) that a fused kernel ran on
   * this run's parameters: the epoch counter and the optimiser's step count advance; the caller
   * has put the updated parameters into `params`, or will before the next {@linkcode step}.
   */
  countSilentEpochs(n: number): void {
    if (!(n >= 0 && n <= this.silentEpochs()) || !(this.opt instanceof Sgd)) {
      throw new RangeError(`cannot skip ${n} epochs: only ${this.silentEpochs()} are silent`);
    }
    this.epoch += n;
    this.result.epochsRun += n;
    this.opt.countSteps(n);
  }

  /**
   * Ends the run as diverged at the current epoch without evaluating it: what {@linkcode step}
   * does when the epoch's loss or gradient norm is NaN/±Inf, for a fused kernel that found so.
   */
  diverge(): void {
    if (this.done) throw new RangeError("the run has finished");
    this.result.status = "diverged";
    this.result.divergedAt = this.epoch;
    this.#finish();
  }

  /** Runs one epoch: forward + BPTT + records + optimiser step. Returns false when finished. */
  step(): boolean {
    if (this.done) return false;
    const { engine, task, layout } = this.c;
    const e = this.epoch, p = this.params;
    const { loss, gradNorm } = this.#evaluate(e);
    const R = this.result;
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      this.diverge();
      return false;
    }
    if (this.#recorded(e)) {
      const [rec, wn] = this.#recNorms();
      const h = R.history;
      h.epoch.push(e);
      h.loss.push(loss);
      h.accuracy.push(accuracy(task, engine.outputs));
      h.gradNorm.push(gradNorm);
      h.recGradNorm.push(rec);
      if (this.#recordWeightNorm) h.recWeightNorm.push(wn);
      if (this.#recordSignChanges) h.flowSignChanges.push(countSignChanges(this.#flow()));
    }
    if (this.#signChangesAt.has(e)) {
      R.signChanges.push({ epoch: e, count: countSignChanges(this.#flow()) });
    }
    if (this.#checkpointAt.has(e)) {
      R.checkpoints.push({ epoch: e, params: unpackParams(layout, p) });
    }
    if (this.#statesAt.has(e)) {
      const tr = engine.trajectory();
      R.states.push({
        epoch: e,
        loss,
        outputs: Array.from(engine.outputs),
        trajectory: Array.from(tr.data),
        shape: tr.shape,
      });
    }
    if (this.#flowAt.has(e) || (this.#flowEvery > 0 && e % this.#flowEvery === 0)) {
      R.flows.push({ epoch: e, F: this.#flow() });
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
 * Trains many independent networks in one call; members of one (model, task) share one compiled
 * engine. Per run its own seed, lr and any other option — including model settings such as the
 * rank-one confidence c (Fig 8B, docs/ghost-mechanism.md §3 Figure 8). With the default kernel it
 * gives exactly the numbers of training each run alone with {@linkcode train}.
 *
 * Rank-K members trained with SGD (Fig 6B) run in a fused WebAssembly kernel (`rankk_wasm.ts`,
 * whole epochs without JS in between, docs/ghost-mechanism.md §5): `kernel: "f64x2"` (default)
 * two per v128, bit for bit the JS-driven engine's numbers; `"f32x4"` four per v128 in float32
 * arithmetic (the paper's PyTorch precision) — its silent epochs are float32, while the epochs
 * that record something and the last one run on the float64 JS-driven engine from the float32
 * parameters, so a run's numbers equal those of the same run alone in this function with the same
 * kernel (not {@linkcode train}'s). A run whose epoch the kernel finds not finite ends there as
 * diverged. Other members are interleaved epoch by epoch; those of one shape that share a seed
 * (Fig 8C's continuations of one run) draw each epoch's initial states and noise once
 * ({@linkcode Compiled.epochDraws}).
 *
 * @param base options shared by all runs
 * @param runs per-run overrides, typically `{ seed, lr }` (seeds × learning rates)
 * @param opts `fused: false` runs every member on the JS-driven engine; `kernel` picks the fused
 *   kernel's lanes ("f64x2" or "f32x4"); `shareDraws: false` makes
 *   every member draw its own initial states and noise (benchmarks, tests)
 */
export function trainEnsemble(
  base:
    & Omit<TrainOptions, "seed" | "lr" | "model" | "task">
    & Partial<Pick<TrainOptions, "seed" | "lr" | "model" | "task">>,
  runs: Partial<TrainOptions>[],
  opts: { fused?: boolean; shareDraws?: boolean; kernel?: RankKLanes } = {},
): TrainResult[] {
  if (!Array.isArray(runs)) throw new TypeError("runs must be an array of per-run options");
  const engines = new Map<string, Compiled>();
  const groups = new Map<Compiled, Trainer[]>();
  const kernel = opts.kernel ?? "f64x2";
  if (kernel !== "f64x2" && kernel !== "f32x4") {
    throw new RangeError(`kernel must be "f64x2" or "f32x4", got ${JSON.stringify(kernel)}`);
  }
  if (kernel === "f32x4" && !rankKKernelAvailable(kernel)) {
    throw new RangeError(
      "the float32 rank-K kernel needs WebAssembly SIMD, which this runtime lacks",
    );
  }
  const fused = (opts.fused ?? true) && rankKKernelAvailable(kernel);
  const trainers = runs.map((r, i) => {
    const o = { ...base, ...r } as TrainOptions;
    if (o.model === undefined || o.task === undefined) {
      throw new TypeError(
        `run ${i} of the ensemble has no model or task (set them in base or run)`,
      );
    }
    const key = JSON.stringify([o.model, o.task]);
    let shared = engines.get(key);
    if (shared === undefined) {
      shared = compile(o.model, o.task);
      engines.set(key, shared);
    }
    const t = new Trainer(o, shared);
    if (fused && t.fusable && !t.done) {
      const g = groups.get(shared);
      if (g === undefined) groups.set(shared, [t]);
      else g.push(t);
    }
    return t;
  });
  for (const [c, members] of groups) {
    trainLanes(new RankKKernel(c.model, c.task, c.layout, kernel), members);
  }
  // members of one shape that share a seed draw each epoch's initial states and noise once
  for (const c of opts.shareDraws === false ? [] : engines.values()) {
    const seeds = trainers.filter((t) => t.c === c && !t.done).map((t) => t.options.seed);
    if (new Set(seeds).size < seeds.length) {
      c.epochDraws = { seed: -1, epoch: -1, ...epochBuffers(c.task, c.model.N) };
    }
  }
  let active = trainers.filter((t) => !t.done);
  while (active.length > 0) {
    for (const t of active) t.step();
    active = active.filter((t) => !t.done);
  }
  return trainers.map((t) => t.result);
}

/**
 * Trains fusable rank-K runs of one shape to the end, `kernel.width` at a time in the kernel's
 * lanes: the kernel runs the epochs all lanes' runs leave silent; an epoch that records something
 * (or the last) runs on the JS-driven engine through {@linkcode Trainer.step}; a run whose epoch
 * the kernel found not finite (loss or gradient norm NaN/±Inf) ends there as diverged, exactly as
 * `step` would end it; a lane whose run finished takes the next run.
 */
function trainLanes(kernel: RankKKernel, runs: Trainer[]): void {
  const W = kernel.width;
  const lanes: (Trainer | null)[] = new Array(W).fill(null);
  let next = 0;
  const fill = (l: number) => {
    while (next < runs.length) {
      const t = runs[next++];
      if (!t.done) {
        lanes[l] = t;
        kernel.load(l, t.params, t.options.lr);
        return;
      }
    }
    lanes[l] = null;
    kernel.clear(l);
  };
  for (let l = 0; l < W; l++) fill(l);
  for (;;) {
    for (let l = 0; l < W; l++) {
      while (lanes[l] !== null && lanes[l]!.silentEpochs() === 0) {
        const t = lanes[l]!;
        kernel.store(l, t.params);
        t.step();
        if (t.done) fill(l);
        else kernel.load(l, t.params, t.options.lr);
      }
    }
    if (lanes.every((t) => t === null)) return;
    const n = Math.min(...lanes.map((t) => t?.silentEpochs() ?? Infinity));
    const done = kernel.run(n);
    for (const t of lanes) t?.countSilentEpochs(done);
    if (done < n) {
      // the kernel stopped before the step of an epoch that is not finite in some lane
      const { loss, gradNorm } = kernel.last();
      for (let l = 0; l < W; l++) {
        if (lanes[l] !== null && !(Number.isFinite(loss[l]) && Number.isFinite(gradNorm[l]))) {
          kernel.store(l, lanes[l]!.params);
          lanes[l]!.diverge();
          fill(l);
        }
      }
    }
  }
}

/**
 * The options of a second training phase that continues a finished run (two-phase protocols,
 * docs/ghost-mechanism.md §3 Figure 8): starts from `previous.final` (parameters, optimiser state
 * unless `resetOptimizer`, epoch numbering) with `changes` applied, e.g. `{ model: { ...m,
 * confidence: 0.1 }, epochs: 100 }` (Fig 8B) or `{ readoutL1: 1, epochs: 10_000 }` (Fig 8C).
 * `params` overrides some parameters (e.g. `{ c: [1] }`, the learnable-confidence variant).
 *
 * @throws {RangeError} if the previous run diverged (there is nothing to continue).
 */
export function continuation(
  previous: TrainResult,
  changes: Partial<Omit<TrainOptions, "init">> & {
    params?: Record<string, number[]>;
    resetOptimizer?: boolean;
  },
): TrainOptions {
  if (previous.status !== "ok") {
    throw new RangeError(
      `cannot continue a run that ended "${previous.status}" at epoch ${previous.divergedAt}`,
    );
  }
  const { params, resetOptimizer, ...rest } = changes;
  const base = { ...previous.options };
  delete base.init;
  return {
    ...base,
    ...rest,
    init: {
      params: { ...previous.final.params, ...params },
      optimizer: resetOptimizer ? undefined : previous.final.optimizer,
      epoch: previous.final.epoch,
    },
  };
}

/**
 * Fig 8B's "stuck" classifier (docs/ghost-mechanism.md §3 Figure 8, as the reference plot script
 * selects runs): the run once had accuracy > 0.5 during the recorded history, but its maximum
 * accuracy over the epochs `from ≤ e < to` is ≤ 0.5 — it learned something, then fell into the
 * no-learning zone and stayed there.
 *
 * @throws {RangeError} if the history has no epoch in [from, to).
 */
export function isStuck(history: History, from: number, to: number): boolean {
  let everAbove = false, maxWindow = -Infinity, n = 0;
  for (let i = 0; i < history.epoch.length; i++) {
    const a = history.accuracy[i];
    if (a > 0.5 && history.epoch[i] < to) everAbove = true;
    if (history.epoch[i] >= from && history.epoch[i] < to) {
      maxWindow = Math.max(maxWindow, a);
      n++;
    }
  }
  if (n === 0) throw new RangeError(`history has no recorded epoch in [${from}, ${to})`);
  return everAbove && maxWindow <= 0.5;
}

/**
 * {@linkcode trainEnsemble} with one plain-data argument, for worker pools and resumable sweeps:
 * `runInWorkers(TRAIN_MODULE, "trainEnsembleJob", [{ base, runs }])` (lib/sweep/pool.ts).
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
