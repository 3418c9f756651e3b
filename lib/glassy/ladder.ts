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
