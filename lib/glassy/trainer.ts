/**
 * The glassy training run (`docs/glassy-dynamics.md` §4): one (d, w) network on one data set,
 * trained by the authors' relaxation SGD on a compute engine (`engine.ts`; default the float32
 * SIMD engine on two threads). One step s:
 *
 * 1. η(s) = η0·sin(πs/(2·warmup)) for s < warmup, else η0; τ += η (§4.1).
 * 2. a minibatch of `batchSize` distinct columns from `Rng(deriveSeed(seed, s))`;
 *    W += η Σ e xᵀ/mbs, K += η Σ e μ_dᵀ/mbs, h += η Σ e/mbs, J0 += η Σ δ_1 xᵀ/mbs,
 *    J_l += η Σ δ_{l+1} μ_lᵀ/mbs, M_l += η Σ δ_l m_lᵀ/mbs (§4.4);
 * 3. all T columns recomputed from the held states: μ_l = tanh(J μ_{l−1} + M_l m_l),
 *    m_l ← (m_l + shift_right μ_l)/2 (0 at starts), n_l ← (n_l + shift_left δ_l^old)/2 (0 at ends),
 *    H = K μ_d + W x + h, e = S − tanh H, δ_d = X_d ⊙ (M_dᵀ n_d + Kᵀ e),
 *    δ_l = X_l ⊙ (J_lᵀ δ_{l+1} + M_lᵀ n_l) (§4.5);
 * 4. every `orthInterval` steps (s > 10) each M_l is replaced by its polar factor (§4.6);
 * 5. the test states are recomputed without averaging (m_test = shift_right μ_test, §4.7) — or,
 *    with `testStates: "exact"`, not at all: the test loss then comes from Eq. (4.7.1) at records;
 * 6. every `recordInterval` steps the training and test losses (bits/unit, §5.1) are recorded.
 *
 * Runs resumed from a checkpoint continue exactly (the minibatch of step s depends on s only).
 *
 * @module
 */

import { deriveSeed, Rng } from "../random.ts";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
import {
  fullConfig,
  type FullTrainConfig,
  learningRate,
  orthogonalizesAt,
  type TrainConfig,
  type TrainRecord,
} from "./config.ts";
import type { ChoraleData } from "./data.ts";
import { arrayNames, createEngine, type EngineName, type StepEngine } from "./engine.ts";
import {
  exactState,
  type GlassyParams,
  initialGlassyParams,
  lossBits,
  type NetworkState,
  parameterCount,
} from "./model.ts";
import { noiseVariance } from "./noise.ts";

/**
 * Update directions Σ_b (…)/|b| for a set of columns, in paper orientation (tests, §4.4): one array
 * per parameter class, shaped like the parameters.
 */
export type UpdateDirections = Omit<GlassyParams, "nv" | "w" | "d">;

/** Paper orientation (r × k) → trainer orientation (k × r). */
function transposed(a: ArrayLike<number>, r: number, k: number): Float64Array {
  const out = new Float64Array(r * k);
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) out[j * r + i] = a[i * k + j];
  return out;
}

/** Trains one (d, w) network on one data set with the §4 algorithm. Call `dispose()` when done. */
export class GlassyTrainer {
  /** The full configuration. */
  readonly config: FullTrainConfig;
  /** The data it trains on. */
  readonly data: ChoraleData;
  /** Number of trained weights P (h excluded). */
  readonly P: number;
  /** The compute engine. */
  readonly engine: StepEngine;
  /** Steps done so far (the next step has index `steps`). */
  steps = 0;
  /** Learning time τ = Σ η so far. */
  tau = 0;
  /** Recorded losses. */
  records: TrainRecord[] = [];

  private constructor(data: ChoraleData, config: FullTrainConfig, engine: StepEngine) {
    this.data = data;
    this.config = config;
    this.engine = engine;
    this.P = parameterCount(data.nv, config.width, config.depth);
  }

  static async #make(data: ChoraleData, c: FullTrainConfig, engine: EngineName) {
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
    const e = await createEngine(engine, {
      data,
      depth: c.depth,
      width: c.width,
      batchSize: c.batchSize,
    });
    return new GlassyTrainer(data, c, e);
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
    engine: EngineName = "simd",
  ): Promise<GlassyTrainer> {
    const c = fullConfig(config);
    const p = initialGlassyParams(data, c, c.seed);
    return await GlassyTrainer.fromState(data, c, p, exactState(p, data.train), engine);
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
    engine: EngineName = "simd",
  ): Promise<GlassyTrainer> {
    const c = fullConfig(config);
    if (p.w !== c.width || p.d !== c.depth || p.nv !== data.nv) {
      throw new RangeError(
        `params shape (nv=${p.nv}, w=${p.w}, d=${p.d}) does not match config/data ` +
          `(nv=${data.nv}, w=${c.width}, d=${c.depth})`,
      );
    }
    const tr = await GlassyTrainer.#make(data, c, engine);
    tr.setParams(p);
    const e = tr.engine;
    const test = exactState(p, data.test);
    for (let l = 0; l < c.depth; l++) {
      e.write(`mu${l}`, state.mu[l]);
      e.write(`m${l}`, state.m[l]);
      e.write(`delta${l}`, state.delta[l]);
      e.write(`n${l}`, state.n[l]);
      e.write(`muTest${l}`, test.mu[l]);
      e.write(`mTest${l}`, test.m[l]);
    }
    e.write("H", state.H);
    e.write("e", state.e);
    return tr;
  }

  /** Overwrites the weights with `p` (paper orientation); the states are left as they are. */
  setParams(p: GlassyParams): void {
    const e = this.engine;
    const { nv, w } = p;
    e.write("Wt", transposed(p.W, nv, nv));
    e.write("Kt", transposed(p.K, nv, w));
    e.write("J0t", transposed(p.J0, w, nv));
    e.write("h", p.h);
    p.J.forEach((a, l) => e.write(`Jt${l}`, transposed(a, w, w)));
    p.M.forEach((a, l) => e.write(`Mt${l}`, transposed(a, w, w)));
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

  /**
   * The §4.4 update directions Σ_{b∈cols} (…)/|cols| at the current state, paper orientation
   * (e.g. `W = Σ e(b) x(b)ᵀ / |cols|`), in float64. The SGD step adds η times these.
   */
  updateDirections(cols: Int32Array): UpdateDirections {
    const { nv } = this.data;
    const { width: w, depth: d } = this.config;
    const st = this.state();
    const x = this.data.train.x;
    const k = cols.length;
    // Σ_b a(b) b(b)ᵀ / k with a, b time-major (T × na), (T × nb) → (na × nb)
    const outer = (a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number) => {
      const out = new Float64Array(na * nb);
      for (const t of cols) {
        for (let i = 0; i < na; i++) {
          const ai = a[t * na + i] / k;
          for (let j = 0; j < nb; j++) out[i * nb + j] += ai * b[t * nb + j];
        }
      }
      return out;
    };
    const h = new Float64Array(nv);
    for (const t of cols) for (let i = 0; i < nv; i++) h[i] += st.e[t * nv + i] / k;
    return {
      W: outer(st.e, nv, x, nv),
      K: outer(st.e, nv, st.mu[d - 1], w),
      J0: outer(st.delta[0], w, x, nv),
      J: Array.from({ length: d - 1 }, (_, l) => outer(st.delta[l + 1], w, st.mu[l], w)),
      M: Array.from({ length: d }, (_, l) => outer(st.delta[l], w, st.m[l], w)),
      h,
    };
  }

  /** One SGD step (§4); returns the record if this step records losses. */
  step(): TrainRecord | null {
    const c = this.config;
    const s = this.steps;
    const eta = this.eta(s);
    this.engine.step(eta, this.batch(s), orthogonalizesAt(c, s), c.testStates !== "exact");
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

  /**
   * Training and test losses (bits/unit, §5.1) of the current states: training from the held H,
   * test from the current test states and weights, H_test = K μ_test,d + W x_test + h. Float64 sums.
   * In the "exact" test mode the test states are those of Eq. (4.7.1) for the current weights.
   */
  losses(): { train: number; test: number } {
    const { nv } = this.data;
    const { width: w, depth: d } = this.config;
    const train = lossBits(this.engine.read("H"), this.data.train.s);
    if (this.config.testStates === "exact") return { train, test: this.exactTestLoss() };
    const Kt = this.engine.read("Kt"), Wt = this.engine.read("Wt"), h = this.engine.read("h");
    const mu = this.engine.read(`muTest${d - 1}`);
    const x = this.data.test.x;
    const Tt = this.data.test.T;
    const H = new Float64Array(Tt * nv);
    for (let t = 0; t < Tt; t++) {
      for (let i = 0; i < nv; i++) {
        let s = h[i];
        for (let j = 0; j < w; j++) s += mu[t * w + j] * Kt[j * nv + i];
        for (let k = 0; k < nv; k++) s += x[t * nv + k] * Wt[k * nv + i];
        H[t * nv + i] = s;
      }
    }
    return { train, test: lossBits(H, this.data.test.s) };
  }

  /**
   * Test loss (bits/unit, §5.1) of the exact sequential forward pass with the current weights
   * (docs/glassy-dynamics.md Eq. (4.7.1)), whatever the test mode; float64.
   */
  exactTestLoss(): number {
    return lossBits(exactState(this.params(), this.data.test).H, this.data.test.s);
  }

  /** Current parameters in float64, paper orientation. */
  params(): GlassyParams {
    const e = this.engine;
    const { nv } = this.data;
    const { width: w, depth: d } = this.config;
    return {
      nv,
      w,
      d,
      W: transposed(e.read("Wt"), nv, nv),
      K: transposed(e.read("Kt"), w, nv),
      J0: transposed(e.read("J0t"), nv, w),
      J: Array.from({ length: d - 1 }, (_, l) => transposed(e.read(`Jt${l}`), w, w)),
      M: Array.from({ length: d }, (_, l) => transposed(e.read(`Mt${l}`), w, w)),
      h: Float64Array.from(e.read("h")),
    };
  }

  /** The current training states (float64 copies; H, e, μ, m, δ, n). */
  state(): NetworkState {
    const e = this.engine;
    const d = this.config.depth;
    const L = (p: string) => Array.from({ length: d }, (_, l) => Float64Array.from(e.read(p + l)));
    return {
      mu: L("mu"),
      m: L("m"),
      delta: L("delta"),
      n: L("n"),
      H: Float64Array.from(e.read("H")),
      e: Float64Array.from(e.read("e")),
    };
  }

  /**
   * All P trained weights (h excluded; §6) as one float64 vector. The order is internal but fixed,
   * which is all the mean-square displacement needs.
   */
  weights(): Float64Array {
    const d = this.config.depth;
    const names = ["Wt", "Kt", "J0t", ...arrayNames(d).filter((n) => /^(Jt|Mt)\d/.test(n))];
    const out = new Float64Array(this.P);
    let o = 0;
    for (const n of names) {
      const v = this.engine.read(n);
      out.set(v, o);
      o += v.length;
    }
    return out;
  }

  /** Per-step SGD noise variance per parameter at the current state (§6.4; see `noise.ts`). */
  noiseVariance(eta = this.config.eta0): number {
    const st = this.state();
    return noiseVariance(this.data, st, { ...this.config, P: this.P }, eta);
  }

  /** Serialises the full trainer state (weights, states, counters, records) plus `extra` JSON. */
  checkpointBytes(extra: unknown = null): Uint8Array {
    const e = this.engine;
    return encodeCheckpoint(
      {
        config: this.config,
        steps: this.steps,
        tau: this.tau,
        records: this.records,
        data: { nv: this.data.nv, T: this.data.train.T, Ttest: this.data.test.T },
        extra,
      },
      arrayNames(this.config.depth).map((name) => ({
        name,
        shape: e.shape(name),
        values: e.read(name),
      })),
    );
  }

  /**
   * Restores a trainer from {@linkcode checkpointBytes}; returns it with the saved `extra`.
   *
   * @throws {Error} if the bytes are not a checkpoint or were made on different data.
   */
  static async fromCheckpoint(
    data: ChoraleData,
    bytes: Uint8Array,
    engine: EngineName = "simd",
  ): Promise<{ trainer: GlassyTrainer; extra: unknown }> {
    const { header, get } = decodeCheckpoint(bytes);
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
    const trainer = await GlassyTrainer.#make(data, fullConfig(header.config), engine);
    for (const name of arrayNames(header.config.depth)) trainer.engine.write(name, get(name));
    trainer.steps = header.steps;
    trainer.tau = header.tau;
    trainer.records = header.records;
    return { trainer, extra: header.extra };
  }

  /** Frees the engine (buffers, worker). */
  dispose(): void {
    this.engine.dispose();
  }
}
