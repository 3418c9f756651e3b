/**
 * PCA of trajectories (ml-matrix SVD), for the 3-D state-space plots (docs/ghost-mechanism.md §2.7).
 *
 * @module
 */

/** A fitted PCA: x ↦ (x − mean) Cᵀ. */
export interface Pca {
  /** Input dimension. */
  dim: number;
  /** Number of components k. */
  k: number;
  /** Mean (length dim). */
  mean: number[];
  /** Components, row-major k×dim (unit rows, orthogonal). */
  components: number[];
  /** Variance explained by each component. */
  variance: number[];
  /** Fraction of the total variance explained by each component. */
  explained: number[];
  /** Projects row-major count×dim states to count×k scores. */
  project(states: ArrayLike<number>): number[];
}

/**
 * Fits a k-component PCA to states stored row-major (count×dim): the top-k right singular vectors
 * of the centred data (Eq. (2.7.4)); each component's sign makes its largest entry positive.
 *
 * @throws {RangeError} on a length that is not a multiple of dim, fewer than 2 states, k outside
 * [1, dim], non-finite entries.
 */
export function pca(states: ArrayLike<number>, dim: number, k: number): Pca {
  void states, dim, k;
  throw new Error("TODO");
}
