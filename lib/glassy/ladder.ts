/**
 * Learning-time analysis of a width ladder (docs/glassy-dynamics.md §5.2–5.4, F1–F3): τ_L(ε) for
 * every run, w_c(ε) per depth, the ε → 0 extrapolation and power-law fits, and the comparison of
 * two settings' curves at one width, as plain data.
 *
 * @module
 */

import {
  type CriticalWidthFit,
  extrapolateWc,
  fitCriticalWidth,
  fitPowerLaw,
  learningTime,
  type PowerLawFit,
  powerLawReach,
  type WcExtrapolation,
} from "./analysis.ts";
import type { LearningCurve } from "./experiments.ts";

/** Analysis of one depth's ladder. */
export interface LadderAnalysis {
  depth: number;
  widths: number[];
  eps: number[];
  /** tauL[k][i]: τ_L(eps[k]) of widths[i] (null: not reached). */
  tauL: (number | null)[][];
  /** w_c(eps[k]) fits (null where fewer than 2 widths reached ε or the slope was not > 0). */
  fits: (CriticalWidthFit | null)[];
  /** Linear extrapolation of w_c(ε) to ε = 0 (null with fewer than `minFits` fits). */
  extrapolation: WcExtrapolation | null;
  /** Power-law fit of each run's training loss over τ ≥ tauMin (null if it failed). */
  powerLaws: (PowerLawFit | null)[];
  /** τ of each run's last record (how far it got). */
  tauEnd: number[];
}

/**
 * One run per (d, w, seed): where a grid holds a longer rerun of a width (docs/glassy-dynamics.md
 * §5.2; the same trajectory continued), the run that got furthest (most steps done). A run still
 * in progress counts only where it extends a finished run of its (d, w, seed) — a run in progress
 * at a new width is too short to judge (it would look stuck) and is left out. Order: as given.
 */
export function furthestRuns(runs: LearningCurve[]): LearningCurve[] {
  const key = (r: LearningCurve) => `${r.config.depth} ${r.config.width} ${r.config.seed}`;
  const best = new Map<string, LearningCurve>();
  for (const r of runs) {
    const b = best.get(key(r));
    if (b === undefined || r.done > b.done) best.set(key(r), r);
  }
  const finished = new Set(runs.filter((r) => r.done >= r.steps).map(key));
  return runs.filter((r) => best.get(key(r)) === r && finished.has(key(r)));
}

/**
 * Analyses the runs of one depth: τ_L(ε) (first τ with training loss ≤ ε), w_c(ε) from 1/τ_L
 * linear in w (optionally only the `nearest` smallest widths that reached ε), w_c(ε → 0) from a
 * straight line through at least `minFits` (default 3) of the w_c(ε), and L∞ + A τ^(−α) fits over
 * τ ≥ tauMin. Of several runs of one width it uses the one that got furthest
 * ({@linkcode furthestRuns}); runs in progress only where they extend a finished one.
 */
export function analyseLadder(
  runs: LearningCurve[],
  depth: number,
  eps: number[],
  tauMin: number,
  nearest?: number,
  minFits = 3,
): LadderAnalysis {
  const sel = furthestRuns(runs).filter((r) => r.config.depth === depth).sort((a, b) =>
    a.config.width - b.config.width
  );
  const widths = sel.map((r) => r.config.width);
  const tauL = eps.map((e) => sel.map((r) => learningTime(r.tau, r.train, e)));
  const fits = eps.map((e, k) => {
    try {
      return fitCriticalWidth(widths, tauL[k], e, nearest);
    } catch {
      return null;
    }
  });
  const ok = fits.filter((f): f is CriticalWidthFit => f !== null);
  let extrapolation: WcExtrapolation | null = null;
  if (ok.length >= Math.max(2, minFits)) {
    try {
      extrapolation = extrapolateWc(ok.map((f) => f.eps), ok.map((f) => f.wc));
    } catch {
      extrapolation = null;
    }
  }
  const powerLaws = sel.map((r) => {
    try {
      return fitPowerLaw(r.tau, r.train, tauMin);
    } catch {
      return null;
    }
  });
  const tauEnd = sel.map((r) => r.tau.at(-1) ?? 0);
  return { depth, widths, eps, tauL, fits, extrapolation, powerLaws, tauEnd };
}

/** Where a ladder's widths stand relative to w_c(ε) at one threshold ({@linkcode bracketWc}). */
export interface WcBracket {
  eps: number;
  /** Widths whose run reached ε (above w_c(ε)), or would by the horizon's forecast. */
  reached: number[];
  /**
   * The widths of `reached` counted by forecast only: their run did not reach ε, but their
   * power-law fit does by `horizon`× the run's τ (Eq. (5.3.2)). Empty at horizon 1.
   */
  forecast: number[];
  /** Widths that did not reach ε and whose fitted L∞ (Eq. (5.3.1)) is above ε (below w_c(ε)). */
  below: number[];
  /**
   * Widths that did not reach ε (nor by forecast) although their L∞ is ≤ ε or was not fitted.
   */
  undecided: number[];
  /** Some width is below and some reached ε: the ladder brackets w_c(ε). */
  brackets: boolean;
  /**
   * Lower bound on w_c(ε): the widest width below; null when no width is below, or when the
   * ladder contradicts itself (a width below at least as wide as one that reached ε).
   */
  lower: number | null;
  /** Upper bound on w_c(ε): the narrowest width that reached ε; null as for `lower`. */
  upper: number | null;
  /** Where w_c(ε) lies by the bracket, [lower, upper], when both bounds exist; else null. */
  interval: [number, number] | null;
}

/**
 * Does the ladder bracket w_c(ε)? (docs/glassy-dynamics.md Eq. (5.2.5)): for every threshold,
 * a width is above w_c(ε) when its run reached ε, below when it did not and its power-law
 * asymptote L∞ lies above ε (it would never reach ε), and undecided when it did not reach ε but
 * its L∞ does not exclude it (a longer run could). The widest width below bounds w_c(ε) from
 * below and the narrowest that reached ε from above (Eq. (5.2.6)); when the two contradict each
 * other (the width below is at least as wide) the ladder gives no bound. With both bounds, w_c(ε)
 * lies in the interval between them.
 *
 * With `horizon` > 1 the bracket is a forecast of runs `horizon`× as long in τ: an undecided
 * width counts as reached when its power-law fit reaches ε by `horizon`· its run's last τ
 * (Eq. (5.3.2)) — an extrapolation of the fit, listed in `forecast`.
 *
 * @throws {RangeError} if `horizon` is not finite and ≥ 1.
 */
export function bracketWc(a: LadderAnalysis, horizon = 1): WcBracket[] {
  if (!(Number.isFinite(horizon) && horizon >= 1)) {
    throw new RangeError(`bracketWc: horizon must be finite and >= 1, got ${horizon}`);
  }
  return a.eps.map((eps, k) => {
    const reached: number[] = [], forecast: number[] = [];
    const below: number[] = [], undecided: number[] = [];
    a.widths.forEach((w, i) => {
      const fit = a.powerLaws[i];
      const reach = horizon > 1 && fit ? powerLawReach(fit, eps) : null;
      if (a.tauL[k][i] !== null) reached.push(w);
      else if ((fit?.Linf ?? -Infinity) > eps) below.push(w);
      else if (reach !== null && reach <= horizon * a.tauEnd[i]) {
        reached.push(w);
        forecast.push(w);
      } else undecided.push(w);
    });
    const lo = below.length ? Math.max(...below) : null;
    const hi = reached.length ? Math.min(...reached) : null;
    const consistent = lo === null || hi === null || lo < hi;
    const lower = consistent ? lo : null, upper = consistent ? hi : null;
    return {
      eps,
      reached,
      forecast,
      below,
      undecided,
      brackets: reached.length > 0 && below.length > 0,
      lower,
      upper,
      interval: lower !== null && upper !== null ? [lower, upper] : null,
    };
  });
}

/** The critical width a width is judged against ({@linkcode referenceWc}). */
export interface ReferenceWc {
  /** w_c used. */
  wc: number;
  /** Where it comes from, e.g. "w_c(ε → 0) = 5.02 (d = 2, from 3 thresholds)". */
  source: string;
}

/**
 * The critical width of a ladder (docs/glassy-dynamics.md Eq. (5.2.3)): when the ladder brackets
 * w_c(ε) with an interval (Eq. (5.2.5)), the interval's midpoint at the smallest such ε — direct
 * evidence wins over the 1/τ_L line; otherwise w_c(ε → 0) when the extrapolation exists and reaches
 * no farther below the smallest threshold than the thresholds span (ε_min ≤ ε_max − ε_min), else
 * w_c(ε) at the smallest ε that gave a fit; null when no ε did.
 */
export function referenceWc(a: LadderAnalysis): ReferenceWc | null {
  const bracket = bracketWc(a).filter((b) => b.interval !== null)
    .reduce<WcBracket | null>((m, b) => (m === null || b.eps < m.eps ? b : m), null);
  if (bracket) {
    const [lo, hi] = bracket.interval!;
    return {
      wc: (lo + hi) / 2,
      source:
        `w_c(ε = ${bracket.eps}) in (${lo}, ${hi}) by the widths that did and did not reach ` +
        `ε (Eq. (5.2.5)): midpoint ${(lo + hi) / 2} (d = ${a.depth})`,
    };
  }
  const fits = a.fits.filter((f): f is CriticalWidthFit => f !== null);
  if (fits.length === 0) return null;
  const lo = Math.min(...fits.map((f) => f.eps));
  const hi = Math.max(...fits.map((f) => f.eps));
  if (a.extrapolation && lo <= hi - lo) {
    return {
      wc: a.extrapolation.wc0,
      source: `w_c(ε → 0) = ${
        a.extrapolation.wc0.toFixed(2)
      } (d = ${a.depth}, from ${a.extrapolation.n} thresholds)`,
    };
  }
  const f = fits.reduce((b, x) => (x.eps < b.eps ? x : b));
  const why = a.extrapolation
    ? `the extrapolation to ε → 0 would reach ${(lo / (hi - lo)).toFixed(1)}× the thresholds' ` +
      `span below them`
    : "too few thresholds to extrapolate to ε → 0";
  return {
    wc: f.wc,
    source: `w_c(ε = ${f.eps}) = ${f.wc.toFixed(2)} (d = ${a.depth}; ${why})`,
  };
}

/**
 * What one depth's ladder says about w_c(ε) at one threshold ({@linkcode compareDepths}): the
 * bounds of its {@linkcode WcBracket}.
 */
export interface WcBounds extends Pick<WcBracket, "lower" | "upper"> {
  depth: number;
}

/**
 * Two consecutive depths d < d′ compared at one threshold ({@linkcode compareDepths}, Eq.
 * (5.2.6)): w_c(ε) `decreases` when w_hi(d′) ≤ w_lo(d), `increases` when w_hi(d) ≤ w_lo(d′);
 * otherwise the bounds are `overlapping` when all four exist, and `unbounded` when one that a
 * separation needs is missing.
 */
export interface DepthPair {
  shallow: number;
  deep: number;
  relation: "decreases" | "increases" | "overlapping" | "unbounded";
}

/** w_c(ε) against depth at one threshold ({@linkcode compareDepths}). */
export interface DepthComparison {
  eps: number;
  /** Bounds of every depth, shallowest first. */
  bounds: WcBounds[];
  /** Every consecutive pair of depths, shallowest first. */
  pairs: DepthPair[];
  /** Eq. (5.2.6): every pair separates in the same direction, or the bounds do not decide. */
  verdict: "decreases" | "increases" | "undetermined";
}

/**
 * Does w_c(ε) decrease with depth? (docs/glassy-dynamics.md Eq. (5.2.6)): per threshold, each
 * depth's ladder bounds w_c(ε) from above by its narrowest width that reached ε and from below by
 * its widest width below (Eq. (5.2.5)); a ladder whose widths contradict each other (a width below
 * at least as wide as one that reached ε) gives no bound. w_c decreases when every deeper
 * ladder's upper bound is at most the shallower one's lower bound, increases in the mirror case,
 * and is undetermined otherwise (fewer than two depths, a missing bound, overlapping bounds). The
 * analyses must share their thresholds. With `horizon` > 1 the bounds are
 * {@linkcode bracketWc}'s forecast for runs `horizon`× as long (Eq. (5.3.2)).
 *
 * @throws {RangeError} if the analyses' thresholds differ, or for a bad `horizon`.
 */
export function compareDepths(analyses: LadderAnalysis[], horizon = 1): DepthComparison[] {
  const sorted = analyses.slice().sort((a, b) => a.depth - b.depth);
  const eps = sorted[0]?.eps ?? [];
  for (const a of sorted) {
    if (a.eps.length !== eps.length || a.eps.some((e, k) => e !== eps[k])) {
      throw new RangeError(
        `compareDepths: thresholds differ (d = ${a.depth}: ${a.eps.join(", ")}; ` +
          `d = ${sorted[0].depth}: ${eps.join(", ")})`,
      );
    }
  }
  const brackets = sorted.map((a) => bracketWc(a, horizon));
  return eps.map((e, k) => {
    const bounds = sorted.map((a, i): WcBounds => ({
      depth: a.depth,
      lower: brackets[i][k].lower,
      upper: brackets[i][k].upper,
    }));
    const below = (x: number | null, y: number | null) => x !== null && y !== null && x <= y;
    const pairs = bounds.slice(1).map((t, i): DepthPair => {
      const s = bounds[i];
      const relation = below(t.upper, s.lower)
        ? "decreases"
        : below(s.upper, t.lower)
        ? "increases"
        : [s.lower, s.upper, t.lower, t.upper].every((x) => x !== null)
        ? "overlapping"
        : "unbounded";
      return { shallow: s.depth, deep: t.depth, relation };
    });
    const same = (r: DepthPair["relation"]) =>
      pairs.length > 0 && pairs.every((p) => p.relation === r);
    const verdict = same("decreases")
      ? "decreases"
      : same("increases")
      ? "increases"
      : "undetermined";
    return { eps: e, bounds, pairs, verdict };
  });
}

/**
 * How {@linkcode WcBounds} read (docs/glassy-dynamics.md Eq. (5.2.6)): "10 < w_c < 40", "w_c < 40",
 * "w_c > 10", "no bound".
 */
export function formatWcBounds(b: WcBounds): string {
  if (b.lower !== null && b.upper !== null) return `${b.lower} < w_c < ${b.upper}`;
  if (b.upper !== null) return `w_c < ${b.upper}`;
  if (b.lower !== null) return `w_c > ${b.lower}`;
  return "no bound";
}

/**
 * How a comparison's {@linkcode DepthPair}s read (docs/glassy-dynamics.md Eq. (5.2.6)):
 * "d = 1 → 2 decreases, 2 → 3 overlapping"; "" for a single depth.
 */
export function formatDepthPairs(c: DepthComparison): string {
  return c.pairs.map((p, i) => `${i === 0 ? "d = " : ""}${p.shallow} → ${p.deep} ${p.relation}`)
    .join(", ");
}

/** Phase of a width relative to the critical width (Eq. (5.2.4)). */
export type WidthPhase = "under-parametrised" | "near-critical" | "over-parametrised";

/**
 * Phase of width `w` relative to the critical width `wc` (docs/glassy-dynamics.md Eq. (5.2.4)
 * [inferred]): under-parametrised below w_c, near-critical from w_c to `nearFactor`·w_c (default
 * 2), over-parametrised beyond.
 *
 * @throws {RangeError} if `wc` is not finite or `nearFactor` is not > 1.
 */
export function widthPhase(w: number, wc: number, nearFactor = 2): WidthPhase {
  if (!Number.isFinite(wc)) throw new RangeError(`widthPhase: w_c must be finite, got ${wc}`);
  if (!(nearFactor > 1)) {
    throw new RangeError(`widthPhase: nearFactor must be > 1, got ${nearFactor}`);
  }
  if (w < wc) return "under-parametrised";
  return w <= nearFactor * Math.max(wc, 0) ? "near-critical" : "over-parametrised";
}

/** A learning curve cut to its records with τ ≤ `tauEnd` (the rest of the run as it was). */
export function curveUpTo(r: LearningCurve, tauEnd: number): LearningCurve {
  const k = r.tau.findIndex((t) => t > tauEnd);
  const n = k < 0 ? r.tau.length : k;
  return {
    ...r,
    step: r.step.slice(0, n),
    tau: r.tau.slice(0, n),
    train: r.train.slice(0, n),
    test: r.test.slice(0, n),
  };
}

/** Two settings' learning curves of one (d, w) compared ({@linkcode compareCurves}). */
export interface CurveComparison {
  /** End of the common τ range: the smaller of the two last recorded τ. */
  tauEnd: number;
  /** Both curves cut at tauEnd. */
  curves: [LearningCurve, LearningCurve];
  /** Eq. (5.3.1) fits over τ ≥ tauMin of the cut curves (null where too few points). */
  fits: [PowerLawFit | null, PowerLawFit | null];
  /** Training loss at the last record ≤ tauEnd, and the ratio a / b. */
  loss: [number, number];
  lossRatio: number;
  /** Lowest test loss of each cut curve. */
  minTest: [number, number];
  /** |α_a − α_b| ≤ 0.25 α_b (false without both fits). */
  alphaAgree: boolean;
  /** Eq. (5.4.1): the exponents agree and the loss ratio is within a factor 1.5. */
  agree: boolean;
}

/**
 * Compares the learning curves `a` and `b` of one (d, w) trained with two settings (e.g. quick
 * vs paper) over their common τ range (docs/glassy-dynamics.md Eq. (5.4.1)): the loss level at
 * the end of the range and the decay exponent α of Eq. (5.3.1) fitted over τ ≥ tauMin.
 *
 * @throws {RangeError} if a curve has no record or the common range holds none of a's or b's.
 */
export function compareCurves(a: LearningCurve, b: LearningCurve, tauMin: number): CurveComparison {
  if (a.tau.length === 0 || b.tau.length === 0) {
    throw new RangeError("compareCurves: both curves need at least one record");
  }
  const tauEnd = Math.min(a.tau.at(-1)!, b.tau.at(-1)!);
  const curves: [LearningCurve, LearningCurve] = [curveUpTo(a, tauEnd), curveUpTo(b, tauEnd)];
  if (curves.some((c) => c.tau.length === 0)) {
    throw new RangeError(`compareCurves: a curve has no record at τ ≤ ${tauEnd}`);
  }
  const fit = (r: LearningCurve) => {
    try {
      return fitPowerLaw(r.tau, r.train, tauMin);
    } catch {
      return null;
    }
  };
  const fits: [PowerLawFit | null, PowerLawFit | null] = [fit(curves[0]), fit(curves[1])];
  const loss: [number, number] = [curves[0].train.at(-1)!, curves[1].train.at(-1)!];
  const lossRatio = loss[0] / loss[1];
  const [fa, fb] = fits;
  const alphaAgree = fa !== null && fb !== null && Math.abs(fa.alpha - fb.alpha) <= 0.25 * fb.alpha;
  return {
    tauEnd,
    curves,
    fits,
    loss,
    lossRatio,
    minTest: [Math.min(...curves[0].test), Math.min(...curves[1].test)],
    alphaAgree,
    agree: alphaAgree && Math.abs(Math.log(lossRatio)) < Math.log(1.5),
  };
}
