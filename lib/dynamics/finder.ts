/**
 * The slow-point finder (docs/ghost-mechanism.md §1.1, §2.4, §2.7): minimise the speed
 * q(x) = ½‖F(x)‖² from many starts, polish with Newton steps, deduplicate, exclude outliers,
 * and classify each point as a stable / unstable fixed point, a saddle, or a **ghost**.
 *
 * @module
 */

import type { Rng } from "../random.ts";
import type { DynamicalSystem } from "./system.ts";

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
  stop: "qTol" | "qChangeTol" | "stepTol" | "maxIters";
  /** Index of the start it came from. */
  start: number;
}

/** Options of {@linkcode findSlowPoints} (all tolerances > 0). */
export interface FindOptions {
  /** Stop when q < qTol (default 1e-24). */
  qTol?: number;
  /** Stop when the relative decrease of q over an accepted step is < qChangeTol (default 1e-12). */
  qChangeTol?: number;
  /** Stop when the step norm is < stepTol·(1 + ‖x‖) (default 1e-13). */
  stepTol?: number;
  /** Maximum number of (damped) Newton iterations per start (default 100). */
  maxIters?: number;
  /**
   * "newton": exact Hessian of q with Levenberg–Marquardt damping (default for dim ≤ 10);
   * "gauss-newton": root-finding steps −J⁻¹F with a damped Gauss–Newton fallback (default above).
   */
  method?: "newton" | "gauss-newton";
  /** Points closer than this (Euclidean) are one point (default 1e-6). */
  dedupTol?: number;
  /** Visited states (row-major count×dim) for outlier exclusion and distances. */
  visited?: ArrayLike<number>;
  /**
   * Points farther than this from every visited state are outliers (default: ∞, i.e. keep all).
   * Outliers are re-run once from the visited state nearest to them when `rerunOutliers`.
   */
  outlierDistance?: number;
  /** Re-run outliers from their nearest visited state (default true). */
  rerunOutliers?: boolean;
  /** A point with q below this is a fixed point (default 1e-16). */
  fixedPointTol?: number;
  /** A non-fixed local minimum of q is a ghost when its slow |λ| < ghostEigTol (default 0.1). */
  ghostEigTol?: number;
  /** Keep only points with q below this (default ∞). */
  maxSpeed?: number;
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
  void states, dim, n, jitter, rng;
  throw new Error("TODO");
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
  void system, starts, opts;
  throw new Error("TODO");
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
  opts: Pick<FindOptions, "fixedPointTol" | "ghostEigTol"> = {},
): SlowPoint {
  void system, x, opts;
  throw new Error("TODO");
}

/**
 * Merges points within `tol` (Euclidean) of each other, keeping the lowest-q representative and
 * summing counts (FixedPointFinder's `unique`).
 */
export function dedupSlowPoints(points: SlowPoint[], tol: number): SlowPoint[] {
  void points, tol;
  throw new Error("TODO");
}
