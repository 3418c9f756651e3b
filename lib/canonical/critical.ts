/**
 * The critical learning rate of the *simulated* canonical model at finite output confidence c
 * (docs/ghost-mechanism.md §1.3, §1.6): gradient descent on r with the exact adjoint gradient of
 * the Euler-discretised task (Δt = 0.1 by default), a stated trapping criterion, a bracket search
 * on α that checks monotonicity and reports non-monotone stretches, and the power law α*(T) = A·T^p
 * with uncertainties (least-squares residuals and a bootstrap over the starts).
 *
 * Unlike the analytic c → ∞ map ({@linkcode measureCriticalAlpha}), whose exponent is −5 by scale
 * invariance, nothing here is scale-invariant: x* = 10 and the read-out width 1/c are fixed in x
 * while r* = π²/(4T²) shrinks with T, so the measured exponent can differ from −5.
 *
 * @module
 */

import { deriveSeed, Rng } from "../random.ts";
import { requireFiniteArray, requireInteger, requirePositive } from "../validate.ts";
import { alphaCritical, noLearningBoundary } from "./analytic.ts";
import { gradientDescent, spreadStarts } from "./learning.ts";
import type { CanonicalTaskOptions } from "./simulate.ts";

/** Options of the finite-confidence trapping runs (docs/ghost-mechanism.md §1.6). */
export interface SimulatedTrappingOptions {
  /** Output confidence c > 0 of the read-out σ(c(x − x*)). */
  c: number;
  /** Number of starts, spread evenly in (lo·r*, hi·r*] (see `startRange`), default 12. */
  starts?: number;
  /** Start range [lo, hi] in units of r*, default [1, 4] ([inferred]: our choice). */
  startRange?: [number, number];
  /** Gradient-descent epochs per run, default 400. */
  epochs?: number;
  /**
   * Trapping criterion: a run is trapped iff r < r* / 4 at every one of the last
   * ⌈tailFraction·epochs⌉ recorded epochs (default 0.25). At finite c the gradient in the zone is
   * small but not 0, so a run can leave the zone again; this criterion counts only runs that stay.
   */
  tailFraction?: number;
  /** Other task options (Δt, x*, clip; default the reference code's). */
  task?: Omit<CanonicalTaskOptions, "T" | "c">;
}

/** The trapping-run options with their defaults filled in (recorded in every measurement). */
export interface ResolvedTrappingOptions {
  c: number;
  starts: number;
  startRange: [number, number];
  epochs: number;
  tailFraction: number;
  task: Omit<CanonicalTaskOptions, "T" | "c">;
}

function resolveTrapping(opts: SimulatedTrappingOptions): ResolvedTrappingOptions {
  if (opts === null || typeof opts !== "object") {
    throw new TypeError("options must be an object with at least the confidence c");
  }
  requirePositive("c", opts.c);
  const starts = opts.starts ?? 12;
  requireInteger("starts", starts, 1);
  const startRange = opts.startRange ?? [1, 4];
  const epochs = opts.epochs ?? 400;
  requireInteger("epochs", epochs, 1);
  const tailFraction = opts.tailFraction ?? 0.25;
  if (!(tailFraction > 0 && tailFraction <= 1)) {
    throw new RangeError(`tailFraction must be in (0, 1], got ${tailFraction}`);
  }
  return { c: opts.c, starts, startRange, epochs, tailFraction, task: opts.task ?? {} };
}

/**
 * Runs gradient descent with the exact simulated-loss gradient at confidence c from every start and
 * applies the trapping criterion (see {@linkcode SimulatedTrappingOptions.tailFraction}); returns
 * one flag per start (docs/ghost-mechanism.md §1.6).
 *
 * @throws {RangeError} for T ≤ 0, α ≤ 0, c ≤ 0 or invalid run options.
 */
export function simulatedTrapping(
  T: number,
  alpha: number,
  opts: SimulatedTrappingOptions,
): boolean[] {
  requirePositive("T", T);
  requirePositive("alpha", alpha);
  return trappedRuns(T, alpha, resolveTrapping(opts));
}

function trappedRuns(T: number, alpha: number, o: ResolvedTrappingOptions): boolean[] {
  const zone = noLearningBoundary(T);
  const tail = Math.ceil(o.tailFraction * o.epochs);
  return spreadStarts(T, o.starts, o.startRange[0], o.startRange[1]).map((r0) => {
    const h = gradientDescent({
      T,
      alpha,
      r0,
      epochs: o.epochs,
      gradient: "simulated",
      task: { ...o.task, c: o.c },
    });
    return h.r.slice(-tail).every((r) => r < zone);
  });
}

/** One evaluated learning rate of the bracket search. */
export interface TrappingEvaluation {
  /** Learning rate α. */
  alpha: number;
  /** Fraction of the starts trapped at α. */
  fraction: number;
  /** Trapping flag of each start (same order as the starts). */
  trapped: boolean[];
}

/** A stretch of the evaluated α grid where the trapped fraction decreases as α grows. */
export interface NonMonotoneStretch {
  /** Smaller α of the pair. */
  alphaFrom: number;
  /** Larger α of the pair. */
  alphaTo: number;
  /** Trapped fraction at alphaFrom. */
  fractionFrom: number;
  /** Trapped fraction at alphaTo (< fractionFrom). */
  fractionTo: number;
}

/** Result of {@linkcode measureSimulatedCriticalAlpha}. */
export interface SimulatedCriticalMeasurement {
  T: number;
  /** Confidence c. */
  c: number;
  /** Measured critical α*: geometric midpoint of the final bracket [lo, hi]. */
  alpha: number;
  /** Largest evaluated α below the first crossing (trapped fraction < 1/2). */
  lo: number;
  /** Smallest evaluated α at the first crossing (trapped fraction ≥ 1/2). */
  hi: number;
  /** The analytic c → ∞ value α_c = 3π⁴/(32T⁵). */
  analytic: number;
  /** α* / α_c. */
  ratio: number;
  /** Every evaluated α (scan and bisection), sorted by α. */
  evaluations: TrappingEvaluation[];
  /**
   * Where the trapped fraction decreases between neighbouring evaluated α (reported, not fatal).
   */
  nonMonotone: NonMonotoneStretch[];
  /** The run options used (defaults filled in). */
  options: ResolvedTrappingOptions;
}

/** Options of {@linkcode measureSimulatedCriticalAlpha}. */
export interface SimulatedCriticalOptions extends SimulatedTrappingOptions {
  /** Search bracket as multiples of α_c, default [1/30, 30]. */
  bracket?: [number, number];
  /** Log-spaced scan points over the bracket before bisecting, default 7. */
  scanPoints?: number;
  /** Bisect until hi/lo − 1 < relTol, default 0.02. */
  relTol?: number;
}

function fractionOf(flags: boolean[], idx?: ArrayLike<number>): number {
  if (!idx) return flags.filter((f) => f).length / flags.length;
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += flags[idx[i]] ? 1 : 0;
  return s / idx.length;
}

/** Index of the first evaluation with fraction ≥ 1/2 (−1 if none). */
function firstCrossing(fractions: number[]): number {
  return fractions.findIndex((f) => f >= 0.5);
}

/**
 * Measures the critical learning rate of the simulated task at confidence c
 * (docs/ghost-mechanism.md §1.6): the smallest α at which at least half of the runs are trapped
 * (criterion of {@linkcode SimulatedTrappingOptions.tailFraction}). The trapped fraction is first
 * evaluated on `scanPoints` log-spaced α over `bracket`·α_c; the first scan point with fraction
 * ≥ 1/2 and its left neighbour bracket the crossing, which is then bisected in log α. Stretches
 * where the fraction decreases with α (e.g. at very large α runs overshoot the zone and land back
 * in the learning region) are reported in `nonMonotone`, not treated as an error; the result is the
 * first crossing.
 *
 * @throws {RangeError} for T ≤ 0, c ≤ 0 or invalid options; {@linkcode Error} if the lower end
 *   of the bracket is already trapped or no scan point reaches 1/2 (the message says which end to
 *   move).
 */
export function measureSimulatedCriticalAlpha(
  T: number,
  opts: SimulatedCriticalOptions,
): SimulatedCriticalMeasurement {
  requirePositive("T", T);
  const o = resolveTrapping(opts);
  const [qLo, qHi] = opts.bracket ?? [1 / 30, 30];
  requirePositive("bracket[0]", qLo);
  requirePositive("bracket[1]", qHi);
  if (!(qHi > qLo)) throw new RangeError(`bracket[1] must be > bracket[0] = ${qLo}, got ${qHi}`);
  const scanPoints = opts.scanPoints ?? 7;
  requireInteger("scanPoints", scanPoints, 2);
  const relTol = opts.relTol ?? 0.02;
  requirePositive("relTol", relTol);
  const ac = alphaCritical(T);
  const evals: TrappingEvaluation[] = [];
  const evaluate = (alpha: number) => {
    const trapped = trappedRuns(T, alpha, o);
    const e = { alpha, fraction: fractionOf(trapped), trapped };
    evals.push(e);
    return e;
  };
  const scan = Array.from(
    { length: scanPoints },
    (_, i) => ac * qLo * (qHi / qLo) ** (i / (scanPoints - 1)),
  ).map(evaluate);
  const i = firstCrossing(scan.map((e) => e.fraction));
  if (i === 0) {
    throw new Error(
      `T = ${T}, c = ${o.c}: ${scan[0].fraction} of the runs are already trapped at the lower ` +
        `end of the bracket (α = ${qLo}·α_c); lower bracket[0]`,
    );
  }
  if (i < 0) {
    throw new Error(
      `T = ${T}, c = ${o.c}: fewer than half of the runs are trapped anywhere in the bracket ` +
        `[${qLo}, ${qHi}]·α_c; raise bracket[1], or, at low confidence where trapped runs ` +
        `escape the zone again, shorten the runs (epochs) or the trapping window (tailFraction)`,
    );
  }
  let lo = scan[i - 1].alpha;
  let hi = scan[i].alpha;
  while (hi / lo - 1 > relTol) {
    const mid = Math.sqrt(lo * hi);
    if (evaluate(mid).fraction >= 0.5) hi = mid;
    else lo = mid;
  }
  evals.sort((a, b) => a.alpha - b.alpha);
  const nonMonotone: NonMonotoneStretch[] = [];
  for (let k = 1; k < evals.length; k++) {
    if (evals[k].fraction < evals[k - 1].fraction) {
      nonMonotone.push({
        alphaFrom: evals[k - 1].alpha,
        alphaTo: evals[k].alpha,
        fractionFrom: evals[k - 1].fraction,
        fractionTo: evals[k].fraction,
      });
    }
  }
  const alpha = Math.sqrt(lo * hi);
  return {
    T,
    c: o.c,
    alpha,
    lo,
    hi,
    analytic: ac,
    ratio: alpha / ac,
    evaluations: evals,
    nonMonotone,
    options: o,
  };
}

/**
 * The critical α of a measurement recomputed from a resample of its starts (indices `idx`): the
 * geometric midpoint between the first evaluated α whose resampled fraction is ≥ 1/2 and its left
 * neighbour (the end value when the crossing falls outside the evaluated range).
 */
function resampledCriticalAlpha(m: SimulatedCriticalMeasurement, idx: ArrayLike<number>): number {
  const ev = m.evaluations;
  const j = firstCrossing(ev.map((e) => fractionOf(e.trapped, idx)));
  if (j < 0) return ev[ev.length - 1].alpha;
  if (j === 0) return ev[0].alpha;
  return Math.sqrt(ev[j - 1].alpha * ev[j].alpha);
}

/** A power law y = A·x^p fitted by least squares to log y = log A + p·log x. */
export interface LogLogFit {
  /** Exponent p. */
  exponent: number;
  /** Prefactor A. */
  prefactor: number;
  /** Coefficient of determination of the log-log fit. */
  r2: number;
  /** Standard error of p from the residuals (NaN with two points). */
  exponentSE: number;
}

/**
 * Least-squares fit of log y = log A + p·log x (the critical-α power law α ∝ T^p,
 * docs/ghost-mechanism.md §1.6), with the standard error of p from the residuals,
 * SE = √(Σres²/(n − 2) / Σ(log x − mean)²).
 *
 * @throws {RangeError} with fewer than two points, mismatched lengths, a value ≤ 0, or a single
 *   distinct x.
 */
export function fitLogLog(x: ArrayLike<number>, y: ArrayLike<number>): LogLogFit {
  requireFiniteArray("x", x);
  requireFiniteArray("y", y);
  if (x.length !== y.length) {
    throw new RangeError(`y must have the same length as x (${x.length}), got ${y.length}`);
  }
  if (x.length < 2) throw new RangeError(`x must have at least 2 points, got ${x.length}`);
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < x.length; i++) {
    requirePositive(`x[${i}]`, x[i]);
    requirePositive(`y[${i}]`, y[i]);
    lx.push(Math.log(x[i]));
    ly.push(Math.log(y[i]));
  }
  const n = lx.length;
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i] - mx) * (ly[i] - my);
    sxx += (lx[i] - mx) ** 2;
    syy += (ly[i] - my) ** 2;
  }
  if (sxx === 0) throw new RangeError("x must contain at least two distinct values");
  const p = sxy / sxx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  const ssr = Math.max(0, syy - p * sxy);
  const exponentSE = n > 2 ? Math.sqrt(ssr / (n - 2) / sxx) : NaN;
  return { exponent: p, prefactor: Math.exp(my - p * mx), r2, exponentSE };
}

/** Result of {@linkcode simulatedCriticalAlphaLaw}. */
export interface SimulatedCriticalLaw {
  /** Confidence c. */
  c: number;
  /** One measurement per T (in the order given). */
  measurements: SimulatedCriticalMeasurement[];
  /** Log-log fit of α*(T) over the T values. */
  fit: LogLogFit;
  /** Geometric mean over T of α* / α_c (the prefactor relative to 3π⁴/32 if p were −5). */
  meanRatio: number;
  /** Bootstrap over the starts (independently for each T): percentile intervals. */
  bootstrap: {
    /** Number of resamples. */
    resamples: number;
    /** Coverage of the intervals, 0.95. */
    level: number;
    /** Interval of the fitted exponent p. */
    exponent: [number, number];
    /** Interval of the geometric-mean ratio α* / α_c. */
    meanRatio: [number, number];
    /** Standard deviation of the bootstrap exponents. */
    exponentSD: number;
  };
}

function quantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

function geometricMean(v: number[]): number {
  return Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
}

/**
 * Measures the finite-confidence critical α (see {@linkcode measureSimulatedCriticalAlpha}) for
 * each T and fits the power law α* = A·T^p (docs/ghost-mechanism.md §1.6; the analytic c → ∞ law is
 * p = −5, A = 3π⁴/32). Uncertainty: the residual standard error of p and a percentile bootstrap
 * over the starts — each resample redraws the starts of every T with replacement
 * (Rng(deriveSeed(seed, b))), recomputes each α* from the stored per-start trapping flags and
 * refits.
 *
 * @param onMeasured called after each T (e.g. to update a progress line).
 * @throws {RangeError} for an empty T list, T ≤ 0, c ≤ 0, bootstrap < 1 or invalid options.
 */
export function simulatedCriticalAlphaLaw(
  Ts: number[],
  opts: SimulatedCriticalOptions & { bootstrap?: number; seed?: number },
  onMeasured?: (m: SimulatedCriticalMeasurement, done: number) => void,
): SimulatedCriticalLaw {
  if (!Array.isArray(Ts) || Ts.length === 0) {
    throw new RangeError("Ts must be a non-empty array of delays T > 0, got an empty list");
  }
  Ts.forEach((T, i) => requirePositive(`Ts[${i}]`, T));
  if (Ts.length < 2) throw new RangeError(`Ts must hold at least 2 delays, got ${Ts.length}`);
  resolveTrapping(opts); // fail fast on c ≤ 0 before any run
  const B = opts.bootstrap ?? 1000;
  requireInteger("bootstrap", B, 1);
  const seed = opts.seed ?? 0;
  requireInteger("seed", seed, 0);
  const measurements = Ts.map((T, k) => {
    const m = measureSimulatedCriticalAlpha(T, opts);
    onMeasured?.(m, k + 1);
    return m;
  });
  const fit = fitLogLog(Ts, measurements.map((m) => m.alpha));
  const meanRatio = geometricMean(measurements.map((m) => m.ratio));
  const exps: number[] = [];
  const ratios: number[] = [];
  for (let b = 0; b < B; b++) {
    const rng = new Rng(deriveSeed(seed, b));
    const alphas = measurements.map((m) => {
      const n = m.options.starts;
      const idx = Array.from({ length: n }, () => rng.int(n));
      return resampledCriticalAlpha(m, idx);
    });
    exps.push(fitLogLog(Ts, alphas).exponent);
    ratios.push(geometricMean(alphas.map((a, k) => a / measurements[k].analytic)));
  }
  exps.sort((a, b) => a - b);
  ratios.sort((a, b) => a - b);
  const mean = exps.reduce((s, v) => s + v, 0) / B;
  const sd = Math.sqrt(exps.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, B - 1));
  return {
    c: opts.c,
    measurements,
    fit,
    meanRatio,
    bootstrap: {
      resamples: B,
      level: 0.95,
      exponent: [quantile(exps, 0.025), quantile(exps, 0.975)],
      meanRatio: [quantile(ratios, 0.025), quantile(ratios, 0.975)],
      exponentSD: sd,
    },
  };
}
