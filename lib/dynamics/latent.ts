/**
 * Latent (κ-space) flow of low-rank RNNs (docs/ghost-mechanism.md §2.4 "Latent flow analysis", Fig 4).
 *
 * With the row-convention recurrence `rec = r S_l S_r`, the column-convention matrix is
 * W = (S_l S_r)ᵀ. Its thin SVD W = U Σ Vᵀ (rank K) gives M = U diag(Σ) (N×K) and P = Vᵀ (K×N);
 * the latent coordinates κ = P r obey, exactly for zero input,
 * **dκ/dt = F(κ) = −κ + P tanh(Mκ + b)**, and the speed is ‖F(κ)‖.
 *
 * The SVD is computed from K×K factors (thin QR of S_l and S_rᵀ, then the SVD of the K×K core,
 * both with ml-matrix), so it costs O(N·K²). Singular vectors are defined up to sign; here each column of
 * V is signed so that its largest-magnitude entry is positive (numpy's choice may differ, which
 * mirrors the plot axes).
 *
 * @module
 */

import { Matrix, QrDecomposition, SingularValueDecomposition } from "ml-matrix";

/** The latent basis of a rank-K recurrent matrix: W = M P. */
export interface LatentBasis {
  N: number;
  K: number;
  /** Singular values, descending (length K). */
  sigma: number[];
  /** M = U diag(Σ), row-major N×K. */
  M: number[];
  /** P = Vᵀ, row-major K×N (κ = P r). */
  P: number[];
}

// thin QR of an N×K row-major matrix (ml-matrix Householder QR): Q (N×K), R (K×K), row-major
function qr(A: Float64Array, N: number, K: number): { Q: Float64Array; R: Float64Array } {
  const d = new QrDecomposition(Matrix.from1DArray(N, K, A));
  return {
    Q: Float64Array.from(d.orthogonalMatrix.to1DArray()),
    R: Float64Array.from(d.upperTriangularMatrix.to1DArray()),
  };
}

/**
 * The latent basis M, P of W = (S_l S_r)ᵀ (§2.4, `get_lpus`): S_l is N×K and S_r is K×N,
 * row-major, as stored by the `lowRank` model.
 *
 * @throws {RangeError} if the lengths do not match N×K and K×N.
 */
export function latentBasis(
  Sl: ArrayLike<number>,
  Sr: ArrayLike<number>,
  N: number,
  K: number,
): LatentBasis {
  if (Sl.length !== N * K) {
    throw new RangeError(`S_l must have N*K = ${N * K} entries, got ${Sl.length}`);
  }
  if (Sr.length !== K * N) {
    throw new RangeError(`S_r must have K*N = ${K * N} entries, got ${Sr.length}`);
  }
  // W = S_rᵀ S_lᵀ = (Q_r R_r)(Q_l R_l)ᵀ = Q_r (R_r R_lᵀ) Q_lᵀ
  const SrT = new Float64Array(N * K);
  for (let k = 0; k < K; k++) for (let i = 0; i < N; i++) SrT[i * K + k] = Sr[k * N + i];
  const l = qr(Float64Array.from(Sl), N, K), r = qr(SrT, N, K);
  const C = new Float64Array(K * K);
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      let s = 0;
      for (let c = 0; c < K; c++) s += r.R[a * K + c] * l.R[b * K + c];
      C[a * K + b] = s;
    }
  }
  const svd = new SingularValueDecomposition(Matrix.from1DArray(K, K, C));
  const s = svd.diagonal, u = svd.leftSingularVectors.to1DArray();
  const v = svd.rightSingularVectors.to1DArray();
  const M = new Array<number>(N * K).fill(0), P = new Array<number>(K * N).fill(0);
  for (let c = 0; c < K; c++) {
    // V = Q_l v, U = Q_r u; sign: largest-|.| entry of each V column positive
    const Vc = new Float64Array(N), Uc = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < K; k++) {
        Vc[i] += l.Q[i * K + k] * v[k * K + c];
        Uc[i] += r.Q[i * K + k] * u[k * K + c];
      }
    }
    let big = 0;
    for (let i = 0; i < N; i++) if (Math.abs(Vc[i]) > Math.abs(big)) big = Vc[i];
    const sg = big < 0 ? -1 : 1;
    for (let i = 0; i < N; i++) {
      P[c * N + i] = sg * Vc[i];
      M[i * K + c] = sg * Uc[i] * s[c];
    }
  }
  return { N, K, sigma: s, M, P };
}

/** F(κ) = −κ + P tanh(Mκ + b) at one latent point (§2.4). */
export function latentFlow(
  basis: LatentBasis,
  b: ArrayLike<number>,
  kappa: ArrayLike<number>,
): number[] {
  const { N, K, M, P } = basis;
  if (kappa.length !== K) {
    throw new RangeError(`kappa must have K = ${K} entries, got ${kappa.length}`);
  }
  if (b.length !== N) throw new RangeError(`b must have N = ${N} entries, got ${b.length}`);
  const F = Array.from(kappa, (v) => -v);
  for (let i = 0; i < N; i++) {
    let z = b[i];
    for (let k = 0; k < K; k++) z += M[i * K + k] * kappa[k];
    const f = Math.tanh(z);
    for (let k = 0; k < K; k++) F[k] += P[k * N + i] * f;
  }
  return F;
}

/**
 * The rank-2 flow map on a square grid (§2.4 flow-map panels): κ₁, κ₂ ∈ linspace(min, max, n);
 * returns F₁, F₂ and log10 speed, row-major with κ₂ along rows (`[i2 * n + i1]`).
 */
export function latentFlowGrid(
  basis: LatentBasis,
  b: ArrayLike<number>,
  grid: { min: number; max: number; n: number },
): { kappa: number[]; F1: number[]; F2: number[]; logSpeed: number[] } {
  if (basis.K !== 2) throw new RangeError(`latentFlowGrid needs rank K = 2, got ${basis.K}`);
  if (!Number.isInteger(grid.n) || grid.n < 2) {
    throw new RangeError(`grid.n must be an integer >= 2, got ${grid.n}`);
  }
  const n = grid.n;
  const kappa = Array.from(
    { length: n },
    (_, k) => grid.min + ((grid.max - grid.min) * k) / (n - 1),
  );
  const F1 = new Array<number>(n * n),
    F2 = new Array<number>(n * n),
    logSpeed = new Array<number>(n * n);
  for (let i2 = 0; i2 < n; i2++) {
    for (let i1 = 0; i1 < n; i1++) {
      const F = latentFlow(basis, b, [kappa[i1], kappa[i2]]);
      F1[i2 * n + i1] = F[0];
      F2[i2 * n + i1] = F[1];
      logSpeed[i2 * n + i1] = Math.log10(Math.hypot(F[0], F[1]));
    }
  }
  return { kappa, F1, F2, logSpeed };
}

/** Latent coordinates κ = P r of rate vectors stored row-major (count × N). */
export function latentCoordinates(basis: LatentBasis, rates: ArrayLike<number>): number[] {
  const { N, K, P } = basis;
  if (rates.length % N !== 0) {
    throw new RangeError(`rates length must be a multiple of N = ${N}, got ${rates.length}`);
  }
  const count = rates.length / N, out = new Array<number>(count * K).fill(0);
  for (let c = 0; c < count; c++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += P[k * N + i] * rates[c * N + i];
      out[c * K + k] = s;
    }
  }
  return out;
}
