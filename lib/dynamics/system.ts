/**
 * Dynamical systems for slow-point analysis: the autonomous (or constant-input) flow dx/dt = F(x)
 * of every RNN of `lib/rnn` in its natural coordinates, and the speed q(x) = ½‖F(x)‖² with its exact
 * gradient and Hessian (docs/ghost-mechanism.md §1.1, §2.1, §2.4, §2.7).
 *
 * All RNN flows share one form, **F(x) = −x + P tanh(M x + c)** (Eq. (2.4.1)): rank-one and rank-K
 * networks in κ = (their latent coordinates), low-rank networks in the SVD latent κ = P r, full-rank
 * networks in the rates themselves (P = I, M = Wᵀ). The constant input u enters through c = b + W_in u.
 *
 * @module
 */

import { rankOneFlow } from "../rnn/flow.ts";
import { requireFinite, requireFiniteArray, requireInteger, requireLength } from "../validate.ts";
import { latentBasis, latentCoordinates } from "./latent.ts";

/** A flow dx/dt = F(x) on ℝ^dim with its Jacobian (and optionally the second derivatives of F). */
export interface DynamicalSystem {
  /** State dimension. */
  readonly dim: number;
  /** A short description (model kind and dimension), for messages and plots. */
  readonly label: string;
  /** F(x) (length dim). Writes into `out` when given. */
  flow(x: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** Jacobian J_ij = ∂F_i/∂x_j, row-major dim×dim. Writes into `out` when given. */
  jacobian(x: ArrayLike<number>, out?: Float64Array): Float64Array;
  /**
   * Σ_i w_i ∇²F_i(x) (row-major dim×dim), the second-order term of the speed Hessian
   * (Eq. (2.4.3)). Systems without it are polished with Gauss–Newton (JᵀJ) steps.
   */
  flowCurvature?(x: ArrayLike<number>, w: ArrayLike<number>, out?: Float64Array): Float64Array;
  /**
   * The exact speed Hessian ∇²q(x) (Eq. (2.4.3)) when the system has a faster route than
   * JᵀJ + `flowCurvature` (the full-rank tanh flow does). Row-major dim×dim.
   */
  speedHessian?(x: ArrayLike<number>, out?: Float64Array): Float64Array;
}

/** Parameters of a {@linkcode tanhSystem}: F(x) = −x + P tanh(M x + c). */
export interface TanhSystemParams {
  /** Number of tanh units (rows of M, length of c). */
  units: number;
  /** State dimension. */
  dim: number;
  /** M, row-major units×dim. */
  M: ArrayLike<number>;
  /** P, row-major dim×units; `null` means the identity (units = dim, full rank). */
  P: ArrayLike<number> | null;
  /** c = b + W_in u, length units. */
  c: ArrayLike<number>;
  /** Description for messages. */
  label?: string;
}

/** The constant-input / model selection of {@linkcode slowPointSystem}. */
export type SlowPointModel =
  | {
    kind: "rankOne";
    /** The trained parameters m, n, b (N each), as `unpackParams` returns them. */
    params: { m: ArrayLike<number>; n: ArrayLike<number>; b: ArrayLike<number> };
  }
  | {
    kind: "rankK";
    /** m (N×K), n (K×N), b (N). */
    params: { m: ArrayLike<number>; n: ArrayLike<number>; b: ArrayLike<number> };
    K: number;
  }
  | {
    kind: "lowRank";
    /** S_l (N×K), S_r (K×N), b (N), optional W_in (N). */
    params: {
      S_l: ArrayLike<number>;
      S_r: ArrayLike<number>;
      b: ArrayLike<number>;
      W_in?: ArrayLike<number>;
    };
    K: number;
    /** Constant input u (default 0). */
    input?: number;
  }
  | {
    kind: "fullRank";
    /** W (N×N, row convention rec = r W), b (N), optional W_in (N). */
    params: { W: ArrayLike<number>; b: ArrayLike<number>; W_in?: ArrayLike<number> };
    /** Constant input u (default 0). */
    input?: number;
  };

/**
 * F(x) = −x + P tanh(M x + c) with exact Jacobian J = −I + P diag(1 − tanh²(z)) M and curvature
 * Σ_i w_i ∇²F_i = Mᵀ diag((Pᵀw) ⊙ (−2 tanh z (1 − tanh² z))) M, z = M x + c (Eqs. (2.4.1)–(2.4.3)).
 *
 * @throws {RangeError} naming the argument on wrong lengths or non-finite entries.
 */
export function tanhSystem(p: TanhSystemParams): DynamicalSystem {
  requireInteger("units", p.units, 1);
  requireInteger("dim", p.dim, 1);
  const { units, dim } = p;
  requireLength("M", p.M, units * dim, "units×dim");
  requireLength("c", p.c, units, "units");
  if (p.P === null) {
    if (units !== dim) {
      throw new RangeError(`P = null (identity) needs units = dim, got units ${units}, dim ${dim}`);
    }
  } else requireLength("P", p.P, dim * units, "dim×units");
  const M = Float64Array.from(p.M), c = Float64Array.from(p.c);
  const P = p.P === null ? null : Float64Array.from(p.P);
  const t = new Float64Array(units), d = new Float64Array(units);
  // t = tanh(M x + c), d = 1 − t²
  const pre = (x: ArrayLike<number>) => {
    requireLength("x", x, dim, "dim");
    for (let i = 0; i < units; i++) {
      let z = c[i];
      const row = i * dim;
      for (let k = 0; k < dim; k++) z += M[row + k] * x[k];
      const th = Math.tanh(z);
      t[i] = th;
      d[i] = 1 - th * th;
    }
  };
  // P = I: J = −I + D M, so ∇²q = JᵀJ + Mᵀ diag(F ⊙ φ'') M
  //   = I − D M − (D M)ᵀ + Mᵀ diag(d² + F ⊙ φ'') M, one symmetric product (Eq. (2.4.3))
  const w = new Float64Array(units);
  function fullRankSpeedHessian(x: ArrayLike<number>, out = new Float64Array(dim * dim)) {
    pre(x);
    for (let i = 0; i < dim; i++) {
      const f = -x[i] + t[i];
      w[i] = d[i] * d[i] - 2 * f * t[i] * d[i];
    }
    out.fill(0);
    for (let i = 0; i < units; i++) {
      const wi = w[i], mrow = i * dim;
      if (wi === 0) continue;
      for (let a = 0; a < dim; a++) {
        const sa = wi * M[mrow + a];
        if (sa === 0) continue;
        const row = a * dim;
        for (let b = a; b < dim; b++) out[row + b] += sa * M[mrow + b];
      }
    }
    for (let a = 0; a < dim; a++) {
      out[a * dim + a] += 1 - 2 * d[a] * M[a * dim + a];
      for (let b = a + 1; b < dim; b++) {
        const v = out[a * dim + b] - d[a] * M[a * dim + b] - d[b] * M[b * dim + a];
        out[a * dim + b] = v;
        out[b * dim + a] = v;
      }
    }
    return out;
  }
  return {
    dim,
    label: p.label ?? `tanh system (dim ${dim}, ${units} units)`,
    flow(x, out = new Float64Array(dim)) {
      pre(x);
      for (let k = 0; k < dim; k++) out[k] = -x[k];
      if (P === null) {
        for (let k = 0; k < dim; k++) out[k] += t[k];
      } else {
        for (let k = 0; k < dim; k++) {
          let s = 0;
          const row = k * units;
          for (let i = 0; i < units; i++) s += P[row + i] * t[i];
          out[k] += s;
        }
      }
      return out;
    },
    jacobian(x, out = new Float64Array(dim * dim)) {
      pre(x);
      if (P === null) {
        // J = −I + diag(d) M
        for (let i = 0; i < dim; i++) {
          const di = d[i], row = i * dim;
          for (let j = 0; j < dim; j++) out[row + j] = di * M[row + j];
          out[row + i] -= 1;
        }
      } else {
        // J = −I + P diag(d) M
        out.fill(0);
        for (let i = 0; i < units; i++) {
          const mrow = i * dim;
          for (let k = 0; k < dim; k++) {
            const pk = P[k * units + i] * d[i];
            if (pk === 0) continue;
            const row = k * dim;
            for (let j = 0; j < dim; j++) out[row + j] += pk * M[mrow + j];
          }
        }
        for (let k = 0; k < dim; k++) out[k * dim + k] -= 1;
      }
      return out;
    },
    flowCurvature(x, w, out = new Float64Array(dim * dim)) {
      pre(x);
      requireLength("w", w, dim, "dim");
      // Mᵀ diag((Pᵀw) ⊙ φ'') M with φ'' = −2 t (1 − t²)
      out.fill(0);
      for (let i = 0; i < units; i++) {
        let pw = 0;
        if (P === null) pw = w[i];
        else for (let k = 0; k < dim; k++) pw += P[k * units + i] * w[k];
        const s = pw * -2 * t[i] * d[i];
        if (s === 0) continue;
        const mrow = i * dim;
        for (let a = 0; a < dim; a++) {
          const sa = s * M[mrow + a];
          if (sa === 0) continue;
          const row = a * dim;
          for (let b = 0; b < dim; b++) out[row + b] += sa * M[mrow + b];
        }
      }
      return out;
    },
    ...(P === null ? { speedHessian: fullRankSpeedHessian } : {}),
  };
}

/**
 * The slow-point system of a trained `lib/rnn` model at constant input: rank-one → the 1-D κ flow
 * F(κ) = −κ + Σᵢ nᵢ tanh(mᵢκ + bᵢ) (docs/ghost-mechanism.md §2.1, via `rankOneFlow`); rank-K → the
 * K-D flow of κ = x m; low rank → the latent flow of κ = P r with W = M P the thin SVD (§2.4);
 * full rank → the N-D rate flow F(r) = −r + tanh(Wᵀ r + b + W_in u) (§2.7).
 *
 * The latent coordinates of a visited state are given by {@linkcode SlowPointSystemInfo.toState}.
 *
 * @throws {RangeError} on an unknown kind, wrong parameter lengths, a non-finite input.
 */
export function slowPointSystem(model: SlowPointModel): DynamicalSystem & SlowPointSystemInfo {
  if (model === null || typeof model !== "object") {
    throw new TypeError(`model must be an object { kind, params, ... }, got ${model}`);
  }
  const u = "input" in model && model.input !== undefined ? model.input : 0;
  requireFinite("input", u);
  const withInput = (b: ArrayLike<number>, Win: ArrayLike<number> | undefined, N: number) => {
    requireLength("params.b", b, N, "N");
    const c = Float64Array.from(b);
    if (u !== 0) {
      if (Win === undefined) {
        throw new RangeError(`input = ${u} needs params.W_in (length N = ${N}); pass input 0`);
      }
      requireLength("params.W_in", Win, N, "N");
      for (let i = 0; i < N; i++) c[i] += Win[i] * u;
    }
    return c;
  };
  const identity = (tr: ArrayLike<number>) => Float64Array.from(tr);
  switch (model.kind) {
    case "rankOne": {
      const { m, n, b } = model.params;
      const N = m.length;
      requireInteger("params.m.length (N)", N, 1);
      requireLength("params.n", n, N, "N");
      requireLength("params.b", b, N, "N");
      const base = tanhSystem({ units: N, dim: 1, M: m, P: n, c: b });
      const label = `rank-one κ flow (N = ${N})`;
      return {
        ...base,
        label,
        kind: "rankOne",
        // the recorded flow of lib/rnn (Eq. (2.1.2)) is the one the finder minimises
        flow(x, out = new Float64Array(1)) {
          requireLength("x", x, 1, "dim");
          out[0] = rankOneFlow(m, n, b, x)[0];
          return out;
        },
        toState: identity,
      };
    }
    case "rankK": {
      const { m, n, b } = model.params;
      const K = model.K;
      requireInteger("K", K, 1);
      const N = b.length;
      requireLength("params.m", m, N * K, "N×K");
      requireLength("params.n", n, K * N, "K×N");
      // κ = x m: dκ/dt = −κ + mᵀ tanh(nᵀκ + b), so M = nᵀ (N×K), P = mᵀ (K×N)
      const M = new Float64Array(N * K), P = new Float64Array(K * N);
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < K; k++) {
          M[i * K + k] = n[k * N + i];
          P[k * N + i] = m[i * K + k];
        }
      }
      const base = tanhSystem({ units: N, dim: K, M, P, c: b });
      return { ...base, label: `rank-${K} κ flow (N = ${N})`, kind: "rankK", toState: identity };
    }
    case "lowRank": {
      const { S_l, S_r, b, W_in } = model.params;
      const K = model.K;
      requireInteger("K", K, 1);
      const N = b.length;
      const basis = latentBasis(S_l, S_r, N, K);
      const c = withInput(b, W_in, N);
      const base = tanhSystem({ units: N, dim: K, M: basis.M, P: basis.P, c });
      return {
        ...base,
        label: `low-rank latent flow (K = ${K}, N = ${N}${u !== 0 ? `, u = ${u}` : ""})`,
        kind: "lowRank",
        toState: (tr) => Float64Array.from(latentCoordinates(basis, tr)),
      };
    }
    case "fullRank": {
      const { W, b, W_in } = model.params;
      const N = b.length;
      requireInteger("params.b.length (N)", N, 1);
      requireLength("params.W", W, N * N, "N×N");
      // row convention rec = r W ⇒ z = Wᵀ r + c
      const M = new Float64Array(N * N);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) M[j * N + i] = W[i * N + j];
      const c = withInput(b, W_in, N);
      const base = tanhSystem({ units: N, dim: N, M, P: null, c });
      return {
        ...base,
        label: `full-rank rate flow (N = ${N}${u !== 0 ? `, u = ${u}` : ""})`,
        kind: "fullRank",
        toState: (tr) => {
          if (tr.length % N !== 0) {
            throw new RangeError(
              `trajectory length must be a multiple of N = ${N}, got ${tr.length}`,
            );
          }
          return Float64Array.from(tr);
        },
      };
    }
    default:
      throw new RangeError(
        `unknown model kind ${JSON.stringify((model as { kind?: unknown }).kind)}; valid: ` +
          `rankOne, rankK, lowRank, fullRank`,
      );
  }
}

/** Extra information a model-derived system carries. */
export interface SlowPointSystemInfo {
  /** The model kind it was built from. */
  readonly kind: SlowPointModel["kind"];
  /**
   * Maps the model's recorded trajectory rows (rates r of length N for full/low rank; κ for rank-one
   * and rank-K, as `forward` records them) to system states (row-major count×dim).
   */
  toState(trajectory: ArrayLike<number>): Float64Array;
}

/** The saddle-node normal form dx/dt = x² + r (docs/ghost-mechanism.md Eq. (1.1.1)), 1-D. */
export function saddleNodeSystem(r: number): DynamicalSystem {
  requireFinite("r", r);
  return {
    dim: 1,
    label: `saddle-node normal form x² + ${r}`,
    flow(x, out = new Float64Array(1)) {
      requireLength("x", x, 1, "dim");
      out[0] = x[0] * x[0] + r;
      return out;
    },
    jacobian(x, out = new Float64Array(1)) {
      requireLength("x", x, 1, "dim");
      out[0] = 2 * x[0];
      return out;
    },
    flowCurvature(x, w, out = new Float64Array(1)) {
      requireLength("x", x, 1, "dim");
      out[0] = 2 * w[0];
      return out;
    },
  };
}

/** The linear system dx/dt = A x + b (A row-major dim×dim). */
export function linearSystem(A: ArrayLike<number>, b: ArrayLike<number>): DynamicalSystem {
  requireFiniteArray("b", b);
  const n = b.length;
  requireLength("A", A, n * n, "dim×dim (dim = b.length)");
  const a = Float64Array.from(A), c = Float64Array.from(b);
  return {
    dim: n,
    label: `linear system (dim ${n})`,
    flow(x, out = new Float64Array(n)) {
      requireLength("x", x, n, "dim");
      for (let i = 0; i < n; i++) {
        let s = c[i];
        for (let j = 0; j < n; j++) s += a[i * n + j] * x[j];
        out[i] = s;
      }
      return out;
    },
    jacobian(x, out = new Float64Array(n * n)) {
      requireLength("x", x, n, "dim");
      out.set(a);
      return out;
    },
    flowCurvature(x, _w, out = new Float64Array(n * n)) {
      requireLength("x", x, n, "dim");
      return out.fill(0);
    },
  };
}

/** The speed q(x) = ½‖F(x)‖² (docs/ghost-mechanism.md §1.1). */
export function speed(system: DynamicalSystem, x: ArrayLike<number>): number {
  const F = system.flow(x);
  let s = 0;
  for (let i = 0; i < F.length; i++) s += F[i] * F[i];
  return 0.5 * s;
}

/** ∇q(x) = Jᵀ F (exact). */
export function speedGradient(system: DynamicalSystem, x: ArrayLike<number>): Float64Array {
  const n = system.dim, F = system.flow(x), J = system.jacobian(x);
  const g = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const fi = F[i], row = i * n;
    for (let j = 0; j < n; j++) g[j] += J[row + j] * fi;
  }
  return g;
}

/**
 * ∇²q(x) = JᵀJ + Σ_i F_i ∇²F_i (exact when the system has `flowCurvature`, Gauss–Newton JᵀJ
 * otherwise), row-major dim×dim (Eq. (2.4.3)).
 */
export function speedHessian(system: DynamicalSystem, x: ArrayLike<number>): Float64Array {
  if (system.speedHessian) return system.speedHessian(x);
  const n = system.dim, F = system.flow(x), J = system.jacobian(x);
  const H = system.flowCurvature ? system.flowCurvature(x, F) : new Float64Array(n * n);
  addGram(J, n, H);
  return H;
}

/** H += JᵀJ, the Gauss–Newton term of the speed Hessian (Eq. (2.4.3)); row-major n×n. */
export function addGram(J: ArrayLike<number>, n: number, H: Float64Array): Float64Array {
  for (let k = 0; k < n; k++) {
    const row = k * n;
    for (let a = 0; a < n; a++) {
      const ja = J[row + a];
      if (ja === 0) continue;
      const hrow = a * n;
      for (let b = 0; b < n; b++) H[hrow + b] += ja * J[row + b];
    }
  }
  return H;
}
