/**
 * The slow-point finder (docs/ghost-mechanism.md §1.1, §2.4, §2.7): minimise the speed
 * q(x) = ½‖F(x)‖² from many starts, polish with Newton steps, deduplicate, exclude outliers,
 * and classify each point as a stable / unstable fixed point, a saddle, or a **ghost**.
 *
 * @module
 */

import { CholeskyDecomposition, LuDecomposition, Matrix } from "ml-matrix";
import type { Rng } from "../random.ts";
import {
  requireInteger,
  requireLength,
  requireNonNegative,
  requirePositive,
  requireRows,
} from "../validate.ts";
import { column, spectrum, symmetricEigenvalues } from "./spectrum.ts";
import { addGram, type DynamicalSystem, speedHessian } from "./system.ts";

/** What a slow point is (see {@linkcode classifySlowPoint} for the precise criteria). */
export type SlowPointKind = "stable" | "unstable" | "saddle" | "ghost" | "slow";

/** One distinct slow point. */
export interface SlowPoint {
  /** Location (length dim). */
  x: number[];
  /** Speed q = ½‖F(x)‖². */
  q: number;
  /** ‖F(x)‖ (the speed as the paper plots it, no ½). */
  speed: number;
  kind: SlowPointKind;
  /** Eigenvalues of J(x), real and imaginary parts, sorted by decreasing real part. */
  eigRe: number[];
  eigIm: number[];
  /** Index (into eigRe) of the slow eigenvalue: smallest |λ| among the eigenvalues. */
  slowIndex: number;
  /** Right eigenvector of the slow eigenvalue (real part, unit norm; length dim). */
  slowDirection: number[];
  /**
   * Local 1-D reduction along the slow direction: dy/dt ≈ a y² + b (Eq. (1.1.3)), a = ½ uᵀ∇²F[v, v],
   * b = uᵀF(x), with u the left and v the right slow eigenvector (uᵀv = 1).
   */
  reduction: { a: number; b: number };
  /** Passage-time estimate π/√(ab) of the bottleneck (Eq. (1.1.4)); only for ghosts (ab > 0). */
  passageTime?: number;
  /** Number of starts that converged to this point. */
  count: number;
  /** Euclidean distance to the nearest visited state (when visited states were given). */
  distanceToVisited?: number;
}

/** One start's minimisation result (before deduplication). */
export interface Candidate {
  x: Float64Array;
  q: number;
  iterations: number;
  /** Why the minimisation stopped. */
  stop: "qTol" | "qChangeTol" | "stepTol" | "stalled" | "maxIters" | "merged";
  /** Index of the start it came from. */
  start: number;
}

/** Options of {@linkcode findSlowPoints} (all tolerances > 0). */
export interface FindOptions {
  /** Stop when q < qTol (default 1e-26, i.e. ‖F‖ < 1.4e-13). */
  qTol?: number;
  /** Stop when an accepted step lowers q by less than qChangeTol·q (default 1e-10). */
  qChangeTol?: number;
  /** Stop when the step norm is < stepTol·(1 + ‖x‖) (default 1e-14). */
  stepTol?: number;
  /** Maximum number of (damped) Newton iterations per start (default 100). */
  maxIters?: number;
  /**
   * "newton": Levenberg–Marquardt on the exact Hessian of q, Eq. (2.4.3) (default for dim ≤ 10);
   * "gauss-newton": root-finding steps δ = −J⁻¹F, falling back to the damped exact-Hessian step when
   * a step does not lower q (Eq. (2.7.2); default above).
   */
  method?: "newton" | "gauss-newton";
  /** Points closer than this (Euclidean) are one point (default 1e-6). */
  dedupTol?: number;
  /** Visited states (row-major count×dim) for outlier exclusion and distances. */
  visited?: ArrayLike<number>;
  /** Absolute outlier distance: a point farther than this from every visited state is an outlier. */
  outlierDistance?: number;
  /**
   * Relative outlier distance (FixedPointFinder's `outlier_distance_scale`, default 10): without
   * `outlierDistance`, the threshold is outlierScale × the RMS distance of the visited states from
   * their centroid (at least dedupTol).
   */
  outlierScale?: number;
  /**
   * Re-run once (another maxIters) every candidate that stopped on maxIters with q > qOutlier
   * (FixedPointFinder's `rerun_q_outliers`; default true).
   */
  rerunOutliers?: boolean;
  /** q above which an unconverged candidate is re-run (default: fixedPointTol). */
  qOutlier?: number;
  /** A point with q < fixedPointTol is a fixed point (default 1e-14, i.e. ‖F‖ < 1.4e-7). */
  fixedPointTol?: number;
  /** A ghost's q must be at least ghostSpeedMin (default 1e-10, i.e. ‖F‖ ≥ 1.4e-5). */
  ghostSpeedMin?: number;
  /** A ghost's slow eigenvalue has |λ| < ghostEigTol, and it is the only one (default 1e-3). */
  ghostEigTol?: number;
  /** Keep only points with q below this (default ∞). */
  maxSpeed?: number;
  /**
   * Stop a start as soon as its iterate comes within dedupTol of a point an earlier start
   * converged to, and give it that point (stop "merged"; default true). The point would be the
   * same one after deduplication; this only saves the last iterations.
   */
  merge?: boolean;
}

type Resolved = Required<Omit<FindOptions, "visited" | "outlierDistance">> & {
  visited?: ArrayLike<number>;
  outlierDistance?: number;
};

function resolveOptions(dim: number, o: FindOptions): Resolved {
  if (o === null || typeof o !== "object") throw new TypeError(`opts must be an object, got ${o}`);
  const r: Resolved = {
    qTol: o.qTol ?? 1e-26,
    qChangeTol: o.qChangeTol ?? 1e-10,
    stepTol: o.stepTol ?? 1e-14,
    maxIters: o.maxIters ?? 100,
    method: o.method ?? (dim <= 10 ? "newton" : "gauss-newton"),
    dedupTol: o.dedupTol ?? 1e-6,
    visited: o.visited,
    outlierDistance: o.outlierDistance,
    outlierScale: o.outlierScale ?? 10,
    rerunOutliers: o.rerunOutliers ?? true,
    fixedPointTol: o.fixedPointTol ?? 1e-14,
    qOutlier: o.qOutlier ?? o.fixedPointTol ?? 1e-14,
    ghostSpeedMin: o.ghostSpeedMin ?? 1e-10,
    ghostEigTol: o.ghostEigTol ?? 1e-3,
    maxSpeed: o.maxSpeed ?? Infinity,
    merge: o.merge ?? true,
  };
  for (
    const k of [
      "qTol",
      "qChangeTol",
      "stepTol",
      "dedupTol",
      "outlierScale",
      "fixedPointTol",
      "qOutlier",
      "ghostSpeedMin",
      "ghostEigTol",
    ] as const
  ) requirePositive(`opts.${k}`, r[k]);
  requireInteger("opts.maxIters", r.maxIters, 1);
  if (r.method !== "newton" && r.method !== "gauss-newton") {
    throw new RangeError(`opts.method must be "newton" or "gauss-newton", got ${r.method}`);
  }
  if (!(r.maxSpeed > 0)) throw new RangeError(`opts.maxSpeed must be > 0, got ${r.maxSpeed}`);
  if (r.outlierDistance !== undefined) requirePositive("opts.outlierDistance", r.outlierDistance);
  if (r.visited !== undefined) requireRows("opts.visited", r.visited, dim);
  return r;
}

/** The result of {@linkcode findSlowPoints}. */
export interface FindResult {
  /** Distinct, classified slow points, sorted by q. */
  points: SlowPoint[];
  /** Every start's candidate after minimisation (and re-running). */
  candidates: Candidate[];
  /** Distinct points excluded as outliers. */
  outliers: SlowPoint[];
  /** Totals: starts, iterations summed over starts, seconds. */
  stats: { starts: number; iterations: number; seconds: number };
}

/**
 * `n` starts drawn uniformly (with replacement when n exceeds the count) from visited states
 * (row-major count×dim), each plus N(0, jitter²) noise per coordinate — FixedPointFinder's
 * `sample_states`.
 *
 * @throws {RangeError} if the states are not a multiple of dim, n < 1, jitter < 0.
 */
export function sampleStarts(
  states: ArrayLike<number>,
  dim: number,
  n: number,
  jitter: number,
  rng: Rng,
): Float64Array {
  requireInteger("dim", dim, 1);
  requireInteger("n", n, 1);
  requireNonNegative("jitter", jitter);
  const count = requireRows("states", states, dim);
  const idx = n <= count
    ? rng.choice(count, n)
    : Int32Array.from({ length: n }, () => rng.int(count));
  const out = new Float64Array(n * dim);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < dim; k++) {
      out[s * dim + k] = states[idx[s] * dim + k] + (jitter > 0 ? jitter * rng.normal() : 0);
    }
  }
  return out;
}

/**
 * Minimises q(x) = ½‖F(x)‖² from every start (row-major count×dim) with damped Newton
 * (Levenberg–Marquardt on the exact Hessian, Eq. (2.4.3)) or Gauss–Newton / root-finding steps
 * (Eq. (2.7.2)), stopping on q < qTol, a relative change of q < qChangeTol, a tiny step or
 * maxIters; then deduplicates within dedupTol, excludes (and optionally re-runs) outliers and
 * classifies each point ({@linkcode classifySlowPoint}).
 *
 * @throws {RangeError} on a start length that is not a multiple of dim, non-finite starts,
 * tolerances ≤ 0.
 */
export function findSlowPoints(
  system: DynamicalSystem,
  starts: ArrayLike<number>,
  opts: FindOptions = {},
): FindResult {
  const t0 = performance.now();
  const dim = system.dim;
  const o = resolveOptions(dim, opts);
  const nStarts = requireRows("starts", starts, dim);
  const candidates: Candidate[] = [];
  let iterations = 0;
  const finals: Candidate[] = []; // distinct converged candidates, for merging
  for (let s = 0; s < nStarts; s++) {
    const x = Float64Array.from({ length: dim }, (_, k) => starts[s * dim + k]);
    let c = minimiseSpeed(system, x, o, s, finals);
    iterations += c.iterations;
    if (o.rerunOutliers && c.stop === "maxIters" && c.q > o.qOutlier) {
      const again = minimiseSpeed(system, c.x, o, s, finals);
      iterations += again.iterations;
      c = { ...again, iterations: c.iterations + again.iterations };
    }
    candidates.push(c);
    const converged = c.stop === "qTol" || c.stop === "qChangeTol" || c.stop === "stepTol";
    if (
      o.merge && converged && finals.length < 64 && !finals.some((f) => near(f.x, c.x, o.dedupTol))
    ) {
      finals.push(c);
    }
  }
  // distinct candidates (lowest q first), then classification of the representatives only
  const order = candidates.map((_, i) => i).sort((a, b) => candidates[a].q - candidates[b].q);
  const groups = cluster(order.map((i) => candidates[i].x), o.dedupTol);
  let points = groups.map(({ rep, members }) => ({
    ...classifySlowPoint(system, candidates[order[rep]].x, o),
    count: members.length,
  }));
  points = points.filter((p) => p.q < o.maxSpeed);
  const outliers: SlowPoint[] = [];
  if (o.visited !== undefined) {
    const threshold = o.outlierDistance ??
      Math.max(o.outlierScale * rmsSpread(o.visited, dim), o.dedupTol);
    const kept: SlowPoint[] = [];
    for (const p of points) {
      p.distanceToVisited = nearestDistance(o.visited, dim, p.x);
      (p.distanceToVisited > threshold ? outliers : kept).push(p);
    }
    points = kept;
  }
  return {
    points,
    candidates,
    outliers,
    stats: { starts: nStarts, iterations, seconds: (performance.now() - t0) / 1000 },
  };
}

/**
 * Damped Newton minimisation of q from one start (Eqs. (2.4.3), (2.7.2)); see {@linkcode FindOptions}
 * for the steps and stopping rules.
 */
function minimiseSpeed(
  system: DynamicalSystem,
  x: Float64Array,
  o: Resolved,
  start: number,
  finals: Candidate[] = [],
): Candidate {
  const n = system.dim;
  let F: Float64Array = system.flow(x), q = half2(F);
  let mu = 0, iterations = 0;
  // root-finding steps until one fails to lower q, then damped exact-Hessian steps
  let rootSteps = o.method === "gauss-newton";
  let stop: Candidate["stop"] = "maxIters";
  const J = new Float64Array(n * n), H = new Float64Array(n * n), g = new Float64Array(n);
  const xn = new Float64Array(n);
  let Fn: Float64Array = new Float64Array(n);
  const rhs = new Float64Array(n);
  while (iterations < o.maxIters) {
    if (q < o.qTol) {
      stop = "qTol";
      break;
    }
    iterations++;
    system.jacobian(x, J);
    let accepted = false, qn = q, stepNorm = 0;
    const tryStep = (delta: Float64Array | null): boolean => {
      if (delta === null) return false;
      let sn = 0;
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(delta[i])) return false;
        xn[i] = x[i] + delta[i];
        sn += delta[i] * delta[i];
      }
      system.flow(xn, Fn);
      const qt = half2(Fn);
      if (!(qt < q)) return false;
      qn = qt;
      stepNorm = Math.sqrt(sn);
      return true;
    };
    if (rootSteps) {
      for (let i = 0; i < n; i++) rhs[i] = -F[i];
      accepted = tryStep(solveSquare(J, rhs, n));
      rootSteps = accepted;
    }
    if (!accepted) {
      // damped (Levenberg–Marquardt) step on the exact Hessian: (H + μI) δ = −∇q
      if (system.speedHessian) system.speedHessian(x, H);
      else {
        H.fill(0);
        if (system.flowCurvature) system.flowCurvature(x, F, H);
        addGram(J, n, H);
      }
      g.fill(0);
      for (let i = 0; i < n; i++) {
        const fi = F[i], row = i * n;
        for (let j = 0; j < n; j++) g[j] -= J[row + j] * fi;
      }
      let scale = 0;
      for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(H[i * n + i]));
      const floor = 1e-12 * (1 + scale);
      for (let tries = 0; tries < 30 && !accepted; tries++) {
        const A = Float64Array.from(H);
        for (let i = 0; i < n; i++) A[i * n + i] += mu;
        accepted = tryStep(solveSpd(A, g, n));
        if (accepted) mu = mu > floor ? mu / 10 : 0;
        else mu = Math.max(10 * mu, floor);
      }
      if (!accepted) {
        stop = "stalled";
        break;
      }
    }
    const dq = q - qn;
    x.set(xn);
    const hit = o.merge ? finals.find((f) => near(f.x, x, o.dedupTol)) : undefined;
    if (hit) {
      x.set(hit.x);
      q = hit.q;
      stop = "merged";
      break;
    }
    [F, Fn] = [Fn, F];
    const qOld = q;
    q = qn;
    if (q < o.qTol) {
      stop = "qTol";
      break;
    }
    if (dq < o.qChangeTol * qOld) {
      stop = "qChangeTol";
      break;
    }
    let xNorm = 0;
    for (let i = 0; i < n; i++) xNorm += x[i] * x[i];
    if (stepNorm < o.stepTol * (1 + Math.sqrt(xNorm))) {
      stop = "stepTol";
      break;
    }
  }
  return { x, q, iterations, stop, start };
}

/** Solves A δ = b (row-major n×n): closed form for n ≤ 2, ml-matrix LU above; null if singular. */
function solveSquare(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  if (n <= 2) return solveSmall(A, b, n);
  const lu = new LuDecomposition(Matrix.from1DArray(n, n, A));
  if (lu.isSingular()) return null;
  return Float64Array.from(lu.solve(Matrix.columnVector(Array.from(b))).getColumn(0));
}

/**
 * Solves A δ = b for a symmetric A (symmetrised here) that must be positive definite: ml-matrix
 * Cholesky above n = 2; null if A is not positive definite (the damping is then raised).
 */
function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  if (n <= 2) {
    if (!(A[0] > 0) || (n === 2 && !(A[0] * A[3] - A[1] * A[2] > 0))) return null;
    return solveSmall(A, b, n);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const m = 0.5 * (A[i * n + j] + A[j * n + i]);
      A[i * n + j] = m;
      A[j * n + i] = m;
    }
  }
  const ch = new CholeskyDecomposition(Matrix.from1DArray(n, n, A));
  if (!ch.isPositiveDefinite()) return null;
  return Float64Array.from(ch.solve(Matrix.columnVector(Array.from(b))).getColumn(0));
}

function solveSmall(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  if (n === 1) return A[0] === 0 ? null : Float64Array.of(b[0] / A[0]);
  const det = A[0] * A[3] - A[1] * A[2];
  if (det === 0) return null;
  return Float64Array.of((b[0] * A[3] - A[1] * b[1]) / det, (A[0] * b[1] - A[2] * b[0]) / det);
}

function half2(F: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < F.length; i++) s += F[i] * F[i];
  return 0.5 * s;
}

/** ‖a − b‖ ≤ tol, with an early exit. */
function near(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  const t2 = tol * tol;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    s += (a[i] - b[i]) ** 2;
    if (s > t2) return false;
  }
  return true;
}

function dist(a: ArrayLike<number>, b: ArrayLike<number>, offB = 0): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[offB + i]) ** 2;
  return Math.sqrt(s);
}

/** Greedy clustering in the given order: each x joins the first representative within tol. */
function cluster(xs: ArrayLike<number>[], tol: number): { rep: number; members: number[] }[] {
  const groups: { rep: number; members: number[] }[] = [];
  for (let i = 0; i < xs.length; i++) {
    const g = groups.find((g) => dist(xs[g.rep], xs[i]) <= tol);
    if (g) g.members.push(i);
    else groups.push({ rep: i, members: [i] });
  }
  return groups;
}

function nearestDistance(states: ArrayLike<number>, dim: number, x: ArrayLike<number>): number {
  let best = Infinity;
  for (let s = 0; s < states.length / dim; s++) best = Math.min(best, dist(x, states, s * dim));
  return best;
}

function rmsSpread(states: ArrayLike<number>, dim: number): number {
  const count = states.length / dim, mean = new Float64Array(dim);
  for (let s = 0; s < count; s++) {
    for (let k = 0; k < dim; k++) mean[k] += states[s * dim + k] / count;
  }
  let ss = 0;
  for (let s = 0; s < count; s++) ss += dist(mean, states, s * dim) ** 2;
  return Math.sqrt(ss / count);
}

/**
 * Classifies a point x (docs/ghost-mechanism.md §1.1): with λ the eigenvalues of J(x),
 * - q < fixedPointTol: a fixed point — "stable" if every Re λ < 0, "unstable" if every Re λ > 0,
 *   "saddle" otherwise;
 * - q ≥ fixedPointTol, x a local minimum of q (Hessian positive semi-definite) and the slow
 *   eigenvalue |λ_slow| < ghostEigTol: a "ghost" (the remnant of a saddle-node: one eigenvalue near
 *   zero, the flow slow but nonzero);
 * - anything else: "slow" (a speed minimum that is neither).
 */
export function classifySlowPoint(
  system: DynamicalSystem,
  x: ArrayLike<number>,
  opts: Pick<FindOptions, "fixedPointTol" | "ghostEigTol" | "ghostSpeedMin"> = {},
): SlowPoint {
  const n = system.dim;
  requireLength("x", x, n, "dim");
  const fixedPointTol = opts.fixedPointTol ?? 1e-14;
  const ghostEigTol = opts.ghostEigTol ?? 1e-3;
  const ghostSpeedMin = opts.ghostSpeedMin ?? 1e-10;
  requirePositive("opts.fixedPointTol", fixedPointTol);
  requirePositive("opts.ghostEigTol", ghostEigTol);
  requirePositive("opts.ghostSpeedMin", ghostSpeedMin);
  const F = system.flow(x), q = half2(F);
  const sp = spectrum(system.jacobian(x), n);
  const mod = sp.re.map((r, k) => Math.hypot(r, sp.im[k]));
  let slowIndex = 0;
  for (let k = 1; k < n; k++) if (mod[k] < mod[slowIndex]) slowIndex = k;
  const v = column(sp.rightRe, n, slowIndex), u = column(sp.leftRe, n, slowIndex);
  const real = sp.im[slowIndex] === 0;
  // 1-D reduction dy/dt ≈ a y² + b along v (Eq. (1.1.3)): b = uᵀF, a = ½ uᵀ ∇²F[v, v]
  let a = NaN, b = NaN;
  if (real) {
    b = u.reduce((s, ui, i) => s + ui * F[i], 0);
    a = 0.5 * quadraticForm(flowCurvatureOrFd(system, x, u), v, n);
  }
  let kind: SlowPointKind;
  if (q < fixedPointTol) {
    const neg = sp.re.filter((r) => r < 0).length;
    kind = neg === n ? "stable" : sp.re.every((r) => r > 0) ? "unstable" : "saddle";
  } else {
    const Hmin = symmetricEigenvalues(speedHessian(system, x), n)[0];
    const Hscale = Math.max(1, ...sp.re.map(Math.abs), ...sp.im.map(Math.abs)) ** 2;
    const isMinimum = Hmin >= -1e-8 * Hscale;
    const nearZero = mod.filter((m) => m < ghostEigTol).length;
    kind = isMinimum && real && q >= ghostSpeedMin && nearZero === 1 ? "ghost" : "slow";
  }
  const point: SlowPoint = {
    x: Array.from(x),
    q,
    speed: Math.sqrt(2 * q),
    kind,
    eigRe: sp.re,
    eigIm: sp.im,
    slowIndex,
    slowDirection: v,
    reduction: { a, b },
    count: 1,
  };
  if (kind === "ghost" && a * b > 0) point.passageTime = Math.PI / Math.sqrt(a * b);
  return point;
}

/** Σ_i w_i ∇²F_i(x): the system's own, or central differences of J along each axis. */
function flowCurvatureOrFd(
  system: DynamicalSystem,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
): Float64Array {
  const n = system.dim;
  if (system.flowCurvature) return system.flowCurvature(x, w);
  const C = new Float64Array(n * n), xp = Float64Array.from(x), xm = Float64Array.from(x);
  for (let j = 0; j < n; j++) {
    const h = 1e-5 * (1 + Math.abs(x[j]));
    xp[j] += h;
    xm[j] -= h;
    const Jp = system.jacobian(xp), Jm = system.jacobian(xm);
    // ∂/∂x_j of Σ_i w_i ∂F_i/∂x_k
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += w[i] * (Jp[i * n + k] - Jm[i * n + k]);
      C[k * n + j] = s / (2 * h);
    }
    xp[j] = x[j];
    xm[j] = x[j];
  }
  return C;
}

function quadraticForm(C: ArrayLike<number>, v: ArrayLike<number>, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += v[i] * C[i * n + j] * v[j];
  return s;
}

/**
 * Merges points within `tol` (Euclidean) of each other, keeping the lowest-q representative and
 * summing counts (FixedPointFinder's `unique`).
 */
export function dedupSlowPoints(points: SlowPoint[], tol: number): SlowPoint[] {
  requirePositive("tol", tol);
  const sorted = [...points].sort((a, b) => a.q - b.q);
  return cluster(sorted.map((p) => p.x), tol).map(({ rep, members }) => ({
    ...sorted[rep],
    count: members.reduce((s, m) => s + sorted[m].count, 0),
  }));
}
