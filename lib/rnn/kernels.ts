/**
 * Small dense kernels for the float64 RNN engine (docs/ghost-mechanism.md §5: per-op overhead dominates, so the
 * engine uses a few register-blocked loops instead of a tensor library).
 *
 * @module
 */

/**
 * C[cOff + a·ldc + b] = Σ_k A[aOff + a·len + k] · B[bOff + b·len + k] for a < nA, b < nB
 * (C = A Bᵀ with row-major A (nA×len) and B (nB×len)), with 2×4 register blocking
 * (1×4 for a last odd row of A; single dot products for the remaining columns).
 */
export function gemmABt(
  A: Float64Array,
  aOff: number,
  nA: number,
  B: Float64Array,
  bOff: number,
  nB: number,
  len: number,
  C: Float64Array,
  cOff: number,
  ldc: number,
): void {
  const nB4 = nB - (nB % 4);
  let a = 0;
  for (; a + 1 < nA; a += 2) {
    const a0 = aOff + a * len, a1 = a0 + len, c0 = cOff + a * ldc, c1 = c0 + ldc;
    for (let b = 0; b < nB4; b += 4) {
      const b0 = bOff + b * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let k = 0; k < len; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k];
        const y0 = B[b0 + k], y1 = B[b1 + k], y2 = B[b2 + k], y3 = B[b3 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      C[c0 + b] = s00;
      C[c0 + b + 1] = s01;
      C[c0 + b + 2] = s02;
      C[c0 + b + 3] = s03;
      C[c1 + b] = s10;
      C[c1 + b + 1] = s11;
      C[c1 + b + 2] = s12;
      C[c1 + b + 3] = s13;
    }
    for (let b = nB4; b < nB; b++) {
      const b0 = bOff + b * len;
      let s0 = 0, s1 = 0;
      for (let k = 0; k < len; k++) {
        const y = B[b0 + k];
        s0 += A[a0 + k] * y;
        s1 += A[a1 + k] * y;
      }
      C[c0 + b] = s0;
      C[c1 + b] = s1;
    }
  }
  if (a < nA) {
    const a0 = aOff + a * len, c0 = cOff + a * ldc;
    for (let b = 0; b < nB4; b += 4) {
      const b0 = bOff + b * len, b1 = b0 + len, b2 = b1 + len, b3 = b2 + len;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < len; k++) {
        const x = A[a0 + k];
        s0 += x * B[b0 + k];
        s1 += x * B[b1 + k];
        s2 += x * B[b2 + k];
        s3 += x * B[b3 + k];
      }
      C[c0 + b] = s0;
      C[c0 + b + 1] = s1;
      C[c0 + b + 2] = s2;
      C[c0 + b + 3] = s3;
    }
    for (let b = nB4; b < nB; b++) {
      const b0 = bOff + b * len;
      let s = 0;
      for (let k = 0; k < len; k++) s += A[a0 + k] * B[b0 + k];
      C[c0 + b] = s;
    }
  }
}
