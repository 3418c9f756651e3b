/**
 * Optimisers with PyTorch semantics (docs/ghost-mechanism.md §2: plain `torch.optim.SGD`, `torch.optim.Adam`)
 * acting in place on flat float64 parameter vectors.
 *
 * @module
 */

/** Optimiser choice (plain data). */
export type OptimizerSpec =
  | { name: "sgd" }
  | { name: "adam"; beta1?: number; beta2?: number; eps?: number };

/** Serializable optimiser state (for checkpoints / resuming). */
export interface OptimizerState {
  name: "sgd" | "adam";
  /** Number of steps taken so far. */
  step: number;
  /** Adam first moment (empty for SGD). */
  m: number[];
  /** Adam second moment (empty for SGD). */
  v: number[];
}

/** An optimiser over one flat parameter vector. */
export interface Optimizer {
  /** Updates `p` in place from gradient `g` with learning rate `lr`. */
  step(p: Float64Array, g: Float64Array, lr: number): void;
  /** A plain copy of the state. */
  state(): OptimizerState;
}

/**
 * SGD without momentum or weight decay (PyTorch `SGD(lr)`): p ← p − lr·g.
 */
export class Sgd implements Optimizer {
  #t = 0;
  constructor(state?: OptimizerState) {
    if (state) this.#t = state.step;
  }
  step(p: Float64Array, g: Float64Array, lr: number): void {
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
    this.#t++;
  }
  /** Counts `steps` SGD steps applied elsewhere (the fused rank-K kernel of `trainEnsemble`). */
  countSteps(steps: number): void {
    this.#t += steps;
  }
  state(): OptimizerState {
    return { name: "sgd", step: this.#t, m: [], v: [] };
  }
}

/**
 * Adam as in PyTorch 1.13 (`amsgrad=False`, no weight decay): t ← t + 1;
 * m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
 * Defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
 */
export class Adam implements Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  #m: Float64Array;
  #v: Float64Array;
  #t = 0;
  constructor(
    size: number,
    opts: { beta1?: number; beta2?: number; eps?: number } = {},
    state?: OptimizerState,
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    if (!(this.beta1 >= 0 && this.beta1 < 1)) {
      throw new RangeError(`beta1 must be in [0, 1), got ${this.beta1}`);
    }
    if (!(this.beta2 >= 0 && this.beta2 < 1)) {
      throw new RangeError(`beta2 must be in [0, 1), got ${this.beta2}`);
    }
    if (!(this.eps >= 0)) throw new RangeError(`eps must be >= 0, got ${this.eps}`);
    this.#m = new Float64Array(size);
    this.#v = new Float64Array(size);
    if (state) {
      if (state.m.length !== size || state.v.length !== size) {
        throw new RangeError(
          `Adam state must have ${size} entries in m and v, got ${state.m.length} and ${state.v.length}`,
        );
      }
      this.#m.set(state.m);
      this.#v.set(state.v);
      this.#t = state.step;
    }
  }
  step(p: Float64Array, g: Float64Array, lr: number): void {
    const b1 = this.beta1, b2 = this.beta2, m = this.#m, v = this.#v;
    this.#t++;
    const bc1 = 1 - b1 ** this.#t;
    const bc2s = Math.sqrt(1 - b2 ** this.#t);
    const stepSize = lr / bc1;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      m[i] = m[i] * b1 + (1 - b1) * gi;
      v[i] = v[i] * b2 + (1 - b2) * gi * gi;
      p[i] -= stepSize * (m[i] / (Math.sqrt(v[i]) / bc2s + this.eps));
    }
  }
  state(): OptimizerState {
    return { name: "adam", step: this.#t, m: Array.from(this.#m), v: Array.from(this.#v) };
  }
}

/**
 * Creates an optimiser from its spec (optionally resuming from a saved state).
 *
 * @throws {RangeError} on an unknown optimiser name or a state of another optimiser / size.
 */
export function makeOptimizer(
  spec: OptimizerSpec,
  size: number,
  state?: OptimizerState,
): Optimizer {
  if (state && state.name !== spec?.name) {
    throw new RangeError(
      `optimizer state is for "${state.name}", but optimizer is "${spec?.name}"`,
    );
  }
  if (spec?.name === "sgd") return new Sgd(state);
  if (spec?.name === "adam") return new Adam(size, spec, state);
  throw new RangeError(
    `unknown optimizer ${JSON.stringify((spec as { name?: unknown })?.name)}; valid: sgd, adam`,
  );
}
