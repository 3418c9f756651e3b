/**
 * Closed-form results for the 1-D canonical model dx/dt = x² + r (docs/ghost-mechanism.md
 * §1.1–§1.6): the flow and its fixed points / ghost, blow-up and passage times, the high-confidence
 * loss landscape of the delayed-activation task, its gradient, the critical learning rate and the
 * scale-invariant gradient-descent map in ρ = r/r*.
 *
 * Loss convention: "un-normalised" means L(r) = |T − t*(r)| (the reference code's `gradient_loss`
 * differentiates this), "normalised" means the plotted L/T.
 *
 * @module
 */

import { requireFinite, requirePositive } from "../validate.ts";

/** Options selecting the loss normalisation (docs/ghost-mechanism.md §1.5–§1.6). */
export interface NormalizationOptions {
  /**
   * `false` (default, the reference code's convention): loss L = |T − t*| and its gradient;
   * `true`: the plotted loss L/T and its gradient (divided by T).
   */
  normalized?: boolean;
}

/** The flow f(x) = x² + r of the canonical form (docs/ghost-mechanism.md §1.1). */
export function flow(x: number, r: number): number {
  return x * x + r;
}

/** Fixed points and ghost of dx/dt = x² + r (docs/ghost-mechanism.md §1.1). */
export interface FlowPoints {
  /** Stable fixed point −√(−r) (r < 0), the merged point 0 (r = 0), or null (r > 0). */
  stable: number | null;
  /** Unstable fixed point +√(−r) (r < 0), the merged point 0 (r = 0), or null (r > 0). */
  unstable: number | null;
  /** The ghost at x = 0 when r > 0 (speed r there), else null. */
  ghost: number | null;
}

/**
 * Fixed points (r ≤ 0) or the ghost point (r > 0) of dx/dt = x² + r (docs/ghost-mechanism.md §1.1,
 * Fig 1 test).
 *
 * @throws {RangeError} if r is not finite.
 */
export function flowPoints(r: number): FlowPoints {
  requireFinite("r", r);
  if (r > 0) return { stable: null, unstable: null, ghost: 0 };
  const s = Math.sqrt(-r);
  return { stable: -s, unstable: s, ghost: null };
}

/**
 * Optimal scale parameter r* = π²/(4T²), for which the blow-up time t*(r*) equals T
 * (docs/ghost-mechanism.md §1.4).
 *
 * @throws {RangeError} if T ≤ 0 or not finite.
 */
export function rStar(T: number): number {
  requirePositive("T", T);
  return (Math.PI * Math.PI) / (4 * T * T);
}

/**
 * Upper edge of the no-learning zone, r* / 4 = π²/(16T²) (docs/ghost-mechanism.md §1.4): for r
 * below it the threshold is never crossed within the trial of length 2T and the analytic gradient
 * is 0.
 */
export function noLearningBoundary(T: number): number {
  return rStar(T) / 4;
}

/**
 * Blow-up time from x(0) = 0, t*(r) = π/(2√r) (docs/ghost-mechanism.md §1.2, closed form x(t) =
 * √r·tan(√r·t)). Returns `Infinity` for r ≤ 0 (the state never blows up).
 */
export function tStar(r: number): number {
  requireFinite("r", r);
  return r > 0 ? Math.PI / (2 * Math.sqrt(r)) : Infinity;
}

/**
 * Time for the exact flow started at x(0) = x0 to reach the threshold xStar > x0
 * (docs/ghost-mechanism.md §1.2): t = [arctan(x* / √r) − arctan(x0/√r)]/√r for r > 0; `Infinity`
 * when the threshold is never reached (r ≤ 0 and x0 below the unstable fixed point).
 *
 * @throws {RangeError} if an argument is non-finite or xStar ≤ x0.
 */
export function crossingTime(r: number, xStar = 10, x0 = 0): number {
  requireFinite("r", r);
  requireFinite("xStar", xStar);
  requireFinite("x0", x0);
  if (!(xStar > x0)) throw new RangeError(`xStar must be > x0 = ${x0}, got ${xStar}`);
  if (r > 0) {
    const s = Math.sqrt(r);
    return (Math.atan(xStar / s) - Math.atan(x0 / s)) / s;
  }
  if (r === 0) return x0 > 0 ? 1 / x0 - 1 / xStar : Infinity;
  const s = Math.sqrt(-r);
  if (x0 <= s) return Infinity;
  // x² − s² > 0 on [x0, x*]: ∫ dx/(x² − s²) = (1/2s) ln((x−s)/(x+s)).
  const F = (x: number) => Math.log((x - s) / (x + s)) / (2 * s);
  return F(xStar) - F(x0);
}

/**
 * Passage time through the whole bottleneck (x from −∞ to +∞), π/√r (docs/ghost-mechanism.md §1.1).
 * `Infinity` for r ≤ 0.
 */
export function passageTime(r: number): number {
  requireFinite("r", r);
  return r > 0 ? Math.PI / Math.sqrt(r) : Infinity;
}

/**
 * High-confidence (c → ∞) loss landscape of the delayed-activation task (docs/ghost-mechanism.md
 * §1.4): L(r) = |T − t*(r)| for r > r* / 4 and L = T for r ≤ r* / 4 (all r ≤ 0 included).
 * With `normalized: true` returns the plotted L/T (0 at r*, 1 − 1/√2 at 2r*, 1 on the plateau).
 */
export function analyticLoss(r: number, T: number, opts: NormalizationOptions = {}): number {
  requireFinite("r", r);
  requirePositive("T", T);
  const L = r > noLearningBoundary(T) ? Math.abs(T - tStar(r)) : T;
  return opts.normalized ? L / T : L;
}

/**
 * Gradient of the high-confidence loss (docs/ghost-mechanism.md §1.5, the reference code's
 * `gradient_loss`): dL/dr = −π/(4r^{3/2}) for r* / 4 ≤ r ≤ r*, +π/(4r^{3/2}) for r > r*, 0 for r <
 * r* / 4. With `normalized: true` it is the gradient of L/T (divided by T).
 */
export function analyticGradient(r: number, T: number, opts: NormalizationOptions = {}): number {
  requireFinite("r", r);
  requirePositive("T", T);
  const rs = rStar(T);
  let g: number;
  if (r < rs / 4) g = 0;
  else if (r <= rs) g = -Math.PI / (4 * r * Math.sqrt(r));
  else g = Math.PI / (4 * r * Math.sqrt(r));
  return opts.normalized ? g / T : g;
}

/**
 * Critical learning rate of gradient descent on r (docs/ghost-mechanism.md §1.6, [derived]):
 * α_c = 3π⁴/(32T⁵) with the un-normalised gradient (default, the reference code's convention), or
 * α_c = 3π⁴/(32T⁴) when descending the normalised loss L/T (`normalized: true`).
 * Below α_c the no-learning zone r < r* / 4 can never be entered from r > r* / 4.
 */
export function alphaCritical(T: number, opts: NormalizationOptions = {}): number {
  requirePositive("T", T);
  const p = opts.normalized ? 4 : 5;
  return (3 * Math.PI ** 4) / (32 * T ** p);
}

/**
 * One gradient-descent step in the scale-invariant units ρ = r/r* (docs/ghost-mechanism.md §1.6,
 * [derived]): ρ ← ρ − (3/4)(α/α_c)ρ^{−3/2} for ρ > 1, ρ + (3/4)(α/α_c)ρ^{−3/2} for 1/4 ≤ ρ ≤ 1,
 * unchanged for ρ < 1/4. Depends on α and T only through `alphaRatio` = α/α_c.
 */
export function rhoStep(rho: number, alphaRatio: number): number {
  requireFinite("rho", rho);
  requireFinite("alphaRatio", alphaRatio);
  if (rho < 0.25) return rho;
  const step = 0.75 * alphaRatio / (rho * Math.sqrt(rho));
  return rho > 1 ? rho - step : rho + step;
}

/**
 * Continuum estimate of the number of GD epochs to descend from r0 to r* (docs/ghost-mechanism.md
 * §1.6): k ≈ (8/(5πα))·(r0^{5/2} − r*^{5/2}) with the un-normalised gradient.
 */
export function descentEpochs(r0: number, T: number, alpha: number): number {
  requirePositive("r0", r0);
  requirePositive("alpha", alpha);
  const rs = rStar(T);
  return (8 / (5 * Math.PI * alpha)) * (r0 ** 2.5 - rs ** 2.5);
}

/**
 * The high-confidence landscape (docs/ghost-mechanism.md §1.4) and its gradient
 * (docs/ghost-mechanism.md §1.5) on a grid of r; defaults to the plotted L/T and its gradient
 * (`normalized: true`).
 */
export function analyticLandscape(
  rs: ArrayLike<number>,
  T: number,
  opts: NormalizationOptions = {},
): { r: number[]; loss: number[]; gradient: number[] } {
  const o = { normalized: opts.normalized ?? true };
  const r = Array.from(rs);
  return {
    r,
    loss: r.map((v) => analyticLoss(v, T, o)),
    gradient: r.map((v) => analyticGradient(v, T, o)),
  };
}
