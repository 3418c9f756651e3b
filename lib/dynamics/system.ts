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
  void p;
  throw new Error("TODO");
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
  void model;
  throw new Error("TODO");
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
  void r;
  throw new Error("TODO");
}

/** The linear system dx/dt = A x + b (A row-major dim×dim). */
export function linearSystem(A: ArrayLike<number>, b: ArrayLike<number>): DynamicalSystem {
  void A, b;
  throw new Error("TODO");
}

/** The speed q(x) = ½‖F(x)‖² (docs/ghost-mechanism.md §1.1). */
export function speed(system: DynamicalSystem, x: ArrayLike<number>): number {
  void system, x;
  throw new Error("TODO");
}

/** ∇q(x) = Jᵀ F (exact). */
export function speedGradient(system: DynamicalSystem, x: ArrayLike<number>): Float64Array {
  void system, x;
  throw new Error("TODO");
}

/**
 * ∇²q(x) = JᵀJ + Σ_i F_i ∇²F_i (exact when the system has `flowCurvature`, Gauss–Newton JᵀJ
 * otherwise), row-major dim×dim (Eq. (2.4.3)).
 */
export function speedHessian(system: DynamicalSystem, x: ArrayLike<number>): Float64Array {
  void system, x;
  throw new Error("TODO");
}
