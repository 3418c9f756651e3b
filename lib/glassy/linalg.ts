/**
 * Small float64 dense linear algebra for the glassy model: Haar-orthogonal and permutation
 * initialisation (docs/glassy-dynamics.md §3) and the polar (nearest-orthogonal) projection used to re-orthogonalise
 * the recurrent matrices M every 200 steps (§4.6, §8: Newton–Schulz iteration instead of an SVD).
 *
 * Matrices are row-major `Float64Array`s with explicit shapes.
 *
 * @module
 */

import type { Rng } from "../random.ts";
import { Matrix, QrDecomposition } from "ml-matrix";

/** C = A (n×k) · B (k×m), row-major. */
export function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number) {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const ci = i * m;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      const bp = p * m;
      for (let j = 0; j < m; j++) c[ci + j] += aip * b[bp + j];
    }
  }
  return c;
}

/** Transpose of an (n×m) row-major matrix. */
export function transpose(a: Float64Array, n: number, m: number): Float64Array {
  const t = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) t[j * n + i] = a[i * m + j];
  return t;
}

/** ‖QᵀQ − I‖_max for a square n×n matrix (0 for an exactly orthogonal matrix). */
export function orthogonalityError(q: Float64Array, n: number): number {
  const qtq = matmul(transpose(q, n, n), q, n, n, n);
  let e = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) e = Math.max(e, Math.abs(qtq[i * n + j] - (i === j ? 1 : 0)));
  }
  return e;
}

/**
 * A Haar-distributed random orthogonal n×n matrix (docs/glassy-dynamics.md §3: J_1 … J_{d−1}): the
 * Q of the QR decomposition G = QR of a Gaussian matrix (ml-matrix, Householder), with the signs of
 * Q's columns chosen so that diag(R) > 0 — the unique such Q, which is Haar-distributed.
 */
export function haarOrthogonal(n: number, rng: Rng): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  const qr = new QrDecomposition(Matrix.from1DArray(n, n, rng.normals(n * n)));
  const q = qr.orthogonalMatrix;
  const r = qr.upperTriangularMatrix;
  const out = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const sign = r.get(j, j) < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) out[i * n + j] = sign * q.get(i, j);
  }
  return out;
}

/**
 * A random n×n permutation matrix that is not the identity (§3: M_l, rows of the identity shuffled
 * and reshuffled while the result is the identity). For n = 1 the identity is the only choice.
 */
export function randomPermutation(n: number, rng: Rng): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  const perm = Array.from({ length: n }, (_, i) => i);
  if (n > 1) {
    do rng.shuffle(perm); while (perm.every((p, i) => p === i));
  }
  const m = new Float64Array(n * n);
  perm.forEach((p, i) => (m[i * n + p] = 1));
  return m;
}

/** Options for {@linkcode polarOrthogonal}. */
export interface PolarOptions {
  /** Stop when ‖YᵀY − I‖_max < tol (default 1e-12). */
  tol?: number;
  /** Maximum number of iterations (default 100). */
  maxIter?: number;
}

/**
 * The orthogonal polar factor U Vᵀ of a square matrix A = U Σ Vᵀ (the nearest orthogonal matrix in
 * Frobenius norm; §4.6), by the Newton–Schulz iteration Y ← ½ Y (3I − YᵀY) (§8). If A is far from
 * orthogonal, it is first scaled by 1/‖A‖_F so that all singular values lie in (0, 1], where the
 * iteration converges.
 *
 * @throws {RangeError} if A is singular to working precision (no unique polar factor) or the
 *   iteration does not converge within `maxIter`.
 */
export function polarOrthogonal(a: Float64Array, n: number, opts: PolarOptions = {}): Float64Array {
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 100;
  if (a.length !== n * n) throw new RangeError(`a must have n*n=${n * n} entries, got ${a.length}`);
  let y = a.slice();
  if (orthogonalityError(y, n) > 0.5) {
    let f = 0;
    for (const v of y) f += v * v;
    f = Math.sqrt(f);
    if (!(f > 0)) throw new RangeError("a must be non-singular, got a zero matrix");
    y = y.map((v) => v / f);
  }
  for (let it = 0; it < maxIter; it++) {
    const yty = matmul(transpose(y, n, n), y, n, n, n);
    let err = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = yty[i * n + j] - (i === j ? 1 : 0);
        err = Math.max(err, Math.abs(v));
        yty[i * n + j] = (i === j ? 3 : 0) - yty[i * n + j];
      }
    }
    if (err < tol) return y;
    y = matmul(y, yty, n, n, n).map((v) => 0.5 * v);
  }
  if (orthogonalityError(y, n) < Math.sqrt(tol)) return y;
  throw new RangeError(
    `polar iteration did not converge in maxIter=${maxIter} iterations (a is near-singular)`,
  );
}
