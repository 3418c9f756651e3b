/**
 * The per-step SGD noise variance σ² of the glassy trainer (`docs/glassy-dynamics.md` §6.4), from
 * the single-column gradient contributions at the current state, in float64.
 *
 * @module
 */

import type { ChoraleData } from "./data.ts";
import type { NetworkState } from "./model.ts";

/**
 * Σ over the (na × nb) parameters of the population variance over t of a(t) b(t)ᵀ (§6.4, §8):
 * (1/T) Σ_t |a(t)|² |b(t)|² − ‖(1/T) Σ_t a(t) b(t)ᵀ‖²_F, in float64. A and B are time-major
 * (T × na), (T × nb).
 */
export function outerProductVarianceSum(
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  T: number,
  na: number,
  nb: number,
): number {
  if (A.length !== T * na || B.length !== T * nb) {
    throw new RangeError(
      `A, B must be T×na, T×nb = ${T * na}, ${T * nb}; got ${A.length}, ${B.length}`,
    );
  }
  let sq = 0;
  const mean = new Float64Array(na * nb);
  const a = new Float64Array(na);
  for (let t = 0; t < T; t++) {
    let a2 = 0;
    let b2 = 0;
    for (let i = 0; i < na; i++) {
      a[i] = A[t * na + i];
      a2 += a[i] * a[i];
    }
    for (let j = 0; j < nb; j++) b2 += B[t * nb + j] * B[t * nb + j];
    sq += a2 * b2;
    for (let i = 0; i < na; i++) {
      const ai = a[i];
      if (ai === 0) continue;
      const row = i * nb;
      for (let j = 0; j < nb; j++) mean[row + j] += ai * B[t * nb + j];
    }
  }
  let m2 = 0;
  for (const v of mean) m2 += (v / T) ** 2;
  return sq / T - m2;
}

/**
 * σ² = η² Σ_classes Σ_params Var_t(g_p(t)) / (mbs · P) (§6.4), with the single-column gradient
 * contributions g(t) = a(t) b(t)ᵀ of each weight class (W: e xᵀ, K: e μ_dᵀ, J0: δ_1 xᵀ,
 * J_l: δ_{l+1} μ_lᵀ, M_l: δ_l m_lᵀ) at the training state `st`.
 */
export function noiseVariance(
  data: ChoraleData,
  st: Pick<NetworkState, "e" | "mu" | "delta" | "m">,
  shape: { width: number; depth: number; batchSize: number; P: number },
  eta: number,
): number {
  const { width: w, depth: d } = shape;
  const { nv } = data;
  const T = data.train.T;
  const x = data.train.x;
  let total = outerProductVarianceSum(st.e, x, T, nv, nv); // W
  total += outerProductVarianceSum(st.e, st.mu[d - 1], T, nv, w); // K
  total += outerProductVarianceSum(st.delta[0], x, T, w, nv); // J0
  for (let l = 0; l < d - 1; l++) {
    total += outerProductVarianceSum(st.delta[l + 1], st.mu[l], T, w, w);
  }
  for (let l = 0; l < d; l++) total += outerProductVarianceSum(st.delta[l], st.m[l], T, w, w);
  return (eta * eta * total) / (shape.batchSize * shape.P);
}
