/**
 * PCA of trajectories (ml-matrix SVD), for the 3-D state-space plots (docs/ghost-mechanism.md §2.7).
 *
 * @module
 */

import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { requireInteger, requireRows } from "../validate.ts";

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
  requireInteger("dim", dim, 1);
  const count = requireRows("states", states, dim);
  if (count < 2) throw new RangeError(`pca needs at least 2 states, got ${count}`);
  requireInteger("k", k, 1);
  if (k > dim) throw new RangeError(`k must be an integer in [1, dim = ${dim}], got ${k}`);
  const mean = new Array<number>(dim).fill(0);
  for (let s = 0; s < count; s++) {
    for (let j = 0; j < dim; j++) mean[j] += states[s * dim + j] / count;
  }
  const X = new Matrix(count, dim);
  for (let s = 0; s < count; s++) {
    for (let j = 0; j < dim; j++) X.set(s, j, states[s * dim + j] - mean[j]);
  }
  const svd = new SingularValueDecomposition(X, {
    computeLeftSingularVectors: false,
    autoTranspose: true,
  });
  const V = svd.rightSingularVectors, sv = svd.diagonal;
  const total = sv.reduce((a, x) => a + x * x, 0);
  const components: number[] = [];
  for (let c = 0; c < k; c++) {
    const v = V.getColumn(c);
    const big = v.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0);
    for (const x of v) components.push(big < 0 ? -x : x);
  }
  const variance = sv.slice(0, k).map((x) => (x * x) / (count - 1));
  return {
    dim,
    k,
    mean,
    components,
    variance,
    explained: sv.slice(0, k).map((x) => (total > 0 ? (x * x) / total : 0)),
    project(xs: ArrayLike<number>): number[] {
      if (xs.length % dim !== 0) {
        throw new RangeError(
          `states to project must be row-major count×dim (dim = ${dim}), got length ${xs.length}`,
        );
      }
      const m = xs.length / dim, out = new Array<number>(m * k).fill(0);
      for (let s = 0; s < m; s++) {
        for (let c = 0; c < k; c++) {
          let acc = 0;
          for (let j = 0; j < dim; j++) {
            acc += (xs[s * dim + j] - mean[j]) * components[c * dim + j];
          }
          out[s * k + c] = acc;
        }
      }
      return out;
    },
  };
}
