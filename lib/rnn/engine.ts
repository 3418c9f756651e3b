/**
 * Forward passes and hand-written BPTT of the ghost-paper RNNs in float64 typed arrays
 * (docs/ghost-mechanism.md §2.1–2.5). Each engine preallocates every buffer it needs for one (model, task)
 * pair; `run` allocates nothing.
 *
 * Shared conventions: leaky update r_{t+1} = (1 − α) r_t + α tanh(pre_t); loss
 * L = lossScale · Σ_{t,b} (o_{t,b} − y_{t,b})² (§2.1: 1/T; §2.4–2.5: MSE 1/(B·S)).
 *
 * @module
 */

import type { Task } from "../tasks/mod.ts";
import { Arena, type Buf } from "./gemm_wasm.ts";
import type { Layout, ResolvedModel } from "./model.ts";

/** A compiled model: loss, gradient and trajectories for one task. */
export interface Engine {
  readonly model: ResolvedModel;
  readonly task: Task;
  readonly layout: Layout;
  /** Outputs o of the last `run`, time-major `[t * batch + b]`. */
  readonly outputs: Float64Array;
  /**
   * Forward pass (and BPTT into `grad` when given; `grad` is overwritten) for parameters `p`,
   * initial states `r0` (batch × N) and noise (steps × batch × N, or null). Returns the loss.
   */
  run(
    p: Float64Array,
    grad: Float64Array | null,
    r0: Float64Array,
    noise: Float64Array | null,
  ): number;
  /**
   * The latent / state trajectory of the last `run`: rank-one → κ_0..κ_S (S+1); rank-K →
   * κ (S+1)×K; full/low rank → rates r (S+1)×B×N.
   */
  trajectory(): { data: Float64Array; shape: number[] };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
// exp(y) for |y| ≤ 40 by table-driven reduction: y = (64h + j)·ln2/64 + r, |r| ≤ ln2/128,
// exp(y) = 2^h · 2^{j/64} · P5(r) (Cody–Waite split of ln2/64; relative error ≈ 2 ulp).
/** The 2^{j/64} table (j < 64) of {@linkcode tanh}; the fused rank-K kernel uses the same values. */
export const TANH_EXP_TABLE: Float64Array = new Float64Array(64).map((_, j) => 2 ** (j / 64));
const EXP_TAB = TANH_EXP_TABLE;
const POW2 = new Float64Array(256).map((_, i) => 2 ** (i - 128));
const INV_LN2_64 = 64 / Math.LN2;
const LN2_64_HI = 6.93147180369123816490e-01 / 64; // fdlibm ln2_hi (21 trailing zero bits)
const LN2_64_LO = 1.90821492927058770002e-10 / 64;

/**
 * tanh(x) = 1 − 2/(e^{2x} + 1) with an inlined table-driven exp: about 2× faster than `Math.tanh`
 * in V8 (the engine's inner loops are tanh-bound); |error| ≤ 5e-16, exactly ±1 for |x| > 20,
 * NaN for NaN.
 */
export function tanh(x: number): number {
  if (x > 20) return 1;
  if (x < -20) return -1;
  const y = 2 * x;
  const kf = Math.round(y * INV_LN2_64);
  const r = y - kf * LN2_64_HI - kf * LN2_64_LO;
  const k = kf | 0;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  return 1 - 2 / (POW2[(k >> 6) + 128] * EXP_TAB[k & 63] * p + 1);
}

/** Builds the engine for a resolved model and task. */
export function makeEngine(model: ResolvedModel, task: Task, layout: Layout): Engine {
  switch (model.kind) {
    case "rankOne":
      return new RankOneEngine(model, task, layout);
    case "rankK":
      return new RankKEngine(model, task, layout);
    case "fullRank":
      return new FullRankEngine(model, task, layout);
    case "lowRank":
      return new LowRankEngine(model, task, layout);
  }
}

/**
 * Rank-one RNN by the exact κ-reduction (§2.1): κ_{t+1} = (1 − α)κ_t + α Σᵢ nᵢ tanh(mᵢκ_t + bᵢ),
 * κ_0 = n·x_0, o_t = σ(c(κ_{t+1} − θ)). BPTT on the scalar recursion with adjoint g_t = ∂L/∂κ_t:
 * g_t = direct_t + g_{t+1}[(1 − α) + α Σᵢ nᵢmᵢ(1 − φ²_{t,i})]; ∂L/∂nᵢ = Σ_t α g_{t+1}φ_{t,i} + g_0 x_{0,i};
 * ∂L/∂mᵢ = Σ_t α g_{t+1} nᵢ(1 − φ²_{t,i})κ_t; ∂L/∂bᵢ = Σ_t α g_{t+1} nᵢ(1 − φ²_{t,i}). O(S·N) per epoch.
 */
class RankOneEngine implements Engine {
  readonly outputs: Float64Array;
  readonly #phi: Float64Array;
  readonly #kappa: Float64Array;
  constructor(readonly model: ResolvedModel, readonly task: Task, readonly layout: Layout) {
    this.outputs = new Float64Array(task.steps);
    this.#phi = new Float64Array(task.steps * model.N);
    this.#kappa = new Float64Array(task.steps + 1);
  }
  trajectory() {
    return { data: this.#kappa, shape: [this.task.steps + 1] };
  }
  run(p: Float64Array, g: Float64Array | null, r0: Float64Array): number {
    const { N, alpha } = this.model;
    const S = this.task.steps, y = this.task.targets, scale = this.task.lossScale;
    const c = this.model.trainConfidence ? p[3 * N] : this.model.confidence;
    const th = this.model.threshold;
    const phi = this.#phi, kap = this.#kappa, out = this.outputs;
    const a1 = 1 - alpha;
    let k = 0;
    for (let i = 0; i < N; i++) k += p[N + i] * r0[i];
    kap[0] = k;
    let loss = 0;
    for (let t = 0; t < S; t++) {
      const base = t * N;
      let s = 0;
      for (let i = 0; i < N; i++) {
        const f = tanh(p[i] * k + p[2 * N + i]);
        phi[base + i] = f;
        s += p[N + i] * f;
      }
      k = a1 * k + alpha * s;
      kap[t + 1] = k;
      const o = sigmoid(c * (k - th));
      out[t] = o;
      const d = o - y[t];
      loss += d * d;
    }
    loss *= scale;
    if (g === null) return loss;
    g.fill(0);
    let gk = 0, gc = 0;
    for (let t = S - 1; t >= 0; t--) {
      const o = out[t];
      const e = 2 * (o - y[t]) * scale * o * (1 - o);
      gk += e * c;
      gc += e * (kap[t + 1] - th);
      const kt = kap[t], ag = alpha * gk, base = t * N;
      let a = 0;
      for (let i = 0; i < N; i++) {
        const f = phi[base + i];
        const d = 1 - f * f;
        const ni = p[N + i];
        const w = ag * ni * d;
        g[N + i] += ag * f;
        g[i] += w * kt;
        g[2 * N + i] += w;
        a += ni * p[i] * d;
      }
      gk = gk * (a1 + alpha * a);
    }
    for (let i = 0; i < N; i++) g[N + i] += gk * r0[i];
    if (this.model.trainConfidence) g[3 * N] = gc;
    return loss;
  }
}

/**
 * Rank-K RNN by the exact reduction (§2.3): with κ_t = x_t m (K) and z_t = x_t·W_out,
 * φ_t = tanh(κ_t n + b), κ_{t+1} = (1 − α)κ_t + α φ_t m, z_{t+1} = (1 − α)z_t + α φ_t·W_out,
 * o_t = σ(z_{t+1} + b_out); O(S·N·K) per epoch. Organised as small matrix products: per step pre = κ_t n and [κ, z] += α φ_t [m | W_out]; backward
 * g_φ = [g_κ, g_z] [m | W_out]ᵀ and g_κ ← (1 − α) g_κ + g_pre nᵀ; the parameter gradients
 * ∂L/∂[m | W_out] = α Σ_t φ_tᵀ [g_κ, g_z]_{t+1} and ∂L/∂n = Σ_t κ_tᵀ g_pre,t are two final products.
 */
class RankKEngine implements Engine {
  readonly outputs: Float64Array;
  readonly #ar: Arena;
  readonly #mT: Buf; // (K+1)·N: rows = columns of m, then W_out
  readonly #mE: Buf; // N·(K+1): rows j = [m[j,:], W_out[j]]
  readonly #nT: Buf; // N·K: rows j = n[:, j]
  readonly #n: Buf; // K·N copy of n
  readonly #kap: Buf; // (S+1)·K
  readonly #phi: Buf; // S·N
  readonly #pre: Buf; // N
  readonly #acc: Buf; // K+1
  readonly #G: Buf; // S·(K+1): [g_κ, g_z] of state t+1
  readonly #gpre: Buf; // S·N
  readonly #gk: Buf; // K+1 current [g_κ, g_z]
  readonly #PT: Buf; // N·S (φ transposed)
  readonly #GT: Buf; // (K+1)·S
  readonly #KT: Buf; // K·S (κ_0..κ_{S-1} transposed)
  readonly #QT: Buf; // N·S (g_pre transposed)
  readonly #gmE: Buf; // N·(K+1)
  readonly #gn: Buf; // K·N
  readonly #z: Float64Array;
  constructor(readonly model: ResolvedModel, readonly task: Task, readonly layout: Layout) {
    const { N, K } = model, S = task.steps, K1 = K + 1;
    this.outputs = new Float64Array(S);
    const sizes = [
      K1 * N,
      N * K1,
      N * K,
      K * N,
      (S + 1) * K,
      S * N,
      N,
      K1,
      S * K1,
      S * N,
      K1,
      N * S,
      K1 * S,
      K * S,
      N * S,
      N * K1,
      K * N,
    ];
    const ar = new Arena(sizes);
    this.#ar = ar;
    [
      this.#mT,
      this.#mE,
      this.#nT,
      this.#n,
      this.#kap,
      this.#phi,
      this.#pre,
      this.#acc,
      this.#G,
      this.#gpre,
      this.#gk,
      this.#PT,
      this.#GT,
      this.#KT,
      this.#QT,
      this.#gmE,
      this.#gn,
    ] = sizes.map((_, i) => ar.take(i));
    this.#z = new Float64Array(S + 1);
  }
  trajectory() {
    return { data: this.#kap.v, shape: [this.task.steps + 1, this.model.K] };
  }
  run(p: Float64Array, g: Float64Array | null, r0: Float64Array): number {
    const { N, K, alpha } = this.model, K1 = K + 1;
    const S = this.task.steps, y = this.task.targets, scale = this.task.lossScale;
    const oM = 0, oN = N * K, oB = 2 * N * K, oW = oB + N, oBo = oW + N;
    const ar = this.#ar, a1 = 1 - alpha;
    const mT = this.#mT.v, mE = this.#mE.v, nT = this.#nT.v, nn = this.#n.v;
    const kap = this.#kap.v, phi = this.#phi.v, pre = this.#pre.v, acc = this.#acc.v;
    const z = this.#z, out = this.outputs;
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < K; k++) {
        const mv = p[oM + j * K + k], nv = p[oN + k * N + j];
        mT[k * N + j] = mv;
        mE[j * K1 + k] = mv;
        nT[j * K + k] = nv;
        nn[k * N + j] = nv;
      }
      mT[K * N + j] = p[oW + j];
      mE[j * K1 + K] = p[oW + j];
    }
    // κ_0 = x_0 m, z_0 = x_0·W_out
    for (let k = 0; k < K; k++) kap[k] = 0;
    let z0 = 0;
    for (let j = 0; j < N; j++) {
      const x = r0[j];
      z0 += x * p[oW + j];
      for (let k = 0; k < K; k++) kap[k] += x * p[oM + j * K + k];
    }
    z[0] = z0;
    const bo = p[oBo];
    let loss = 0;
    for (let t = 0; t < S; t++) {
      ar.gemm(this.#kap, t * K, 1, this.#nT, 0, N, K, this.#pre, 0, N);
      const base = t * N;
      for (let j = 0; j < N; j++) phi[base + j] = tanh(pre[j] + p[oB + j]);
      ar.gemm(this.#phi, base, 1, this.#mT, 0, K1, N, this.#acc, 0, K1);
      const kb = t * K;
      for (let k = 0; k < K; k++) kap[kb + K + k] = a1 * kap[kb + k] + alpha * acc[k];
      const zn = a1 * z[t] + alpha * acc[K];
      z[t + 1] = zn;
      const o = sigmoid(zn + bo);
      out[t] = o;
      const d = o - y[t];
      loss += d * d;
    }
    loss *= scale;
    if (g === null) return loss;
    g.fill(0);
    const G = this.#G.v, gpre = this.#gpre.v, gk = this.#gk.v, gf = this.#pre.v;
    gk.fill(0); // [g_κ (K), g_z]
    for (let t = S - 1; t >= 0; t--) {
      const o = out[t];
      const e = 2 * (o - y[t]) * scale * o * (1 - o);
      gk[K] += e;
      g[oBo] += e;
      G.set(gk, t * K1);
      // g_φ = [g_κ, g_z] [m | W_out]ᵀ
      ar.gemm(this.#gk, 0, 1, this.#mE, 0, N, K1, this.#pre, 0, N);
      const base = t * N;
      for (let j = 0; j < N; j++) {
        const f = phi[base + j];
        const gp = alpha * gf[j] * (1 - f * f);
        gpre[base + j] = gp;
        g[oB + j] += gp;
      }
      // g_κ_t = (1 − α) g_κ_{t+1} + g_pre nᵀ
      ar.gemm(this.#gpre, base, 1, this.#n, 0, K, N, this.#acc, 0, K1);
      for (let k = 0; k < K; k++) gk[k] = a1 * gk[k] + acc[k];
      gk[K] *= a1;
    }
    // parameter gradients from stored per-step quantities
    const PT = this.#PT.v, GT = this.#GT.v, KT = this.#KT.v, QT = this.#QT.v;
    for (let t = 0; t < S; t++) {
      for (let j = 0; j < N; j++) {
        PT[j * S + t] = alpha * phi[t * N + j];
        QT[j * S + t] = gpre[t * N + j];
      }
      for (let c = 0; c < K1; c++) GT[c * S + t] = G[t * K1 + c];
      for (let k = 0; k < K; k++) KT[k * S + t] = kap[t * K + k];
    }
    ar.gemm(this.#PT, 0, N, this.#GT, 0, K1, S, this.#gmE, 0, K1);
    ar.gemm(this.#KT, 0, K, this.#QT, 0, N, S, this.#gn, 0, N);
    const gmE = this.#gmE.v;
    for (let j = 0; j < N; j++) {
      const x = r0[j];
      for (let k = 0; k < K; k++) g[oM + j * K + k] = gmE[j * K1 + k] + x * gk[k];
      g[oW + j] = gmE[j * K1 + K] + x * gk[K];
    }
    g.set(this.#gn.v, oN);
    return loss;
  }
}

/**
 * Full-rank RNN (§2.2, §2.5): pre_t = r_t W + u_t W_in + b + ξ_t, r_{t+1} = (1 − α)r_t + α tanh(pre_t),
 * o_t = act(r_s·W_out + b_out) with s = t (read-out before the update) or t + 1 (after).
 * BPTT: g_pre = α g_{r_{t+1}} ⊙ (1 − φ²); g_{r_t} = (1 − α) g_{r_{t+1}} + W g_pre + direct;
 * ∂L/∂W = Σ_{t,b} r_tᵀ g_pre (computed as dot products of transposed trajectories).
 */
class FullRankEngine implements Engine {
  readonly outputs: Float64Array;
  readonly #ar: Arena;
  readonly #W: Buf; // N·N copy of W (rows)
  readonly #Wt: Buf; // N·N transposed W
  readonly #R: Buf; // (S+1)·B·N rates
  readonly #gpre: Buf; // S·B·N
  readonly #RT: Buf; // N·(S·B)
  readonly #GT: Buf; // N·(S·B)
  readonly #pre: Buf; // B·N
  readonly #gr2: Buf; // B·N
  readonly #gW: Buf; // N·N
  readonly #phi: Float64Array; // S·B·N
  readonly #gr: Float64Array; // B·N
  constructor(readonly model: ResolvedModel, readonly task: Task, readonly layout: Layout) {
    const { N } = model, S = task.steps, B = task.batch;
    this.outputs = new Float64Array(S * B);
    const ar = new Arena([
      N * N,
      N * N,
      (S + 1) * B * N,
      S * B * N,
      N * S * B,
      N * S * B,
      B * N,
      B * N,
      N * N,
    ]);
    this.#ar = ar;
    [this.#W, this.#Wt, this.#R, this.#gpre, this.#RT, this.#GT, this.#pre, this.#gr2, this.#gW] = [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
    ].map((i) => ar.take(i));
    this.#phi = new Float64Array(S * B * N);
    this.#gr = new Float64Array(B * N);
  }
  trajectory() {
    return {
      data: this.#R.v,
      shape: [this.task.steps + 1, this.task.batch, this.model.N],
    };
  }
  run(p: Float64Array, g: Float64Array | null, r0: Float64Array, noise: Float64Array | null) {
    const { N, alpha, hasInput } = this.model;
    const S = this.task.steps, B = this.task.batch, y = this.task.targets, u = this.task.inputs;
    const scale = this.task.lossScale;
    const oWin = N * N, oB = oWin + (hasInput ? N : 0), oWo = oB + N, oBo = oWo + N;
    const tanhOut = this.model.readout === "tanh";
    const after = this.model.readoutTiming === "after";
    const ar = this.#ar, Rb = this.#R, R = Rb.v, phi = this.#phi, out = this.outputs;
    const W = this.#W.v, Wt = this.#Wt.v, pre = this.#pre.v;
    const a1 = 1 - alpha;
    for (let i = 0; i < N; i++) {
      const wi = i * N;
      for (let j = 0; j < N; j++) {
        const w = p[wi + j];
        W[wi + j] = w;
        Wt[j * N + i] = w;
      }
    }
    R.set(r0.subarray(0, B * N), 0);
    const bo = p[oBo];
    let loss = 0;
    const readout = (s: number, t: number) => {
      for (let b = 0; b < B; b++) {
        const rb = (s * B + b) * N;
        let a = bo;
        for (let i = 0; i < N; i++) a += R[rb + i] * p[oWo + i];
        const o = tanhOut ? tanh(a) : sigmoid(a);
        out[t * B + b] = o;
        const d = o - y[t * B + b];
        loss += d * d;
      }
    };
    for (let t = 0; t < S; t++) {
      if (!after) readout(t, t);
      // pre = r_t W for all trials at once (Wt rows = columns of W)
      ar.gemm(Rb, t * B * N, B, this.#Wt, 0, N, N, this.#pre, 0, N);
      for (let b = 0; b < B; b++) {
        const rb = (t * B + b) * N, rn = rb + B * N, ub = hasInput ? u[t * B + b] : 0;
        const pb = b * N;
        for (let j = 0; j < N; j++) {
          let s = p[oB + j] + pre[pb + j];
          if (hasInput) s += ub * p[oWin + j];
          if (noise !== null) s += noise[rb + j];
          const f = tanh(s);
          phi[rb + j] = f;
          R[rn + j] = a1 * R[rb + j] + alpha * f;
        }
      }
      if (after) readout(t + 1, t);
    }
    loss *= scale;
    if (g === null) return loss;
    g.fill(0);
    const gr = this.#gr, gr2 = this.#gr2.v, gpre = this.#gpre.v;
    gr.fill(0);
    const direct = (s: number, t: number) => {
      for (let b = 0; b < B; b++) {
        const o = out[t * B + b];
        const dl = 2 * (o - y[t * B + b]) * scale;
        const e = tanhOut ? dl * (1 - o * o) : dl * o * (1 - o);
        g[oBo] += e;
        const rb = (s * B + b) * N, gb = b * N;
        for (let i = 0; i < N; i++) {
          g[oWo + i] += e * R[rb + i];
          gr[gb + i] += e * p[oWo + i];
        }
      }
    };
    for (let t = S - 1; t >= 0; t--) {
      if (after) direct(t + 1, t);
      for (let b = 0; b < B; b++) {
        const nb = (t * B + b) * N, gb = b * N, ub = hasInput ? u[t * B + b] : 0;
        for (let j = 0; j < N; j++) {
          const f = phi[nb + j];
          const gp = alpha * gr[gb + j] * (1 - f * f);
          gpre[nb + j] = gp;
          g[oB + j] += gp;
          if (hasInput) g[oWin + j] += ub * gp;
        }
      }
      if (t === 0) {
        // r_0 is not a parameter: only the read-out of o_0 (before-timing) still contributes
        if (!after) direct(0, 0);
        break;
      }
      // g_{r_t} = (1 − α) g_{r_{t+1}} + g_pre Wᵀ (W rows)
      ar.gemm(this.#gpre, t * B * N, B, this.#W, 0, N, N, this.#gr2, 0, N);
      for (let k = 0; k < B * N; k++) gr[k] = gr2[k] + a1 * gr[k];
      if (!after) direct(t, t);
    }
    // ∂L/∂W[i][j] = Σ_{t,b} R[t,b,i]·gpre[t,b,j] as dot products of transposed rows.
    const M = S * B, RT = this.#RT.v, GT = this.#GT.v;
    for (let k = 0; k < M; k++) {
      const kb = k * N;
      for (let i = 0; i < N; i++) {
        RT[i * M + k] = R[kb + i];
        GT[i * M + k] = gpre[kb + i];
      }
    }
    ar.gemm(this.#RT, 0, N, this.#GT, 0, N, M, this.#gW, 0, N);
    g.set(this.#gW.v, 0);
    return loss;
  }
}

/**
 * Low-rank RNN with input (§2.4): κ_t = r_t S_l (K), pre_t = κ_t S_r + u_t W_in + b + ξ_t,
 * r_{t+1} = (1 − α)r_t + α tanh(pre_t), o_t = act(κ_s·W_out + b_out) with s = t (before) or t + 1.
 * BPTT: g_κ_t = S_r g_pre + direct; g_{r_t} = (1 − α) g_{r_{t+1}} + S_l g_κ_t;
 * ∂L/∂S_r += κ_tᵀ g_pre, ∂L/∂S_l += r_tᵀ g_κ_t. O(S·B·N·K) per epoch.
 */
class LowRankEngine implements Engine {
  readonly outputs: Float64Array;
  readonly #R: Float64Array;
  readonly #kap: Float64Array;
  readonly #phi: Float64Array;
  readonly #gr: Float64Array;
  readonly #gk: Float64Array;
  readonly #gpre: Float64Array;
  constructor(readonly model: ResolvedModel, readonly task: Task, readonly layout: Layout) {
    const { N, K } = model, S = task.steps, B = task.batch;
    this.outputs = new Float64Array(S * B);
    this.#R = new Float64Array((S + 1) * B * N);
    this.#kap = new Float64Array((S + 1) * B * K);
    this.#phi = new Float64Array(S * B * N);
    this.#gr = new Float64Array(B * N);
    this.#gk = new Float64Array(K);
    this.#gpre = new Float64Array(N);
  }
  trajectory() {
    return { data: this.#R, shape: [this.task.steps + 1, this.task.batch, this.model.N] };
  }
  /** Latent coordinates κ = r S_l of the last run, (S+1)×B×K. */
  latent(): Float64Array {
    return this.#kap;
  }
  run(p: Float64Array, g: Float64Array | null, r0: Float64Array, noise: Float64Array | null) {
    const { N, K, alpha, hasInput } = this.model;
    const S = this.task.steps, B = this.task.batch, y = this.task.targets, u = this.task.inputs;
    const scale = this.task.lossScale;
    const oSl = 0, oSr = N * K, oWin = 2 * N * K, oB = oWin + (hasInput ? N : 0);
    const oWo = oB + N, oBo = oWo + K;
    const tanhOut = this.model.readout === "tanh";
    const after = this.model.readoutTiming === "after";
    const R = this.#R, kap = this.#kap, phi = this.#phi, out = this.outputs;
    const a1 = 1 - alpha;
    R.set(r0.subarray(0, B * N), 0);
    const latent = (s: number) => {
      for (let b = 0; b < B; b++) {
        const rb = (s * B + b) * N, kb = (s * B + b) * K;
        for (let k = 0; k < K; k++) kap[kb + k] = 0;
        for (let i = 0; i < N; i++) {
          const r = R[rb + i], si = oSl + i * K;
          for (let k = 0; k < K; k++) kap[kb + k] += r * p[si + k];
        }
      }
    };
    const bo = p[oBo];
    let loss = 0;
    const readout = (s: number, t: number) => {
      for (let b = 0; b < B; b++) {
        const kb = (s * B + b) * K;
        let a = bo;
        for (let k = 0; k < K; k++) a += kap[kb + k] * p[oWo + k];
        const o = tanhOut ? tanh(a) : sigmoid(a);
        out[t * B + b] = o;
        const d = o - y[t * B + b];
        loss += d * d;
      }
    };
    latent(0);
    for (let t = 0; t < S; t++) {
      if (!after) readout(t, t);
      for (let b = 0; b < B; b++) {
        const rb = (t * B + b) * N, rn = rb + B * N, kb = (t * B + b) * K;
        const ub = hasInput ? u[t * B + b] : 0;
        for (let j = 0; j < N; j++) {
          let s = p[oB + j];
          if (hasInput) s += ub * p[oWin + j];
          if (noise !== null) s += noise[rb + j];
          for (let k = 0; k < K; k++) s += kap[kb + k] * p[oSr + k * N + j];
          const f = tanh(s);
          phi[rb + j] = f;
          R[rn + j] = a1 * R[rb + j] + alpha * f;
        }
      }
      latent(t + 1);
      if (after) readout(t + 1, t);
    }
    loss *= scale;
    if (g === null) return loss;
    g.fill(0);
    const gr = this.#gr, gk = this.#gk, gpre = this.#gpre;
    gr.fill(0);
    // adds the direct read-out term of output t (reading latent state s) into gk for trial b
    const direct = (s: number, t: number, b: number) => {
      const o = out[t * B + b];
      const dl = 2 * (o - y[t * B + b]) * scale;
      const e = tanhOut ? dl * (1 - o * o) : dl * o * (1 - o);
      g[oBo] += e;
      const kb = (s * B + b) * K;
      for (let k = 0; k < K; k++) {
        g[oWo + k] += e * kap[kb + k];
        gk[k] += e * p[oWo + k];
      }
    };
    // propagates gk (adjoint of κ_s for trial b) into g_r and ∂L/∂S_l
    const kappaBack = (s: number, b: number) => {
      const rb = (s * B + b) * N, gb = b * N;
      for (let i = 0; i < N; i++) {
        const si = oSl + i * K, r = R[rb + i];
        let acc = 0;
        for (let k = 0; k < K; k++) {
          acc += p[si + k] * gk[k];
          g[si + k] += r * gk[k];
        }
        gr[gb + i] += acc;
      }
    };
    if (after) {
      for (let b = 0; b < B; b++) {
        gk.fill(0);
        direct(S, S - 1, b);
        kappaBack(S, b);
      }
    }
    for (let t = S - 1; t >= 0; t--) {
      for (let b = 0; b < B; b++) {
        const rb = (t * B + b) * N, gb = b * N, kb = (t * B + b) * K;
        const ub = hasInput ? u[t * B + b] : 0;
        gk.fill(0);
        for (let j = 0; j < N; j++) {
          const f = phi[rb + j];
          const gp = alpha * gr[gb + j] * (1 - f * f);
          gpre[j] = gp;
          g[oB + j] += gp;
          if (hasInput) g[oWin + j] += ub * gp;
        }
        for (let k = 0; k < K; k++) {
          const kk = kap[kb + k], sk = oSr + k * N;
          let acc = 0;
          for (let j = 0; j < N; j++) {
            g[sk + j] += kk * gpre[j];
            acc += p[sk + j] * gpre[j];
          }
          gk[k] = acc;
        }
        for (let i = 0; i < N; i++) gr[gb + i] *= a1;
        if (!after) direct(t, t, b);
        else if (t > 0) direct(t, t - 1, b);
        kappaBack(t, b);
      }
    }
    return loss;
  }
}
