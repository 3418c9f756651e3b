/**
 * Jacobian spectra with ml-matrix: full eigendecomposition J = V Λ V⁻¹ with complex eigenvalues and
 * right / left eigenvectors (docs/ghost-mechanism.md §2.4, §2.7).
 *
 * @module
 */

/** Eigen-decomposition of a real square matrix (Eq. (2.7.3): J v = λ v, uᴴ J = λ uᴴ). */
export interface Spectrum {
  /** Matrix size n. */
  n: number;
  /** Real parts of the eigenvalues, sorted by decreasing real part. */
  re: number[];
  /** Imaginary parts (conjugate pairs adjacent, positive first). */
  im: number[];
  /**
   * Right eigenvectors: column k is v_k; for a complex pair (k, k+1) the real and imaginary parts
   * of v_k = a + i b are `rightRe`/`rightIm`. Row-major n×n each.
   */
  rightRe: number[];
  rightIm: number[];
  /** Left eigenvectors u_k (columns), normalised so that u_kᴴ v_k = 1. Row-major n×n each. */
  leftRe: number[];
  leftIm: number[];
}

/**
 * The eigen-decomposition of a real n×n matrix (ml-matrix `EigenvalueDecomposition`; left
 * eigenvectors from the inverse of the right-eigenvector matrix).
 *
 * @throws {RangeError} if `A` is not n×n or has non-finite entries.
 */
export function spectrum(A: ArrayLike<number>, n: number): Spectrum {
  void A, n;
  throw new Error("TODO");
}
