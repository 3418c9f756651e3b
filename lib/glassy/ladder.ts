/**
 * Learning-time analysis of a width ladder (docs/glassy-dynamics.md §5.2–5.3, F1–F3): τ_L(ε) for
 * every run, w_c(ε) per depth, the ε → 0 extrapolation and power-law fits, as plain data.
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
}

/**
 * Analyses the runs of one depth: τ_L(ε) (first τ with training loss ≤ ε), w_c(ε) from 1/τ_L
 * linear in w (optionally only the `nearest` smallest widths that reached ε), w_c(ε → 0) from a
 * straight line through at least `minFits` (default 3) of the w_c(ε), and L∞ + A τ^(−α) fits over
 * τ ≥ tauMin.
 */
export function analyseLadder(
  runs: LearningCurve[],
  depth: number,
  eps: number[],
  tauMin: number,
  nearest?: number,
  minFits = 3,
): LadderAnalysis {
  const sel = runs.filter((r) => r.config.depth === depth).sort((a, b) =>
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
  return { depth, widths, eps, tauL, fits, extrapolation, powerLaws };
}

/** The critical width a width is judged against ({@linkcode referenceWc}). */
export interface ReferenceWc {
  /** w_c used. */
  wc: number;
  /** Where it comes from, e.g. "w_c(ε → 0) = 5.02 (d = 2, from 3 thresholds)". */
  source: string;
}

/**
 * The critical width of a ladder (docs/glassy-dynamics.md Eq. (5.2.3)): w_c(ε → 0) when the
 * extrapolation exists and reaches no farther below the smallest threshold than the thresholds
 * span (ε_min ≤ ε_max − ε_min), else w_c(ε) at the smallest ε that gave a fit; null when no ε did.
 */
export function referenceWc(a: LadderAnalysis): ReferenceWc | null {
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
