/**
 * Figure 4 protocol: rank-2 RNNs on DCDT (SGD) and DMTS (Adam) (docs/ghost-mechanism.md §2.4,
 * §3 Fig 4), their latent flow maps and the slow points in them.
 *
 * The slow points follow the reference procedure of §2.4: candidates are the grid cells where the
 * speed ‖F(κ)‖ of the latent flow F(κ) = −κ + P tanh(Mκ + b) (Eq. (2.4.1)) equals its 3×3
 * minimum filter; each candidate is then refined by a damped Gauss–Newton iteration
 * κ ← κ − (JᵀJ + λI)⁻¹JᵀF with the exact Jacobian J = −I + P diag(1 − tanh²(Mκ + b)) M, kept
 * within two grid cells of the candidate. A candidate whose refined speed falls below `fixedTol`
 * is a **fixed point** (stable if both eigenvalues of J have negative real part, else a saddle or
 * unstable point); otherwise it is a **ghost** if one eigenvalue of J is near zero
 * (|Re λ| < `eigTol`): a local speed minimum with ‖F‖ clearly above zero (docs/ghost-mechanism.md
 * §1.1). Other speed minima and duplicates within one grid cell are dropped.
 *
 * @module
 */

import { type LatentBasis, latentBasis, latentFlow, latentFlowGrid } from "../dynamics/mod.ts";
import { requireInteger, requirePositive } from "../validate.ts";
import type { TrainOptions, TrainResult } from "../rnn/mod.ts";

/** A slow point of the 2-D latent flow. */
export interface LatentSlowPoint {
  kappa: [number, number];
  /** ‖F(κ)‖ at the refined point. */
  speed: number;
  /** Eigenvalues of J (real and imaginary parts). */
  eigRe: [number, number];
  eigIm: [number, number];
  kind: "ghost" | "stable" | "unstable" | "saddle";
}

/** The latent Jacobian J = −I + P diag(1 − tanh²(Mκ + b)) M (docs/ghost-mechanism.md §2.4). */
export function latentJacobian(
  basis: LatentBasis,
  b: ArrayLike<number>,
  kappa: ArrayLike<number>,
): number[] {
  const { N, K, M, P } = basis;
  const J = new Array<number>(K * K).fill(0);
  for (let k = 0; k < K; k++) J[k * K + k] = -1;
  for (let i = 0; i < N; i++) {
    let z = b[i];
    for (let k = 0; k < K; k++) z += M[i * K + k] * kappa[k];
    const s = 1 - Math.tanh(z) ** 2;
    for (let r = 0; r < K; r++) {
      for (let c = 0; c < K; c++) J[r * K + c] += P[r * N + i] * s * M[i * K + c];
    }
  }
  return J;
}

function eig2(J: number[]): { re: [number, number]; im: [number, number] } {
  const tr = J[0] + J[3], det = J[0] * J[3] - J[1] * J[2], d = tr * tr / 4 - det;
  if (d >= 0) {
    const s = Math.sqrt(d);
    return { re: [tr / 2 - s, tr / 2 + s], im: [0, 0] };
  }
  const s = Math.sqrt(-d);
  return { re: [tr / 2, tr / 2], im: [-s, s] };
}

/** Options of {@linkcode latentSlowPoints}. */
export interface LatentSlowPointOptions {
  /** Square grid κ₁, κ₂ ∈ linspace(min, max, n) (default ±5, 121 points). */
  grid?: { min: number; max: number; n: number };
  /** Refined speed below this is a fixed point (default 1e-8). */
  fixedTol?: number;
  /** A ghost needs an eigenvalue of J with |Re λ| below this (default 0.1). */
  eigTol?: number;
}

/**
 * Slow points of the rank-2 latent flow (docs/ghost-mechanism.md §2.4): 3×3 grid speed minima,
 * refined by damped Gauss–Newton with the exact Jacobian, classified as ghost / stable / unstable
 * / saddle from the refined speed and the eigenvalues of J.
 */
export function latentSlowPoints(
  basis: LatentBasis,
  b: ArrayLike<number>,
  opts: LatentSlowPointOptions = {},
): { points: LatentSlowPoint[]; grid: ReturnType<typeof latentFlowGrid> } {
  const grid = opts.grid ?? { min: -5, max: 5, n: 121 };
  const tol = opts.fixedTol ?? 1e-8, eigTol = opts.eigTol ?? 0.1;
  requirePositive("fixedTol", tol);
  requirePositive("eigTol", eigTol);
  requireInteger("grid.n", grid.n, 3);
  const g = latentFlowGrid(basis, b, grid);
  const n = grid.n, h = (grid.max - grid.min) / (n - 1), L = g.logSpeed;
  const points: LatentSlowPoint[] = [];
  for (let i2 = 1; i2 < n - 1; i2++) {
    for (let i1 = 1; i1 < n - 1; i1++) {
      const v = L[i2 * n + i1];
      let isMin = true;
      for (let d2 = -1; d2 <= 1 && isMin; d2++) {
        for (let d1 = -1; d1 <= 1; d1++) {
          if ((d1 || d2) && L[(i2 + d2) * n + i1 + d1] < v) {
            isMin = false;
            break;
          }
        }
      }
      if (!isMin) continue;
      const c0: [number, number] = [g.kappa[i1], g.kappa[i2]];
      let k: [number, number] = [...c0], F = latentFlow(basis, b, k);
      let sp = Math.hypot(F[0], F[1]);
      for (let it = 0; it < 50 && sp > tol; it++) {
        const J = latentJacobian(basis, b, k);
        // (JᵀJ + λI) δ = −JᵀF
        const lam = 1e-12;
        const a = J[0] * J[0] + J[2] * J[2] + lam, bb = J[0] * J[1] + J[2] * J[3];
        const d = J[1] * J[1] + J[3] * J[3] + lam;
        const g1 = -(J[0] * F[0] + J[2] * F[1]), g2 = -(J[1] * F[0] + J[3] * F[1]);
        const det = a * d - bb * bb;
        let s1 = (d * g1 - bb * g2) / det, s2 = (a * g2 - bb * g1) / det;
        const len = Math.hypot(s1, s2), cap = h;
        if (len > cap) [s1, s2] = [s1 * cap / len, s2 * cap / len];
        const next: [number, number] = [k[0] + s1, k[1] + s2];
        if (Math.hypot(next[0] - c0[0], next[1] - c0[1]) > 2 * h) break;
        const Fn = latentFlow(basis, b, next), spn = Math.hypot(Fn[0], Fn[1]);
        if (!(spn < sp)) break;
        [k, F, sp] = [next, Fn, spn];
      }
      const { re, im } = eig2(latentJacobian(basis, b, k));
      if (sp > tol && Math.min(Math.abs(re[0]), Math.abs(re[1])) >= eigTol) continue;
      if (points.some((q) => Math.hypot(q.kappa[0] - k[0], q.kappa[1] - k[1]) < h)) continue;
      const kind = sp > tol
        ? "ghost"
        : re[0] < 0 && re[1] < 0
        ? "stable"
        : re[0] > 0 && re[1] > 0
        ? "unstable"
        : "saddle";
      points.push({ kappa: k, speed: sp, eigRe: re, eigIm: im, kind });
    }
  }
  return { points, grid: g };
}

/** The latent basis and bias of a `lowRank` checkpoint (S_l, S_r, b). */
export function checkpointBasis(
  params: Record<string, number[]>,
  N: number,
  K = 2,
): { basis: LatentBasis; b: number[] } {
  return { basis: latentBasis(params.S_l, params.S_r, N, K), b: params.b };
}

/**
 * The Figure 4 runs (docs/ghost-mechanism.md §2.4): DCDT with SGD lr 1e-3 (σ_fr = 0.3, no noise,
 * tanh read-out, input/delay/response 10/50/50 ms) and DMTS with Adam lr 1e-4 (σ_noise = 1e-2,
 * σ_fr = 0.3, sigmoid read-out, 30/80/50 ms); `trialsPerType` is 500 in the paper.
 */
export function fig4Options(
  task: "dcdt" | "dmts",
  p: { epochs: number; trialsPerType: number; checkpoints: number[]; every: number; seed?: number },
): TrainOptions {
  const dcdt = task === "dcdt", n = p.trialsPerType;
  return {
    model: { kind: "lowRank", K: 2, readout: dcdt ? "tanh" : "sigmoid" },
    task: dcdt
      ? { name: "dcdt", inputMs: 10, delayMs: 50, responseMs: 50, rateSigma: 0.3, trialsPerType: n }
      : {
        name: "dmts",
        inputMs: 30,
        delayMs: 80,
        responseMs: 50,
        rateSigma: 0.3,
        noiseSigma: 0.01,
        trialsPerType: n,
      },
    seed: p.seed ?? 0,
    lr: dcdt ? 1e-3 : 1e-4,
    optimizer: { name: dcdt ? "sgd" : "adam" },
    epochs: p.epochs,
    record: { every: p.every, checkpoints: p.checkpoints, states: p.checkpoints },
  };
}

/** Epoch of the abrupt drop: the first recorded epoch whose loss is below half the first loss. */
export function dropEpoch(res: TrainResult): number | null {
  const h = res.history, i = h.loss.findIndex((l) => l < h.loss[0] / 2);
  return i < 0 ? null : h.epoch[i];
}
