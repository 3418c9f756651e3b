/**
 * Gradient descent on the single parameter r of the canonical model (docs/ghost-mechanism.md
 * §1.5–§1.6, Fig 2): single runs with full histories (analytic or simulated-loss gradient), batched
 * runs over many (α, r0) pairs, the learning-rate sweep of Fig 2d, the fraction of runs trapped in
 * the no-learning zone and a bisection measurement of the critical learning rate of the analytic
 * map.
 *
 * Losses reported here are the plotted L/T; the gradient used for the update follows the
 * `normalized` flag (default false = the reference code's un-normalised gradient).
 *
 * @module
 */

import { deriveSeed, Rng } from "../random.ts";
import {
  alphaCritical,
  analyticGradient,
  analyticLoss,
  noLearningBoundary,
  rStar,
} from "./analytic.ts";
import { canonicalTask, type CanonicalTaskOptions, taskLossAndGradient } from "./simulate.ts";
import { requireFiniteArray, requireInteger, requirePositive } from "../validate.ts";
import { logspace } from "../numeric.ts";

/** Options of a single gradient-descent run. */
export interface DescentOptions {
  /** Delay T, default 100. */
  T?: number;
  /** Learning rate α > 0. */
  alpha: number;
  /** Initial r; default 10r*. */
  r0?: number;
  /** Number of epochs (gradient steps), default 3000. */
  epochs?: number;
  /**
   * `"analytic"` (default, docs/ghost-mechanism.md §1.5) or `"simulated"` (adjoint gradient of the
   * Euler loss).
   */
  gradient?: "analytic" | "simulated";
  /** Descend L/T instead of L (gradient divided by T), default false. */
  normalized?: boolean;
  /** Task options for the simulated gradient (T is taken from `T`). */
  task?: Omit<CanonicalTaskOptions, "T">;
}

/** History of a single run. */
export interface DescentHistory {
  T: number;
  alpha: number;
  gradient: "analytic" | "simulated";
  /** Epochs 0 … E. */
  epoch: number[];
  /** r at each epoch. */
  r: number[];
  /** L/T at each epoch: the analytic landscape for analytic runs, the simulated loss otherwise. */
  loss: number[];
  /** Whether r ended in the no-learning zone r < r* / 4. */
  stuck: boolean;
}

/**
 * Plain gradient descent r ← r − α·dL/dr on the canonical model (docs/ghost-mechanism.md §1.5–§1.6,
 * Fig 2 panels b–c).
 *
 * @throws {RangeError} for α ≤ 0, T ≤ 0, non-finite r0, or a non-integer epoch count < 0.
 */
export function gradientDescent(opts: DescentOptions): DescentHistory {
  const T = opts.T ?? 100;
  requirePositive("T", T);
  requirePositive("alpha", opts.alpha);
  const epochs = opts.epochs ?? 3000;
  requireInteger("epochs", epochs, 0);
  const r0 = opts.r0 ?? 10 * rStar(T);
  requireFiniteArray("r0", [r0]);
  const kind = opts.gradient ?? "analytic";
  if (kind !== "analytic" && kind !== "simulated") {
    throw new RangeError(`gradient must be "analytic" or "simulated", got ${kind}`);
  }
  const normalized = opts.normalized ?? false;
  const task = kind === "simulated" ? canonicalTask({ ...opts.task, T }) : null;
  const epoch: number[] = [];
  const r: number[] = [];
  const loss: number[] = [];
  let cur = r0;
  for (let e = 0; e <= epochs; e++) {
    let g: number;
    let l: number;
    if (kind === "analytic") {
      g = analyticGradient(cur, T, { normalized });
      l = analyticLoss(cur, T, { normalized: true });
    } else {
      const lg = taskLossAndGradient(cur, task!);
      g = normalized ? lg.gradient / T : lg.gradient;
      l = lg.loss / T;
    }
    epoch.push(e);
    r.push(cur);
    loss.push(l);
    if (e < epochs) cur = cur - opts.alpha * g;
  }
  return {
    T,
    alpha: opts.alpha,
    gradient: kind,
    epoch,
    r,
    loss,
    stuck: cur < noLearningBoundary(T),
  };
}

/** Options of {@linkcode batchedGradientDescent}. */
export interface BatchOptions {
  /** Delay T, default 100. */
  T?: number;
  /** Learning rate of each run. */
  alpha: ArrayLike<number>;
  /** Initial r of each run (same length as `alpha`). */
  r0: ArrayLike<number>;
  /** Number of epochs. */
  epochs: number;
  /** Epochs at which r and L/T are recorded (each in [0, epochs]); default [epochs]. */
  recordEpochs?: number[];
  /** Descend L/T instead of L, default false. */
  normalized?: boolean;
}

/** Result of {@linkcode batchedGradientDescent}. */
export interface BatchResult {
  T: number;
  epochs: number;
  recordEpochs: number[];
  alpha: number[];
  r0: number[];
  /** r[i][j]: r of run j at recordEpochs[i]. */
  r: number[][];
  /** loss[i][j]: analytic L/T of run j at recordEpochs[i]. */
  loss: number[][];
  /** Final r of each run. */
  finalR: number[];
  /** Whether each run ended in the no-learning zone r < r* / 4. */
  stuck: boolean[];
  /** Epoch at which each run entered the zone (null if it never did). */
  stuckEpoch: (number | null)[];
}

/**
 * Many independent gradient-descent runs with the analytic gradient (docs/ghost-mechanism.md §1.5)
 * at once, one per (α, r0) pair, with r and L/T recorded at chosen epochs. A run that enters the
 * no-learning zone (gradient exactly 0) is frozen there, so it stops being iterated.
 */
export function batchedGradientDescent(opts: BatchOptions): BatchResult {
  const T = opts.T ?? 100;
  requirePositive("T", T);
  requireFiniteArray("alpha", opts.alpha);
  requireFiniteArray("r0", opts.r0);
  if (opts.alpha.length !== opts.r0.length) {
    throw new RangeError(
      `r0 must have the same length as alpha (${opts.alpha.length}), got ${opts.r0.length}`,
    );
  }
  for (let j = 0; j < opts.alpha.length; j++) requirePositive(`alpha[${j}]`, opts.alpha[j]);
  requireInteger("epochs", opts.epochs, 0);
  const recordEpochs = opts.recordEpochs ?? [opts.epochs];
  for (const e of recordEpochs) {
    if (!Number.isInteger(e) || e < 0 || e > opts.epochs) {
      throw new RangeError(
        `recordEpochs entries must be integers in [0, ${opts.epochs}], got ${e}`,
      );
    }
  }
  const normalized = opts.normalized ?? false;
  const rs = rStar(T);
  const zone = rs / 4;
  const n = opts.alpha.length;
  const byEpoch = new Map<number, number[]>();
  recordEpochs.forEach((e, i) => {
    const l = byEpoch.get(e) ?? [];
    l.push(i);
    byEpoch.set(e, l);
  });
  const R = recordEpochs.map(() => new Array<number>(n));
  const finalR: number[] = new Array(n);
  const stuckEpoch: (number | null)[] = new Array(n).fill(null);
  for (let j = 0; j < n; j++) {
    const a = opts.alpha[j];
    let r = opts.r0[j];
    let e = 0;
    for (; e <= opts.epochs; e++) {
      const rec = byEpoch.get(e);
      if (rec) { for (const i of rec) R[i][j] = r; }
      if (r < zone) {
        stuckEpoch[j] = e;
        break;
      }
      if (e === opts.epochs) break;
      // Same piecewise gradient (and arithmetic) as analyticGradient, inlined for speed.
      let g = Math.PI / (4 * r * Math.sqrt(r));
      if (normalized) g = g / T;
      r = r > rs ? r - a * g : r - a * -g;
    }
    if (stuckEpoch[j] !== null) {
      for (const [ep, idx] of byEpoch) if (ep > e) { for (const i of idx) R[i][j] = r; }
    }
    finalR[j] = r;
  }
  const loss = R.map((row) => row.map((r) => analyticLoss(r, T, { normalized: true })));
  return {
    T,
    epochs: opts.epochs,
    recordEpochs: [...recordEpochs],
    alpha: Array.from(opts.alpha),
    r0: Array.from(opts.r0),
    r: R,
    loss,
    finalR,
    stuck: finalR.map((r) => r < zone),
    stuckEpoch,
  };
}

/** Options of the Fig 2d learning-rate sweep; defaults are the paper's grid. */
export interface SweepOptions {
  /** Delay T, default 100. */
  T?: number;
  /** Learning rates, default logspace(−11, −8, 100). */
  alphas?: number[];
  /** Noisy starts per α, default 10. */
  starts?: number;
  /** Epochs, default 10 000. */
  epochs?: number;
  /** Epochs at which mean ± SEM are reported, default [1000, 2000, 3000, 5000, 10000]. */
  recordEpochs?: number[];
  /** Base seed; starts of α index i use Rng(deriveSeed(seed, i)). Default 0. */
  seed?: number;
  /** r0 = r0Factor·r* + N(0, (r0Noise·r*)²); defaults 10 and 0.1. */
  r0Factor?: number;
  /** See r0Factor. */
  r0Noise?: number;
}

/** Result of {@linkcode alphaSweep}. */
export interface SweepResult {
  T: number;
  alphas: number[];
  starts: number;
  epochs: number;
  recordEpochs: number[];
  /** mean[i][a]: mean L/T over starts at recordEpochs[i] for alphas[a]. */
  mean: number[][];
  /** sem[i][a]: std (ddof = 0, as the reference code) / √starts. */
  sem: number[][];
  /** Fraction of the starts of each α that ended in the no-learning zone. */
  stuckFraction: number[];
  /** The analytic α_c (un-normalised convention). */
  alphaCritical: number;
}

/**
 * The learning-rate sweep of Fig 2d (docs/ghost-mechanism.md §3 Figure 2): for every α, `starts`
 * runs from r0 = 10r* + N(0, (r* / 10)²) with the analytic gradient; loss L/T mean ± SEM at chosen
 * epochs.
 */
export function alphaSweep(opts: SweepOptions = {}): SweepResult {
  const T = opts.T ?? 100;
  requirePositive("T", T);
  const alphas = opts.alphas ?? logspace(-11, -8, 100);
  const starts = opts.starts ?? 10;
  requireInteger("starts", starts, 1);
  const epochs = opts.epochs ?? 10_000;
  const recordEpochs = opts.recordEpochs ?? [1000, 2000, 3000, 5000, 10000];
  const seed = opts.seed ?? 0;
  requireInteger("seed", seed, 0);
  const f = opts.r0Factor ?? 10;
  const noise = opts.r0Noise ?? 0.1;
  requirePositive("r0Factor", f);
  requireFiniteArray("r0Noise", [noise]);
  const rs = rStar(T);
  const alpha: number[] = [];
  const r0: number[] = [];
  alphas.forEach((a, i) => {
    const rng = new Rng(deriveSeed(seed, i));
    for (let k = 0; k < starts; k++) {
      alpha.push(a);
      r0.push(f * rs + rng.normal({ std: noise * rs }));
    }
  });
  const res = batchedGradientDescent({ T, alpha, r0, epochs, recordEpochs });
  const mean = res.loss.map((row) =>
    alphas.map((_, i) => {
      let s = 0;
      for (let k = 0; k < starts; k++) s += row[i * starts + k];
      return s / starts;
    })
  );
  const sem = res.loss.map((row, e) =>
    alphas.map((_, i) => {
      let s = 0;
      for (let k = 0; k < starts; k++) s += (row[i * starts + k] - mean[e][i]) ** 2;
      return Math.sqrt(s / starts) / Math.sqrt(starts);
    })
  );
  const stuckFraction = alphas.map((_, i) => {
    let s = 0;
    for (let k = 0; k < starts; k++) s += res.stuck[i * starts + k] ? 1 : 0;
    return s / starts;
  });
  return {
    T,
    alphas: [...alphas],
    starts,
    epochs,
    recordEpochs: res.recordEpochs,
    mean,
    sem,
    stuckFraction,
    alphaCritical: alphaCritical(T),
  };
}

/**
 * `n` starting points spread evenly across (lo·r*, hi·r*] (default (r*, 10r*]): r0_i = r*(lo +
 * (hi − lo)·i/n), i = 1 … n.
 */
export function spreadStarts(T: number, n: number, lo = 1, hi = 10): number[] {
  requireInteger("n", n, 1);
  requirePositive("lo", lo);
  if (!(hi > lo) || !Number.isFinite(hi)) {
    throw new RangeError(`hi must be > lo = ${lo}, got ${hi}`);
  }
  const rs = rStar(T);
  return Array.from({ length: n }, (_, i) => rs * (lo + ((hi - lo) * (i + 1)) / n));
}

/** Options of {@linkcode stuckFraction} and {@linkcode measureCriticalAlpha}. */
export interface CriticalOptions {
  /** Starting points; default spreadStarts(T, starts) across (r*, 10r*]. */
  r0?: number[];
  /** Number of evenly spread starts when `r0` is not given, default 50. */
  starts?: number;
  /** Epochs per run, default 20 000. */
  epochs?: number;
  /** Descend L/T instead of L, default false. */
  normalized?: boolean;
}

/**
 * Fraction of GD runs (analytic gradient, one per start) that end in the no-learning zone
 * r < r* / 4 after `epochs` epochs at learning rate α (docs/ghost-mechanism.md §1.6).
 */
export function stuckFraction(T: number, alpha: number, opts: CriticalOptions = {}): number {
  requirePositive("alpha", alpha);
  const r0 = opts.r0 ?? spreadStarts(T, opts.starts ?? 50);
  const res = batchedGradientDescent({
    T,
    alpha: r0.map(() => alpha),
    r0,
    epochs: opts.epochs ?? 20_000,
    normalized: opts.normalized,
  });
  return res.stuck.filter((s) => s).length / r0.length;
}

/** Result of {@linkcode measureCriticalAlpha}. */
export interface CriticalMeasurement {
  T: number;
  /** Measured critical α: geometric midpoint of the final bracket. */
  alpha: number;
  /** Largest α tried with stuck fraction < 1/2. */
  lo: number;
  /** Smallest α tried with stuck fraction ≥ 1/2. */
  hi: number;
  /** Number of bisection steps. */
  iterations: number;
  /** The analytic α_c in the same convention, for comparison. */
  analytic: number;
}

/**
 * Measures the critical learning rate by log-bisection on α of the predicate "at least half of the
 * runs end in the no-learning zone" (docs/ghost-mechanism.md §1.6). The initial bracket is
 * [α_c·10⁻⁶, α_c·10⁶] (the analytic value only centres a 12-decade bracket; both ends are checked).
 *
 * @param relTol stop when hi/lo − 1 < relTol (default 1e-4).
 * @throws {Error} if the bracket does not straddle the transition.
 */
export function measureCriticalAlpha(
  T: number,
  opts: CriticalOptions & { relTol?: number; bracket?: [number, number] } = {},
): CriticalMeasurement {
  requirePositive("T", T);
  const relTol = opts.relTol ?? 1e-4;
  requirePositive("relTol", relTol);
  const ac = alphaCritical(T, { normalized: opts.normalized });
  let [lo, hi] = opts.bracket ?? [ac * 1e-6, ac * 1e6];
  requirePositive("bracket[0]", lo);
  requirePositive("bracket[1]", hi);
  const stuck = (a: number) => stuckFraction(T, a, opts) >= 0.5;
  if (stuck(lo) || !stuck(hi)) {
    throw new Error(`bracket [${lo}, ${hi}] does not straddle the critical learning rate`);
  }
  let iterations = 0;
  while (hi / lo - 1 > relTol) {
    const mid = Math.sqrt(lo * hi);
    if (stuck(mid)) hi = mid;
    else lo = mid;
    iterations++;
  }
  return { T, alpha: Math.sqrt(lo * hi), lo, hi, iterations, analytic: ac };
}

/** Stuck fraction as a function of α/α_c for one T (see {@linkcode stuckFractionCurve}). */
export interface StuckCurve {
  T: number;
  /** α/α_c(T) values. */
  ratio: number[];
  /** Fraction of runs ending in the no-learning zone at each ratio. */
  fraction: number[];
}

/**
 * Fraction of runs trapped in the no-learning zone for α = ratio·α_c(T), for each ratio
 * (docs/ghost-mechanism.md §1.6: a sharp 0 → 1 step at ratio 1, the same for every T by scale
 * invariance).
 */
export function stuckFractionCurve(
  T: number,
  ratios: number[],
  opts: CriticalOptions = {},
): StuckCurve {
  requireFiniteArray("ratios", ratios);
  const ac = alphaCritical(T, { normalized: opts.normalized });
  return {
    T,
    ratio: [...ratios],
    fraction: ratios.map((q) => stuckFraction(T, q * ac, opts)),
  };
}
