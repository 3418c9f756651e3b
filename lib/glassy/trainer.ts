/**
 * The training algorithm of Hertz & Tyrcha (spec `glassy-dynamics.md` §4) on TensorFlow.js.
 *
 * For every training time column the trainer holds μ_l(t), the smoothed previous states m_l(t),
 * the errors δ_l(t), the smoothed next-step errors n_l(t), the output field H and e = S − tanh H.
 * One SGD step (§4.1–4.7):
 *
 * 1. η(s) = η0·sin(πs/(2·warmup)) for s < warmup, else η0; τ += η.
 * 2. a minibatch of `batchSize` distinct columns; W += η Σ e xᵀ/mbs, K += η Σ e μ_dᵀ/mbs,
 *    h += η Σ e/mbs, J0 += η Σ δ_1 xᵀ/mbs, J_l += η Σ δ_{l+1} μ_lᵀ/mbs, M_l += η Σ δ_l m_lᵀ/mbs;
 * 3. all T columns recomputed from the stored states: μ_l = tanh(J μ_{l−1} + M_l m_l),
 *    m_l ← (m_l + shift_right μ_l)/2 (0 at starts), n_l ← (n_l + shift_left δ_l^old)/2 (0 at ends),
 *    H = K μ_d + W x + h, e = S − tanh H, δ_d = X_d ⊙ (M_dᵀ n_d + Kᵀ e),
 *    δ_l = X_l ⊙ (J_lᵀ δ_{l+1} + M_lᵀ n_l);
 * 4. every `orthInterval` steps (s > 10) each M_l is replaced by its polar factor (Newton–Schulz);
 * 5. the test states are recomputed without averaging (m_test = shift_right μ_test);
 * 6. every `recordInterval` steps the training and test losses (bits/unit, §5.1) are recorded.
 *
 * Internally matrices are time-major (T × units) and weights are stored transposed (e.g. J0ᵀ), so
 * every big product is a plain (T × a)·(a × b) matmul. Minibatch columns come from
 * `Rng(deriveSeed(seed, s))`, so a run resumed from a checkpoint continues exactly.
 *
 * @module
 */

import type * as TF from "@tensorflow/tfjs-core";
import { deriveSeed, Rng } from "../random.ts";
import type { ChoraleData, SplitData } from "./data.ts";
import { polarOrthogonal } from "./linalg.ts";
import {
  checkShape,
  exactState,
  type GlassyParams,
  initParams,
  lossBits,
  type NetworkState,
  parameterCount,
} from "./model.ts";
import { type GlassyBackend, useBackend } from "./tf.ts";

/** Hyper-parameters of a training run (defaults: the reference script's, §3–4). */
export interface TrainConfig {
  /** Number of hidden layers d. */
  depth: number;
  /** Units per hidden layer w. */
  width: number;
  /** Learning rate after the warm-up (default 0.0004). */
  eta0?: number;
  /** Length of the sine warm-up in steps (default 5000; 0 = none). */
  warmupSteps?: number;
  /** Minibatch size (default 300). */
  batchSize?: number;
  /** Re-orthogonalise M every this many steps (default 200). */
  orthInterval?: number;
  /** Record losses every this many steps (default 500). */
  recordInterval?: number;
  /** Seed of the initialisation and of the minibatch stream (default 42). */
  seed?: number;
}

/** A {@linkcode TrainConfig} with every default filled in. */
export type FullTrainConfig = Required<TrainConfig>;

/** Fills defaults and validates. @throws {RangeError} naming the bad field and its range. */
export function fullConfig(c: TrainConfig): FullTrainConfig {
  checkShape(c);
  const f: FullTrainConfig = {
    depth: c.depth,
    width: c.width,
    eta0: c.eta0 ?? 0.0004,
    warmupSteps: c.warmupSteps ?? 5000,
    batchSize: c.batchSize ?? 300,
    orthInterval: c.orthInterval ?? 200,
    recordInterval: c.recordInterval ?? 500,
    seed: c.seed ?? 42,
  };
  if (!(f.eta0 > 0)) throw new RangeError(`eta0 must be > 0, got ${f.eta0}`);
  const intGe = (name: keyof FullTrainConfig, min: number) => {
    const v = f[name];
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
    }
  };
  intGe("warmupSteps", 0);
  intGe("batchSize", 1);
  intGe("orthInterval", 1);
  intGe("recordInterval", 1);
  if (!Number.isInteger(f.seed) || f.seed < 0 || f.seed >= 2 ** 32) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${f.seed}`);
  }
  return f;
}

/** Learning rate of step s (§4.1). */
export function learningRate(c: FullTrainConfig, s: number): number {
  return s < c.warmupSteps ? c.eta0 * Math.sin((Math.PI * s) / (2 * c.warmupSteps)) : c.eta0;
}

/** Losses recorded at one step. */
export interface TrainRecord {
  /** Step index s (0-based; recorded after the update of step s). */
  step: number;
  /** Learning time τ = Σ η over steps 0…s. */
  tau: number;
  /** Training loss, bits per unit (§5.1). */
  train: number;
  /** Test loss, bits per unit. */
  test: number;
}

/**
 * Update directions Σ_b (…)/|b| for a set of columns, in paper orientation (tests, §4.4): one array
 * per parameter class, shaped like the parameters.
 */
export type UpdateDirections = Omit<GlassyParams, "nv" | "w" | "d">;

type T2 = TF.Tensor2D;

interface Tensors {
  Wt: T2;
  Kt: T2;
  J0t: T2;
  Jt: T2[];
  Mt: T2[];
  h: T2;
  mu: T2[];
  m: T2[];
  delta: T2[];
  n: T2[];
  H: T2;
  e: T2;
  muTest: T2[];
  mTest: T2[];
}

const MAGIC = "GLCK1\n";

function f32(a: ArrayLike<number>): Float32Array {
  return Float32Array.from(a);
}

/** Trains one (d, w) network on one data set with the §4 algorithm. Call `dispose()` when done. */
export class GlassyTrainer {
  /** The full configuration. */
  readonly config: FullTrainConfig;
  /** The data it trains on. */
  readonly data: ChoraleData;
  /** Number of trained weights P (h excluded). */
  readonly P: number;
  /** Steps done so far (the next step has index `steps`). */
  steps = 0;
  /** Learning time τ = Σ η so far. */
  tau = 0;
  /** Recorded losses. */
  records: TrainRecord[] = [];
  #tf: typeof TF;
  #t: Tensors;
  #x: T2;
  #s: T2;
  #startKeep: T2;
  #endKeep: T2;
  #xTest: T2;
  #sTest: T2;
  #startKeepTest: T2;

  private constructor(tf: typeof TF, data: ChoraleData, config: FullTrainConfig, t: Tensors) {
    this.#tf = tf;
    this.data = data;
    this.config = config;
    this.P = parameterCount(data.nv, config.width, config.depth);
    this.#t = t;
    const mk = (sp: SplitData) => ({
      x: tf.tensor2d(f32(sp.x), [sp.T, data.nv]),
      s: tf.tensor2d(f32(sp.s), [sp.T, data.nv]),
      startKeep: tf.tensor2d(f32(Array.from(sp.starts, (v) => 1 - v)), [sp.T, 1]),
      endKeep: tf.tensor2d(f32(Array.from(sp.ends, (v) => 1 - v)), [sp.T, 1]),
    });
    const tr = mk(data.train);
    const te = mk(data.test);
    this.#x = tr.x;
    this.#s = tr.s;
    this.#startKeep = tr.startKeep;
    this.#endKeep = tr.endKeep;
    this.#xTest = te.x;
    this.#sTest = te.s;
    this.#startKeepTest = te.startKeep;
    te.endKeep.dispose();
  }

  /**
   * A trainer initialised per §3 (parameters from `config.seed`) with states from an exact
   * sequential forward pass (δ = n = 0 since K = 0; the §4 "clean" initialisation).
   *
   * @throws {RangeError} for an invalid config or a batch size above the number of columns.
   */
  static async create(
    data: ChoraleData,
    config: TrainConfig,
    backend: GlassyBackend = "wasm",
  ): Promise<GlassyTrainer> {
    const c = fullConfig(config);
    const p = initParams(data, c, c.seed);
    return await GlassyTrainer.fromState(data, c, p, exactState(p, data.train), backend);
  }

  /**
   * A trainer starting from given parameters and training states (e.g. an exact state from
   * {@linkcode exactState}); the test states come from an exact forward pass.
   */
  static async fromState(
    data: ChoraleData,
    config: TrainConfig,
    p: GlassyParams,
    state: NetworkState,
    backend: GlassyBackend = "wasm",
  ): Promise<GlassyTrainer> {
    const c = fullConfig(config);
    if (data.train.T < 2 || data.test.T < 2) {
      throw new RangeError(
        `data must have >= 2 train and test columns, got ${data.train.T}, ${data.test.T}`,
      );
    }
    if (c.batchSize > data.train.T) {
      throw new RangeError(
        `batchSize must be in [1, T=${data.train.T}] (training columns), got ${c.batchSize}`,
      );
    }
    if (p.w !== c.width || p.d !== c.depth || p.nv !== data.nv) {
      throw new RangeError(
        `params shape (nv=${p.nv}, w=${p.w}, d=${p.d}) does not match config/data ` +
          `(nv=${data.nv}, w=${c.width}, d=${c.depth})`,
      );
    }
    const tf = await useBackend(backend);
    const { nv, w } = p;
    const T = data.train.T;
    const Tt = data.test.T;
    const tT = (a: Float64Array, r: number, k: number) => {
      // paper orientation (r × k) → stored transposed (k × r)
      const out = new Float32Array(r * k);
      for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) out[j * r + i] = a[i * k + j];
      return tf.tensor2d(out, [k, r]);
    };
    const st = (a: Float64Array, rows: number, cols: number) => tf.tensor2d(f32(a), [rows, cols]);
    const test = exactState(p, data.test);
    const t: Tensors = {
      Wt: tT(p.W, nv, nv),
      Kt: tT(p.K, nv, w),
      J0t: tT(p.J0, w, nv),
      Jt: p.J.map((a) => tT(a, w, w)),
      Mt: p.M.map((a) => tT(a, w, w)),
      h: st(p.h, 1, nv),
      mu: state.mu.map((a) => st(a, T, w)),
      m: state.m.map((a) => st(a, T, w)),
      delta: state.delta.map((a) => st(a, T, w)),
      n: state.n.map((a) => st(a, T, w)),
      H: st(state.H, T, nv),
      e: st(state.e, T, nv),
      muTest: test.mu.map((a) => st(a, Tt, w)),
      mTest: test.m.map((a) => st(a, Tt, w)),
    };
    return new GlassyTrainer(tf, data, c, t);
  }

  /** Learning rate of step s. */
  eta(s: number): number {
    return learningRate(this.config, s);
  }

  /** Minibatch columns of step s (distinct, uniform; seeded by (seed, s)). */
  batch(s: number): Int32Array {
    return new Rng(deriveSeed(this.config.seed, s)).choice(
      this.data.train.T,
      this.config.batchSize,
    );
  }

  #directions(cols: Int32Array) {
    const tf = this.#tf;
    const t = this.#t;
    const d = this.config.depth;
    return tf.tidy(() => {
      const idx = tf.tensor1d(cols, "int32");
      const g = (a: T2) => tf.gather(a, idx) as T2;
      const gT = (a: T2) => tf.transpose(g(a)) as T2;
      const xbT = gT(this.#x);
      const eb = g(t.e);
      const db = t.delta.map(g);
      return {
        Wt: tf.matMul(xbT, eb) as T2,
        Kt: tf.matMul(gT(t.mu[d - 1]), eb) as T2,
        h: tf.sum(eb, 0, true) as T2,
        J0t: tf.matMul(xbT, db[0]) as T2,
        Jt: t.Jt.map((_, l) => tf.matMul(gT(t.mu[l]), db[l + 1]) as T2),
        Mt: t.Mt.map((_, l) => tf.matMul(gT(t.m[l]), db[l]) as T2),
      };
    });
  }

  /**
   * The §4.4 update directions Σ_{b∈cols} (…)/|cols| at the current state, paper orientation
   * (e.g. `W = Σ e(b) x(b)ᵀ / |cols|`). The SGD step adds η times these.
   */
  updateDirections(cols: Int32Array): UpdateDirections {
    const tf = this.#tf;
    const dir = this.#directions(cols);
    const k = cols.length;
    const back = (a: T2) => {
      const [r, c] = a.shape;
      const v = a.dataSync();
      const out = new Float64Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = v[i * c + j] / k;
      return out;
    };
    const res: UpdateDirections = {
      W: back(dir.Wt),
      K: back(dir.Kt),
      J0: back(dir.J0t),
      J: dir.Jt.map(back),
      M: dir.Mt.map(back),
      h: Float64Array.from(dir.h.dataSync(), (v) => v / k),
    };
    tf.dispose([dir.Wt, dir.Kt, dir.J0t, dir.h, ...dir.Jt, ...dir.Mt]);
    return res;
  }

  /** One SGD step (§4); returns the record if this step records losses. */
  step(): TrainRecord | null {
    const tf = this.#tf;
    const c = this.config;
    const s = this.steps;
    const eta = this.eta(s);
    const t = this.#t;
    const d = c.depth;
    const T = this.data.train.T;
    // 2. weight update from the held states
    const dir = this.#directions(this.batch(s));
    const k = eta / c.batchSize;
    const upd = (p: T2, g: T2) => {
      const r = tf.tidy(() => tf.add(p, tf.mul(g, k)) as T2);
      p.dispose();
      g.dispose();
      return r;
    };
    t.Wt = upd(t.Wt, dir.Wt);
    t.Kt = upd(t.Kt, dir.Kt);
    t.h = upd(t.h, dir.h);
    t.J0t = upd(t.J0t, dir.J0t);
    t.Jt = t.Jt.map((p, l) => upd(p, dir.Jt[l]));
    t.Mt = t.Mt.map((p, l) => upd(p, dir.Mt[l]));
    // 3. recompute all columns
    const tanh = (z: TF.Tensor) => tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1) as T2;
    const shiftDown = (a: T2, rows: number) =>
      tf.pad(tf.slice(a, [0, 0], [rows - 1, -1]), [[1, 0], [0, 0]]) as T2;
    const shiftUp = (a: T2, rows: number) =>
      tf.pad(tf.slice(a, [1, 0], [rows - 1, -1]), [[0, 1], [0, 0]]) as T2;
    const next = tf.tidy(() => {
      const mu: T2[] = [];
      for (let l = 0; l < d; l++) {
        const below = l === 0 ? tf.matMul(this.#x, t.J0t) : tf.matMul(mu[l - 1], t.Jt[l - 1]);
        mu.push(tanh(tf.add(below, tf.matMul(t.m[l], t.Mt[l]))));
      }
      const m = mu.map((u, l) =>
        tf.mul(tf.mul(tf.add(t.m[l], shiftDown(u, T)), 0.5), this.#startKeep) as T2
      );
      const n = t.delta.map((dl, l) =>
        tf.mul(tf.mul(tf.add(t.n[l], shiftUp(dl, T)), 0.5), this.#endKeep) as T2
      );
      const H = tf.add(tf.add(tf.matMul(mu[d - 1], t.Kt), tf.matMul(this.#x, t.Wt)), t.h) as T2;
      const e = tf.sub(this.#s, tanh(H)) as T2;
      const delta: T2[] = new Array(d);
      for (let l = d - 1; l >= 0; l--) {
        const X = tf.sub(1, tf.square(mu[l]));
        const fromAbove = l === d - 1
          ? tf.matMul(e, tf.transpose(t.Kt))
          : tf.matMul(delta[l + 1], tf.transpose(t.Jt[l]));
        const rec = tf.matMul(n[l], tf.transpose(t.Mt[l]));
        delta[l] = tf.mul(X, tf.add(fromAbove, rec)) as T2;
      }
      return { mu, m, n, H, e, delta };
    });
    tf.dispose([...t.mu, ...t.m, ...t.n, t.H, t.e, ...t.delta]);
    Object.assign(t, next);
    // 4. re-orthogonalise M
    if (s % c.orthInterval === 0 && s > 10) this.#orthogonalizeM();
    // 5. test states (no averaging)
    const Tt = this.data.test.T;
    const nextTest = tf.tidy(() => {
      const muTest: T2[] = [];
      for (let l = 0; l < d; l++) {
        const below = l === 0
          ? tf.matMul(this.#xTest, t.J0t)
          : tf.matMul(muTest[l - 1], t.Jt[l - 1]);
        muTest.push(tanh(tf.add(below, tf.matMul(t.mTest[l], t.Mt[l]))));
      }
      const mTest = muTest.map((u) => tf.mul(shiftDown(u, Tt), this.#startKeepTest) as T2);
      return { muTest, mTest };
    });
    tf.dispose([...t.muTest, ...t.mTest]);
    Object.assign(t, nextTest);
    this.steps = s + 1;
    this.tau += eta;
    if (s % c.recordInterval === 0) {
      const rec = { step: s, tau: this.tau, ...this.losses() };
      this.records.push(rec);
      return rec;
    }
    return null;
  }

  /** Runs n steps; calls `onRecord` for each recorded step. */
  run(n: number, onRecord?: (r: TrainRecord) => void): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
    for (let i = 0; i < n; i++) {
      const r = this.step();
      if (r && onRecord) onRecord(r);
    }
  }

  #orthogonalizeM(): void {
    const tf = this.#tf;
    const w = this.config.width;
    this.#t.Mt = this.#t.Mt.map((mt) => {
      // polar(Mᵀ) = polar(M)ᵀ, so the stored transpose can be projected directly
      const q = polarOrthogonal(Float64Array.from(mt.dataSync()), w);
      mt.dispose();
      return tf.tensor2d(f32(q), [w, w]);
    });
  }

  /**
   * Training and test losses (bits/unit, §5.1) of the current states: training from the held H,
   * test from the current test states and weights. Summed in float64.
   */
  losses(): { train: number; test: number } {
    const tf = this.#tf;
    const t = this.#t;
    const train = lossBits(t.H.dataSync(), this.data.train.s);
    const Ht = tf.tidy(() =>
      tf.add(
        tf.add(tf.matMul(t.muTest[this.config.depth - 1], t.Kt), tf.matMul(this.#xTest, t.Wt)),
        t.h,
      )
    );
    const test = lossBits(Ht.dataSync(), this.data.test.s);
    Ht.dispose();
    return { train, test };
  }

  /** Current parameters in float64, paper orientation. */
  params(): GlassyParams {
    const t = this.#t;
    const back = (a: T2) => {
      const [r, c] = a.shape;
      const v = a.dataSync();
      const out = new Float64Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = v[i * c + j];
      return out;
    };
    const { nv } = this.data;
    return {
      nv,
      w: this.config.width,
      d: this.config.depth,
      W: back(t.Wt),
      K: back(t.Kt),
      J0: back(t.J0t),
      J: t.Jt.map(back),
      M: t.Mt.map(back),
      h: Float64Array.from(t.h.dataSync()),
    };
  }

  /** The current training states (float64 copies; H, e, μ, m, δ, n). */
  state(): NetworkState {
    const t = this.#t;
    const c = (a: T2) => Float64Array.from(a.dataSync());
    return {
      mu: t.mu.map(c),
      m: t.m.map(c),
      delta: t.delta.map(c),
      n: t.n.map(c),
      H: c(t.H),
      e: c(t.e),
    };
  }

  /**
   * All P trained weights (h excluded; §6) as one float64 vector. The order is internal but fixed,
   * which is all the mean-square displacement needs.
   */
  weights(): Float64Array {
    const t = this.#t;
    const parts = [t.Wt, t.Kt, t.J0t, ...t.Jt, ...t.Mt];
    const out = new Float64Array(this.P);
    let o = 0;
    for (const a of parts) {
      const v = a.dataSync();
      out.set(v, o);
      o += v.length;
    }
    return out;
  }

  /**
   * Per-step SGD noise variance per parameter (§6.4):
   * σ² = η² Σ_classes Σ_params Var_t(g_p(t)) / (mbs · P), with the single-column gradient
   * contributions g(t) = a(t) b(t)ᵀ of each weight class at the current state; float64.
   */
  noiseVariance(eta = this.config.eta0): number {
    const t = this.#t;
    const d = this.config.depth;
    const { nv } = this.data;
    const w = this.config.width;
    const T = this.data.train.T;
    const x = this.data.train.x;
    const e = t.e.dataSync();
    const mu = t.mu.map((a) => a.dataSync());
    const delta = t.delta.map((a) => a.dataSync());
    const m = t.m.map((a) => a.dataSync());
    let total = outerProductVarianceSum(e, x, T, nv, nv); // W
    total += outerProductVarianceSum(e, mu[d - 1], T, nv, w); // K
    total += outerProductVarianceSum(delta[0], x, T, w, nv); // J0
    for (let l = 0; l < d - 1; l++) total += outerProductVarianceSum(delta[l + 1], mu[l], T, w, w);
    for (let l = 0; l < d; l++) total += outerProductVarianceSum(delta[l], m[l], T, w, w);
    return (eta * eta * total) / (this.config.batchSize * this.P);
  }

  /** Serialises the full trainer state (weights, states, counters, records) plus `extra` JSON. */
  checkpointBytes(extra: unknown = null): Uint8Array {
    const t = this.#t;
    const named: [string, T2][] = [
      ["Wt", t.Wt],
      ["Kt", t.Kt],
      ["J0t", t.J0t],
      ["h", t.h],
      ["H", t.H],
      ["e", t.e],
      ...t.Jt.map((a, l) => [`Jt${l}`, a] as [string, T2]),
      ...t.Mt.map((a, l) => [`Mt${l}`, a] as [string, T2]),
      ...t.mu.map((a, l) => [`mu${l}`, a] as [string, T2]),
      ...t.m.map((a, l) => [`m${l}`, a] as [string, T2]),
      ...t.delta.map((a, l) => [`delta${l}`, a] as [string, T2]),
      ...t.n.map((a, l) => [`n${l}`, a] as [string, T2]),
      ...t.muTest.map((a, l) => [`muTest${l}`, a] as [string, T2]),
      ...t.mTest.map((a, l) => [`mTest${l}`, a] as [string, T2]),
    ];
    let offset = 0;
    const index = named.map(([name, a]) => {
      const entry = { name, shape: a.shape, offset, length: a.size };
      offset += a.size;
      return entry;
    });
    const header = new TextEncoder().encode(JSON.stringify({
      config: this.config,
      steps: this.steps,
      tau: this.tau,
      records: this.records,
      data: { nv: this.data.nv, T: this.data.train.T, Ttest: this.data.test.T },
      index,
      extra,
    }));
    const magic = new TextEncoder().encode(MAGIC);
    const pad = (4 - ((magic.length + 4 + header.length) % 4)) % 4;
    const out = new Uint8Array(magic.length + 4 + header.length + pad + offset * 4);
    out.set(magic, 0);
    new DataView(out.buffer).setUint32(magic.length, header.length + pad, true);
    out.set(header, magic.length + 4);
    out.fill(0x20, magic.length + 4 + header.length, magic.length + 4 + header.length + pad);
    const body = new Float32Array(out.buffer, magic.length + 4 + header.length + pad, offset);
    for (const [i, [, a]] of named.entries()) body.set(a.dataSync(), index[i].offset);
    return out;
  }

  /** Writes {@linkcode checkpointBytes} atomically (temporary file + rename). */
  async saveCheckpoint(path: string, extra: unknown = null): Promise<void> {
    const tmp = `${path}.${Date.now()}.tmp`;
    await Deno.writeFile(tmp, this.checkpointBytes(extra));
    await Deno.rename(tmp, path);
  }

  /**
   * Restores a trainer from {@linkcode checkpointBytes}; returns it with the saved `extra`.
   *
   * @throws {Error} if the bytes are not a checkpoint or were made on different data.
   */
  static async fromCheckpoint(
    data: ChoraleData,
    bytes: Uint8Array,
    backend: GlassyBackend = "wasm",
  ): Promise<{ trainer: GlassyTrainer; extra: unknown }> {
    const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
    if (magic !== MAGIC) throw new Error("not a glassy checkpoint (bad magic)");
    const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
    const start = MAGIC.length + 4;
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + hlen)));
    if (
      header.data.nv !== data.nv || header.data.T !== data.train.T ||
      header.data.Ttest !== data.test.T
    ) {
      throw new Error(
        `checkpoint was made on different data (nv, T, Ttest) = ` +
          `(${header.data.nv}, ${header.data.T}, ${header.data.Ttest}), now ` +
          `(${data.nv}, ${data.train.T}, ${data.test.T})`,
      );
    }
    const body = new Float32Array(
      bytes.slice(start + hlen).buffer,
    );
    const tf = await useBackend(backend);
    const get = (name: string) => {
      const e = header.index.find((x: { name: string }) => x.name === name);
      if (!e) throw new Error(`checkpoint lacks tensor ${name}`);
      return tf.tensor2d(body.subarray(e.offset, e.offset + e.length), e.shape) as T2;
    };
    const c: FullTrainConfig = header.config;
    const L = (prefix: string, n: number) => Array.from({ length: n }, (_, l) => get(prefix + l));
    const t: Tensors = {
      Wt: get("Wt"),
      Kt: get("Kt"),
      J0t: get("J0t"),
      h: get("h"),
      H: get("H"),
      e: get("e"),
      Jt: L("Jt", c.depth - 1),
      Mt: L("Mt", c.depth),
      mu: L("mu", c.depth),
      m: L("m", c.depth),
      delta: L("delta", c.depth),
      n: L("n", c.depth),
      muTest: L("muTest", c.depth),
      mTest: L("mTest", c.depth),
    };
    const trainer = new GlassyTrainer(tf, data, c, t);
    trainer.steps = header.steps;
    trainer.tau = header.tau;
    trainer.records = header.records;
    return { trainer, extra: header.extra };
  }

  /** Frees all tensors. */
  dispose(): void {
    const t = this.#t;
    this.#tf.dispose([
      t.Wt,
      t.Kt,
      t.J0t,
      t.h,
      t.H,
      t.e,
      ...t.Jt,
      ...t.Mt,
      ...t.mu,
      ...t.m,
      ...t.delta,
      ...t.n,
      ...t.muTest,
      ...t.mTest,
      this.#x,
      this.#s,
      this.#startKeep,
      this.#endKeep,
      this.#xTest,
      this.#sTest,
      this.#startKeepTest,
    ]);
  }
}

/**
 * Σ over the (na × nb) parameters of the population variance over t of a(t) b(t)ᵀ (§6.4, §8):
 * (1/T) Σ_t |a(t)|² |b(t)|² − ‖(1/T) Σ_t a(t) b(t)ᵀ‖²_F, in float64. A and B are time-major
 * (T × na), (T × nb).
 */
export function outerProductVarianceSum(
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  T: number,
  na: number,
  nb: number,
): number {
  if (A.length !== T * na || B.length !== T * nb) {
    throw new RangeError(
      `A, B must be T×na, T×nb = ${T * na}, ${T * nb}; got ${A.length}, ${B.length}`,
    );
  }
  let sq = 0;
  const mean = new Float64Array(na * nb);
  const a = new Float64Array(na);
  for (let t = 0; t < T; t++) {
    let a2 = 0;
    let b2 = 0;
    for (let i = 0; i < na; i++) {
      a[i] = A[t * na + i];
      a2 += a[i] * a[i];
    }
    for (let j = 0; j < nb; j++) b2 += B[t * nb + j] * B[t * nb + j];
    sq += a2 * b2;
    for (let i = 0; i < na; i++) {
      const ai = a[i];
      if (ai === 0) continue;
      const row = i * nb;
      for (let j = 0; j < nb; j++) mean[row + j] += ai * B[t * nb + j];
    }
  }
  let m2 = 0;
  for (const v of mean) m2 += (v / T) ** 2;
  return sq / T - m2;
}
