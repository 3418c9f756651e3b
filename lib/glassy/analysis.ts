/**
 * Analysis of glassy learning curves (docs/glassy-dynamics.md §5 and §6.6): learning times
 * τ_L(ε), the critical width w_c(ε) from 1/τ_L ∝ (w − w_c), its extrapolation to ε → 0, the
 * power-law fit L∞ + A·τ^(−α) and when it reaches a threshold, and a quantitative collapse
 * measure for aging curves.
 *
 * @module
 */

/**
 * τ_L(ε) (§5.2): the first recorded τ at which the training loss is ≤ ε, or `null` if never.
 *
 * @throws {RangeError} if the arrays differ in length.
 */
export function learningTime(
  tau: ArrayLike<number>,
  loss: ArrayLike<number>,
  eps: number,
): number | null {
  if (tau.length !== loss.length) {
    throw new RangeError(`tau and loss must have equal lengths, got ${tau.length}, ${loss.length}`);
  }
  for (let i = 0; i < tau.length; i++) if (loss[i] <= eps) return tau[i];
  return null;
}

/** Ordinary least-squares line y = intercept + slope·x. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Coefficient of determination (1 for a perfect fit; NaN with fewer than 3 points). */
  r2: number;
  /** Number of points used. */
  n: number;
}

/** Least-squares straight line through (x, y). @throws {RangeError} with < 2 distinct x. */
export function fitLine(x: ArrayLike<number>, y: ArrayLike<number>): LineFit {
  const n = x.length;
  if (n !== y.length) {
    throw new RangeError(`x and y must have equal lengths, got ${n}, ${y.length}`);
  }
  if (n < 2) throw new RangeError(`need at least 2 points for a line fit, got ${n}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  if (!(sxx > 0)) throw new RangeError("x must contain at least 2 distinct values");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i] - intercept - slope * x[i]) ** 2;
  return { slope, intercept, r2: n < 3 || syy === 0 ? NaN : 1 - sse / syy, n };
}

/** Result of {@linkcode fitCriticalWidth}. */
export interface CriticalWidthFit extends LineFit {
  /** ε the learning times refer to. */
  eps: number;
  /** Zero crossing of the line 1/τ_L = slope·(w − w_c). */
  wc: number;
  /** Widths used in the fit. */
  widths: number[];
}

/**
 * w_c(ε) (§5.2): fit 1/τ_L = slope·w + intercept over the widths whose τ_L is finite (optionally
 * only the `nearest` smallest such widths, i.e. those just above the divergence) and return the
 * zero crossing w_c = −intercept/slope.
 *
 * @throws {RangeError} if fewer than 2 widths reached ε or the slope is not positive.
 */
export function fitCriticalWidth(
  widths: ArrayLike<number>,
  tauL: ArrayLike<number | null>,
  eps: number,
  nearest?: number,
): CriticalWidthFit {
  if (widths.length !== tauL.length) {
    throw new RangeError(
      `widths and tauL must have equal lengths, got ${widths.length}, ${tauL.length}`,
    );
  }
  let pts: [number, number][] = [];
  for (let i = 0; i < widths.length; i++) {
    const t = tauL[i];
    if (t !== null && Number.isFinite(t) && t > 0) pts.push([widths[i], 1 / t]);
  }
  pts.sort((a, b) => a[0] - b[0]);
  if (nearest !== undefined) {
    if (!Number.isInteger(nearest) || nearest < 2) {
      throw new RangeError(`nearest must be an integer >= 2, got ${nearest}`);
    }
    pts = pts.slice(0, nearest);
  }
  if (pts.length < 2) {
    throw new RangeError(`need >= 2 widths that reached eps=${eps}, got ${pts.length}`);
  }
  const f = fitLine(pts.map((p) => p[0]), pts.map((p) => p[1]));
  if (!(f.slope > 0)) {
    throw new RangeError(`1/tau_L must increase with w for a w_c fit, got slope ${f.slope}`);
  }
  return { ...f, eps, wc: -f.intercept / f.slope, widths: pts.map((p) => p[0]) };
}

/** Result of {@linkcode extrapolateWc}. */
export interface WcExtrapolation extends LineFit {
  /** w_c at ε = 0 (the intercept). */
  wc0: number;
}

/**
 * Extrapolates w_c(ε) to ε → 0 (§5.2) with a straight line in ε [inferred: the functional form
 * is not given by the sources]; w_c(0) is the intercept.
 */
export function extrapolateWc(eps: ArrayLike<number>, wc: ArrayLike<number>): WcExtrapolation {
  const f = fitLine(eps, wc);
  return { ...f, wc0: f.intercept };
}

/** Result of {@linkcode fitPowerLaw}. */
export interface PowerLawFit {
  /** Asymptote L∞ (constrained ≥ 0). */
  Linf: number;
  /** Amplitude A. */
  A: number;
  /** Exponent α. */
  alpha: number;
  /** Root-mean-square relative residual of the fit. */
  rmsRel: number;
  /** Number of points used. */
  n: number;
  /** Smallest τ used. */
  tauMin: number;
}

/**
 * Power-law fit L(τ) ≈ L∞ + A·τ^(−α) (§5.3) over the points with τ ≥ tauMin, by least squares on
 * relative residuals: for each α on a fine log grid (refined by golden-section search) the best
 * (L∞ ≥ 0, A) solve a weighted linear problem; the α with the smallest error wins.
 *
 * @throws {RangeError} with fewer than 3 usable points.
 */
export function fitPowerLaw(
  tau: ArrayLike<number>,
  loss: ArrayLike<number>,
  tauMin = 0,
): PowerLawFit {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < tau.length; i++) {
    if (tau[i] >= tauMin && tau[i] > 0 && loss[i] > 0 && Number.isFinite(loss[i])) {
      xs.push(tau[i]);
      ys.push(loss[i]);
    }
  }
  const n = xs.length;
  if (n < 3) throw new RangeError(`need >= 3 points with tau >= tauMin=${tauMin}, got ${n}`);
  const solve = (alpha: number) => {
    // minimise Σ ((L∞ + A u − y)/y)², u = τ^−α
    let s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
    for (let i = 0; i < n; i++) {
      const wgt = 1 / (ys[i] * ys[i]);
      const u = xs[i] ** -alpha;
      s11 += wgt;
      s12 += wgt * u;
      s22 += wgt * u * u;
      b1 += wgt * ys[i];
      b2 += wgt * ys[i] * u;
    }
    const det = s11 * s22 - s12 * s12;
    let Linf = (b1 * s22 - b2 * s12) / det;
    let A = (s11 * b2 - s12 * b1) / det;
    if (!(Linf >= 0) || !Number.isFinite(Linf)) {
      Linf = 0;
      A = b2 / s22;
    }
    let err = 0;
    for (let i = 0; i < n; i++) err += ((Linf + A * xs[i] ** -alpha - ys[i]) / ys[i]) ** 2;
    return { Linf, A, err };
  };
  const grid = Array.from({ length: 241 }, (_, k) => 10 ** (-3 + (k * 4) / 240)); // 1e-3 … 10
  let bestK = 0;
  let bestErr = Infinity;
  grid.forEach((a, k) => {
    const e = solve(a).err;
    if (e < bestErr) [bestK, bestErr] = [k, e];
  });
  let lo = Math.log(grid[Math.max(0, bestK - 1)]);
  let hi = Math.log(grid[Math.min(grid.length - 1, bestK + 1)]);
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 60; it++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (solve(Math.exp(a)).err < solve(Math.exp(b)).err) hi = b;
    else lo = a;
  }
  const alpha = Math.exp((lo + hi) / 2);
  const best = solve(alpha);
  return {
    Linf: best.Linf,
    A: best.A,
    alpha,
    rmsRel: Math.sqrt(best.err / n),
    n,
    tauMin: Math.min(...xs),
  };
}

/**
 * When the power law of a fit reaches ε (docs/glassy-dynamics.md Eq. (5.3.2)):
 * τ̂(ε) = (A / (ε − L∞))^(1/α), the τ at which L∞ + A·τ^(−α) = ε — a forecast that extrapolates
 * the fit beyond its run. Null when the law never gets there (L∞ ≥ ε, or A ≤ 0 with L∞ > ε); when
 * A ≤ 0 and L∞ < ε the law is below ε from the start and τ̂ = 0.
 *
 * @throws {RangeError} if ε is not finite.
 */
export function powerLawReach(fit: PowerLawFit, eps: number): number | null {
  if (!Number.isFinite(eps)) throw new RangeError(`powerLawReach: ε must be finite, got ${eps}`);
  if (!(fit.Linf < eps)) return null;
  if (!(fit.A > 0)) return 0;
  return (fit.A / (eps - fit.Linf)) ** (1 / fit.alpha);
}

/** One curve y(x) for {@linkcode collapseMeasure}. */
export interface Curve {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Result of {@linkcode collapseMeasure}. */
export interface CollapseMeasure {
  /** Mean over the common log-x grid of the std across curves of log10 y (0 = perfect collapse). */
  spread: number;
  /** The same over the first half of the common range (short times). */
  spreadShort: number;
  /** The same over the second half of the common range (long times). */
  spreadLong: number;
  /** Common x range used [lo, hi]. */
  range: [number, number];
  /** Number of grid points. */
  points: number;
}

function interpLog(c: Curve, lx: number): number {
  // linear interpolation of log10 y in log10 x; curve x must be increasing and > 0
  const n = c.x.length;
  let k = 0;
  while (k < n - 2 && Math.log10(c.x[k + 1]) < lx) k++;
  const x0 = Math.log10(c.x[k]);
  const x1 = Math.log10(c.x[k + 1]);
  const y0 = Math.log10(c.y[k]);
  const y1 = Math.log10(c.y[k + 1]);
  return x1 === x0 ? y0 : y0 + ((lx - x0) * (y1 - y0)) / (x1 - x0);
}

/**
 * Quantitative collapse measure for aging curves (§6.6): on `points` log-spaced x values spanning
 * the range common to all curves, interpolate log10 y of each curve and take the standard deviation
 * across curves; report its mean over the whole range and over its short- and long-time halves.
 * Applied to Δ vs (τ − τ_w)/τ_w, small values mean the curves collapse (aging with τ/τ_w scaling).
 * Points with x ≤ 0 or y ≤ 0 are ignored.
 *
 * @throws {RangeError} with fewer than 2 curves or no overlap.
 */
export function collapseMeasure(curves: Curve[], points = 40): CollapseMeasure {
  if (curves.length < 2) throw new RangeError(`need >= 2 curves, got ${curves.length}`);
  if (!Number.isInteger(points) || points < 2) {
    throw new RangeError(`points must be an integer >= 2, got ${points}`);
  }
  const clean = curves.map((c) => {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < c.x.length; i++) {
      if (c.x[i] > 0 && c.y[i] > 0 && Number.isFinite(c.y[i])) {
        x.push(c.x[i]);
        y.push(c.y[i]);
      }
    }
    if (x.length < 2) throw new RangeError("each curve needs >= 2 points with x > 0 and y > 0");
    return { x, y };
  });
  const lo = Math.max(...clean.map((c) => c.x[0]));
  const hi = Math.min(...clean.map((c) => c.x[c.x.length - 1]));
  if (!(hi > lo)) throw new RangeError(`curves do not overlap in x: [${lo}, ${hi}]`);
  const stds: number[] = [];
  for (let k = 0; k < points; k++) {
    const lx = Math.log10(lo) + (k * (Math.log10(hi) - Math.log10(lo))) / (points - 1);
    const v = clean.map((c) => interpLog(c, lx));
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    stds.push(Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length));
  }
  const avg = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const half = Math.floor(points / 2);
  return {
    spread: avg(stds),
    spreadShort: avg(stds.slice(0, half)),
    spreadLong: avg(stds.slice(half)),
    range: [lo, hi],
    points,
  };
}
