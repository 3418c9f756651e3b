/**
 * The stacked tanh RNN of Hertz & Tyrcha (docs/glassy-dynamics.md §3) in float64: parameters,
 * initialisation, the parameter count P, an exact sequential forward pass with exact
 * back-propagation through time, and the loss in bits per unit (§5.1).
 *
 * The exact pass gives the fixed point of the training algorithm's relaxation (§4): with
 * m_l = shift_right(μ_l) and n_l = shift_left(δ_l) the §4 formulas are exact gradients. It is used
 * to initialise training (the "clean sequential tanh forward pass" of §4) and in tests.
 *
 * Orientation follows the paper: J0 is (w × nv), J[l] maps layer l to layer l+1 (w × w, 0-based
 * layers), M[l] is the recurrent matrix of layer l (w × w), K is (nv × w), W is (nv × nv), h has nv
 * entries. Time-major state matrices: `mu[l][t * w + j]`.
 *
 * @module
 */

import { Rng } from "../random.ts";
import type { ChoraleData, SplitData } from "./data.ts";
import { haarOrthogonal, randomPermutation } from "./linalg.ts";

/** Model shape: depth d (hidden layers) and width w (units per layer). */
export interface ModelShape {
  /** Number of recurrent hidden layers d ≥ 1. */
  depth: number;
  /** Units per hidden layer w ≥ 1. */
  width: number;
}

/** Parameters of the deep RNN (§3), float64, paper orientation, row-major. */
export interface GlassyParams {
  nv: number;
  w: number;
  d: number;
  /** Direct input → output ("autoregressive") matrix, nv × nv. */
  W: Float64Array;
  /** Last hidden layer → output, nv × w. */
  K: Float64Array;
  /** Input → first layer, w × nv. */
  J0: Float64Array;
  /** J[l]: layer l → layer l+1 (l = 0 … d−2), w × w. */
  J: Float64Array[];
  /** M[l]: recurrent matrix of layer l (l = 0 … d−1), w × w. */
  M: Float64Array[];
  /** Output bias, nv. */
  h: Float64Array;
}

/** Checks a model shape. @throws {RangeError} naming the bad field. */
export function checkShape(shape: ModelShape): void {
  if (!Number.isInteger(shape.depth) || shape.depth < 1) {
    throw new RangeError(`depth must be an integer >= 1, got ${shape.depth}`);
  }
  if (!Number.isInteger(shape.width) || shape.width < 1) {
    throw new RangeError(`width must be an integer >= 1, got ${shape.width}`);
  }
}

/** Number of trained weights, bias excluded (§3): P = nv² + 2·nv·w + (2d − 1)·w². */
export function parameterCount(nv: number, width: number, depth: number): number {
  return nv * nv + 2 * nv * width + (2 * depth - 1) * width * width;
}

/**
 * Initial parameters (§3): J0 = √0.1·N(0,1)/√nv, J_l Haar-orthogonal, M_l random non-identity
 * permutations, K = W = 0, h_i = artanh(mean of the ±1 training targets).
 */
export function initialGlassyParams(
  data: ChoraleData,
  shape: ModelShape,
  seed: number,
): GlassyParams {
  checkShape(shape);
  const { depth: d, width: w } = shape;
  const nv = data.nv;
  const rng = new Rng(seed);
  const g0 = Math.sqrt(0.1) / Math.sqrt(nv);
  const J0 = rng.normals(w * nv).map((v) => g0 * v);
  const J = Array.from({ length: d - 1 }, () => haarOrthogonal(w, rng));
  const M = Array.from({ length: d }, () => randomPermutation(w, rng));
  let sum = 0;
  for (const v of data.train.s) sum += v;
  const h0 = Math.atanh(sum / data.train.s.length);
  return {
    nv,
    w,
    d,
    W: new Float64Array(nv * nv),
    K: new Float64Array(nv * w),
    J0,
    J,
    M,
    h: new Float64Array(nv).fill(h0),
  };
}

/** States of every time column (time-major), as held by the training algorithm (§4). */
export interface NetworkState {
  /** μ_l(t), d arrays of T × w. */
  mu: Float64Array[];
  /** m_l(t) ≈ μ_l(t−1) (0 at chorale starts), d arrays of T × w. */
  m: Float64Array[];
  /** δ_l(t) = −∂ℓ/∂(pre-activation of layer l at t), d arrays of T × w. */
  delta: Float64Array[];
  /** n_l(t) ≈ δ_l(t+1) (0 at chorale ends), d arrays of T × w. */
  n: Float64Array[];
  /** Output field H(t), T × nv. */
  H: Float64Array;
  /** e(t) = S(t) − tanh H(t), T × nv. */
  e: Float64Array;
}

/**
 * Exact sequential forward pass and back-propagation through time over one split (§3, §4 at its
 * fixed point): hidden states reset to 0 at each chorale start, δ_d = X_d ⊙ (M_dᵀ δ_d(t+1) + Kᵀe),
 * δ_l = X_l ⊙ (J_lᵀ δ_{l+1} + M_lᵀ δ_l(t+1)), δ(t+1) := 0 at chorale ends. With these states the
 * §4 update directions are exactly −∂ℓ/∂θ, ℓ = Σ_t Σ_i ln(1 + e^{−2 S_i H_i}) in nats.
 */
export function exactState(p: GlassyParams, split: SplitData): NetworkState {
  const { nv, w, d } = p;
  const T = split.T;
  const mu = Array.from({ length: d }, () => new Float64Array(T * w));
  const m = Array.from({ length: d }, () => new Float64Array(T * w));
  const H = new Float64Array(T * nv);
  const e = new Float64Array(T * nv);
  const a = new Float64Array(w);
  for (let t = 0; t < T; t++) {
    const reset = split.starts[t] === 1 || t === 0;
    for (let l = 0; l < d; l++) {
      const prev = m[l];
      if (!reset) { for (let j = 0; j < w; j++) prev[t * w + j] = mu[l][(t - 1) * w + j]; }
      // a = (J0 x | J_{l-1} μ_{l-1}) + M_l m_l
      if (l === 0) {
        for (let j = 0; j < w; j++) {
          let s = 0;
          for (let i = 0; i < nv; i++) s += p.J0[j * nv + i] * split.x[t * nv + i];
          a[j] = s;
        }
      } else {
        const below = mu[l - 1];
        const Jl = p.J[l - 1];
        for (let j = 0; j < w; j++) {
          let s = 0;
          for (let k = 0; k < w; k++) s += Jl[j * w + k] * below[t * w + k];
          a[j] = s;
        }
      }
      const Ml = p.M[l];
      for (let j = 0; j < w; j++) {
        let s = a[j];
        for (let k = 0; k < w; k++) s += Ml[j * w + k] * prev[t * w + k];
        mu[l][t * w + j] = Math.tanh(s);
      }
    }
    for (let i = 0; i < nv; i++) {
      let s = p.h[i];
      for (let j = 0; j < w; j++) s += p.K[i * w + j] * mu[d - 1][t * w + j];
      for (let k = 0; k < nv; k++) s += p.W[i * nv + k] * split.x[t * nv + k];
      H[t * nv + i] = s;
      e[t * nv + i] = split.s[t * nv + i] - Math.tanh(s);
    }
  }
  const delta = Array.from({ length: d }, () => new Float64Array(T * w));
  const n = Array.from({ length: d }, () => new Float64Array(T * w));
  const g = new Float64Array(w);
  for (let t = T - 1; t >= 0; t--) {
    const last = split.ends[t] === 1 || t === T - 1;
    for (let l = d - 1; l >= 0; l--) {
      if (!last) { for (let j = 0; j < w; j++) n[l][t * w + j] = delta[l][(t + 1) * w + j]; }
      g.fill(0);
      if (l === d - 1) {
        for (let i = 0; i < nv; i++) {
          const ei = e[t * nv + i];
          for (let j = 0; j < w; j++) g[j] += p.K[i * w + j] * ei;
        }
      } else {
        const Jl = p.J[l];
        for (let k = 0; k < w; k++) {
          const dk = delta[l + 1][t * w + k];
          for (let j = 0; j < w; j++) g[j] += Jl[k * w + j] * dk;
        }
      }
      const Ml = p.M[l];
      for (let k = 0; k < w; k++) {
        const nk = n[l][t * w + k];
        if (nk !== 0) { for (let j = 0; j < w; j++) g[j] += Ml[k * w + j] * nk; }
      }
      for (let j = 0; j < w; j++) {
        const u = mu[l][t * w + j];
        delta[l][t * w + j] = (1 - u * u) * g[j];
      }
    }
  }
  return { mu, m, delta, n, H, e };
}

/**
 * Cross-entropy per unit per time step in bits (§5.1):
 * L = Σ_t Σ_i ln(1 + exp(−2 S_i(t) H_i(t))) / (T · nv · ln 2).
 */
export function lossBits(H: ArrayLike<number>, s: ArrayLike<number>): number {
  if (H.length !== s.length || H.length === 0) {
    throw new RangeError(
      `H and s must have the same non-zero length, got ${H.length}, ${s.length}`,
    );
  }
  let sum = 0;
  for (let k = 0; k < H.length; k++) {
    const z = -2 * s[k] * H[k];
    sum += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  }
  return sum / (H.length * Math.LN2);
}

/** Deep copy of parameters. */
export function cloneParams(p: GlassyParams): GlassyParams {
  return {
    ...p,
    W: p.W.slice(),
    K: p.K.slice(),
    J0: p.J0.slice(),
    J: p.J.map((a) => a.slice()),
    M: p.M.map((a) => a.slice()),
    h: p.h.slice(),
  };
}
