/**
 * The aging observable Δ(τ_w, τ) of Hertz & Tyrcha (docs/glassy-dynamics.md §6).
 *
 * After the waiting time τ_w the weights w(τ_w) (h excluded) are stored; after every later step s
 * the mean-square displacement D(s) = (1/P) Σ_p (w_p(s) − w_p(τ_w))² is compared with the per-step
 * SGD noise variance σ² (re-estimated every `noiseInterval` steps, §6.4):
 * Δ = Σ_steps [D(s) − D(s−1)] / σ²(current block). Within a block σ² is constant, so the sum
 * telescopes (§6.5, §8): Δ = Σ_blocks [D(end of block) − D(before block)] / σ²_block — D is only
 * needed at block boundaries and record points, and everything is accumulated in float64.
 *
 * A free random walk driven only by SGD noise gives Δ = number of steps since τ_w.
 *
 * @module
 */

/** Serialisable state of an {@linkcode AgingTracker}. */
export interface AgingTrackerState {
  /** τ_w (learning time at which the reference weights were stored). */
  tauW: number;
  /** Global step index of the first aging step. */
  stepW: number;
  noiseInterval: number;
  recordInterval: number;
  /** Reference weights w(τ_w) (number[] for JSON). */
  reference: number[];
  /** Σ over completed blocks. */
  blockSum: number;
  /** D just before the current block. */
  dBefore: number;
  /** σ² of the current block (NaN before the first estimate). */
  sigma2: number;
  /** Recorded points. */
  record: AgingRecord;
}

/** Recorded aging curve (every `recordInterval` aging steps, starting with the first). */
export interface AgingRecord {
  /** Aging steps done at each record (j + 1 for aging step j). */
  steps: number[];
  /** Elapsed learning time τ − τ_w. */
  elapsed: number[];
  /** Δ(τ_w, τ). */
  delta: number[];
  /** D (mean-square displacement since τ_w). */
  D: number[];
  /** σ² in force at each record. */
  sigma2: number[];
}

function msd(w: ArrayLike<number>, ref: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = w[i] - ref[i];
    s += d * d;
  }
  return s / ref.length;
}

/**
 * Tracks Δ(τ_w, ·) for one waiting time (§6.5). Drive it once per aging step j = s − stepW
 * (after the step's update): if {@linkcode needsNoise}, pass the current σ²; if
 * {@linkcode needsWeights}, pass the current weights.
 */
export class AgingTracker {
  #st: AgingTrackerState;
  #ref: Float64Array;

  /**
   * @param reference weights at τ_w (copied).
   * @param stepW global index of the first aging step.
   * @throws {RangeError} for non-positive intervals or an empty reference.
   */
  constructor(
    reference: ArrayLike<number>,
    tauW: number,
    stepW: number,
    noiseInterval = 2000,
    recordInterval = 500,
  ) {
    if (reference.length === 0) throw new RangeError("reference must be non-empty");
    for (
      const [name, v] of [["noiseInterval", noiseInterval], ["recordInterval", recordInterval]]
    ) {
      if (!Number.isInteger(v) || (v as number) < 1) {
        throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
      }
    }
    if (!Number.isInteger(stepW) || stepW < 0) {
      throw new RangeError(`stepW must be an integer >= 0, got ${stepW}`);
    }
    this.#ref = Float64Array.from(reference);
    this.#st = {
      tauW,
      stepW,
      noiseInterval,
      recordInterval,
      reference: [],
      blockSum: 0,
      dBefore: 0,
      sigma2: NaN,
      record: { steps: [], elapsed: [], delta: [], D: [], sigma2: [] },
    };
  }

  /** τ_w. */
  get tauW(): number {
    return this.#st.tauW;
  }
  /** Global step of the first aging step. */
  get stepW(): number {
    return this.#st.stepW;
  }
  /** The recorded curve. */
  get record(): AgingRecord {
    return this.#st.record;
  }

  /** Whether global step s is the first step of a noise block (σ² must be given). */
  needsNoise(s: number): boolean {
    const j = s - this.#st.stepW;
    return j >= 0 && j % this.#st.noiseInterval === 0;
  }

  /** Whether global step s needs the weights (a record point or the last step of a block). */
  needsWeights(s: number): boolean {
    const j = s - this.#st.stepW;
    if (j < 0) return false;
    return j % this.#st.recordInterval === 0 || (j + 1) % this.#st.noiseInterval === 0;
  }

  /**
   * Processes global step s (after its update).
   *
   * @param elapsed learning time τ − τ_w after this step.
   * @param sigma2 current σ² (required when {@linkcode needsNoise}).
   * @param weights current weights (required when {@linkcode needsWeights}).
   * @throws {Error} if a required input is missing or σ² is not positive.
   */
  observe(s: number, elapsed: number, sigma2?: number, weights?: ArrayLike<number>): void {
    const st = this.#st;
    const j = s - st.stepW;
    if (j < 0) return;
    if (this.needsNoise(s)) {
      if (sigma2 === undefined || !(sigma2 > 0)) {
        throw new Error(`aging step ${j} starts a noise block: sigma2 must be > 0, got ${sigma2}`);
      }
      st.sigma2 = sigma2;
    }
    if (!this.needsWeights(s)) return;
    if (weights === undefined || weights.length !== this.#ref.length) {
      throw new Error(`aging step ${j} needs the ${this.#ref.length} current weights`);
    }
    const D = msd(weights, this.#ref);
    if (j % st.recordInterval === 0) {
      const r = st.record;
      r.steps.push(j + 1);
      r.elapsed.push(elapsed);
      r.delta.push(st.blockSum + (D - st.dBefore) / st.sigma2);
      r.D.push(D);
      r.sigma2.push(st.sigma2);
    }
    if ((j + 1) % st.noiseInterval === 0) {
      st.blockSum += (D - st.dBefore) / st.sigma2;
      st.dBefore = D;
    }
  }

  /** JSON-serialisable state (includes the reference weights). */
  toJSON(): AgingTrackerState {
    return { ...this.#st, reference: Array.from(this.#ref) };
  }

  /** Restores a tracker from {@linkcode toJSON}. */
  static fromJSON(s: AgingTrackerState): AgingTracker {
    const t = new AgingTracker(s.reference, s.tauW, s.stepW, s.noiseInterval, s.recordInterval);
    t.#st = { ...s, reference: [], record: structuredClone(s.record) };
    return t;
  }
}

/** What {@linkcode orthogonalisationJumps} measures on one Δ curve. */
export interface OrthJumps {
  /** Median over adjacent interval pairs of J/r: one re-orthogonalisation in ordinary steps. */
  jumpInSteps: number;
  /** Median ordinary per-step rate r of Δ over the pairs. */
  stepRate: number;
  /** Adjacent record-interval pairs with equal length and different re-orthogonalisation counts. */
  pairs: number;
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The jumps of Δ at the steps that end with the re-orthogonalisation of M, measured from a
 * recorded Δ curve by Eq. (6.7.1) of docs/glassy-dynamics.md §6.7: adjacent record intervals of
 * equal length with different numbers of such steps give the jump J and the ordinary per-step
 * rate r. `orthAt(s)` says whether global step s ends with a re-orthogonalisation (the trainer's
 * `orthogonalizesAt`); aging step j is global step `waitSteps + j`. NaN fields when no interval pair
 * separates the two (e.g. every interval holds the same number of re-orthogonalisations).
 */
export function orthogonalisationJumps(
  curve: { steps: number[]; delta: number[]; waitSteps: number },
  orthAt: (s: number) => boolean,
): OrthJumps {
  const { steps, delta, waitSteps } = curve;
  if (steps.length !== delta.length) {
    throw new RangeError(
      `steps and delta must have equal lengths, got ${steps.length}, ${delta.length}`,
    );
  }
  // interval k (k ≥ 1): aging steps steps[k-1] … steps[k]-1, Δ increment delta[k] − delta[k-1]
  const iv: { L: number; n: number; inc: number }[] = [];
  for (let k = 1; k < steps.length; k++) {
    let n = 0;
    for (let j = steps[k - 1]; j < steps[k]; j++) if (orthAt(waitSteps + j)) n++;
    iv.push({ L: steps[k] - steps[k - 1], n, inc: delta[k] - delta[k - 1] });
  }
  const ratios: number[] = [];
  const rates: number[] = [];
  for (let k = 0; k + 1 < iv.length; k++) {
    const a = iv[k], b = iv[k + 1];
    if (a.L !== b.L || a.n === b.n) continue;
    const J = (a.inc - b.inc) / (a.n - b.n);
    const r = (a.inc + b.inc - J * (a.n + b.n)) / (2 * a.L);
    if (!(r > 0)) continue;
    ratios.push(J / r);
    rates.push(r);
  }
  return {
    jumpInSteps: median(ratios),
    stepRate: median(rates),
    pairs: ratios.length,
  };
}
