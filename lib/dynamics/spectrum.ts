/**
 * Jacobian spectra with ml-matrix: full eigendecomposition J = V Λ V⁻¹ with complex eigenvalues and
 * right / left eigenvectors (docs/ghost-mechanism.md §2.4, §2.7).
 *
 * @module
 */

import { EigenvalueDecomposition, inverse, Matrix } from "ml-matrix";
import { requireInteger, requireLength } from "../validate.ts";

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
  requireInteger("n", n, 1);
  requireLength("A", A, n * n, "n×n");
  const e = new EigenvalueDecomposition(Matrix.from1DArray(n, n, Array.from(A)));
  const d = e.realEigenvalues, f = e.imaginaryEigenvalues;
  const V = e.eigenvectorMatrix;
  let W = inverse(V); // rows: left eigenvectors of the real block form
  if (!W.to1DArray().every(Number.isFinite)) W = inverse(V, true); // defective: pseudo-inverse
  // complex eigenvectors per eigenvalue (JAMA real form: a complex pair k, k+1 has columns
  // k = Re v, k+1 = Im v for λ_k = d_k + i f_k, f_k > 0, and v_{k+1} = conj(v_k))
  const vecs: { re: number; im: number; vr: number[]; vi: number[]; ur: number[]; ui: number[] }[] =
    [];
  for (let k = 0; k < n; k++) {
    const col = (j: number) => V.getColumn(j), row = (j: number) => W.getRow(j);
    if (f[k] === 0) {
      vecs.push({
        re: d[k],
        im: 0,
        vr: col(k),
        vi: new Array(n).fill(0),
        ur: row(k),
        ui: new Array(n).fill(0),
      });
    } else if (f[k] > 0 && k + 1 < n) {
      const a = col(k), b = col(k + 1), wk = row(k), wk1 = row(k + 1);
      // u_k = (w_k + i w_{k+1})/2 satisfies u_kᴴ v_k = 1, u_kᴴ v_{k+1} = 0
      const ur = wk.map((x) => x / 2), ui = wk1.map((x) => x / 2);
      vecs.push({ re: d[k], im: f[k], vr: a, vi: b, ur, ui });
      vecs.push({
        re: d[k + 1],
        im: f[k + 1],
        vr: a.slice(),
        vi: b.map((x) => -x),
        ur: ur.slice(),
        ui: ui.map((x) => -x),
      });
      k++;
    } else {
      throw new Error(`spectrum: unexpected eigenvalue ordering at index ${k} (ml-matrix)`);
    }
  }
  // unit right vectors (complex 2-norm), left vectors rescaled to keep uᴴv = 1
  for (const v of vecs) {
    let nv = 0;
    for (let i = 0; i < n; i++) nv += v.vr[i] ** 2 + v.vi[i] ** 2;
    nv = Math.sqrt(nv);
    if (nv > 0) {
      for (let i = 0; i < n; i++) {
        v.vr[i] /= nv;
        v.vi[i] /= nv;
        v.ur[i] *= nv;
        v.ui[i] *= nv;
      }
    }
  }
  vecs.sort((p, q) => q.re - p.re || q.im - p.im);
  const out: Spectrum = {
    n,
    re: vecs.map((v) => v.re),
    im: vecs.map((v) => v.im),
    rightRe: new Array(n * n),
    rightIm: new Array(n * n),
    leftRe: new Array(n * n),
    leftIm: new Array(n * n),
  };
  vecs.forEach((v, k) => {
    for (let i = 0; i < n; i++) {
      out.rightRe[i * n + k] = v.vr[i];
      out.rightIm[i * n + k] = v.vi[i];
      out.leftRe[i * n + k] = v.ur[i];
      out.leftIm[i * n + k] = v.ui[i];
    }
  });
  return out;
}

/** Column k of a row-major n×n matrix (e.g. one eigenvector of a {@linkcode Spectrum}). */
export function column(A: ArrayLike<number>, n: number, k: number): number[] {
  return Array.from({ length: n }, (_, i) => A[i * n + k]);
}

/**
 * Eigenvalues of a symmetric n×n matrix, ascending (ml-matrix, `assumeSymmetric`): used for the
 * local-minimum test ∇²q ⪰ 0 of a ghost (Eq. (1.1.2)).
 */
export function symmetricEigenvalues(A: ArrayLike<number>, n: number): number[] {
  requireInteger("n", n, 1);
  requireLength("A", A, n * n, "n×n");
  const S = Matrix.from1DArray(n, n, Array.from(A));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const m = (S.get(i, j) + S.get(j, i)) / 2;
      S.set(i, j, m);
      S.set(j, i, m);
    }
  }
  return new EigenvalueDecomposition(S, { assumeSymmetric: true }).realEigenvalues.sort((a, b) =>
    a - b
  );
}
