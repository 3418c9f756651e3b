/**
 * Model specifications, flat parameter layouts and initialisations of the ghost-paper RNNs
 * (docs/ghost-mechanism.md §2.1–2.5). All models are leaky tanh RNNs with α = Δt/τ = 0.5 in the PyTorch
 * row-vector convention (`rec = r @ W`).
 *
 * @module
 */

import { Rng } from "../random.ts";
import type { Task } from "../tasks/mod.ts";
import { requireFinite, requireInteger } from "../validate.ts";

/** Rank-one RNN (§2.1): parameters m, n, b (and c when `trainConfidence`); read-out σ(c(κ − θ)). */
export interface RankOneSpec {
  kind: "rankOne";
  /** Number of units (default 100). */
  N?: number;
  /** Leak α = Δt/τ in (0, 1] (default 0.5). */
  alpha?: number;
  /** Read-out confidence c (default 10). */
  confidence?: number;
  /** Read-out threshold θ on κ (default 1). */
  threshold?: number;
  /** Make c a trainable parameter (Fig 8B "learnable confidence"; default false). */
  trainConfidence?: boolean;
}

/** Rank-K RNN (§2.3): m (N×K), n (K×N), b, W_out, b_out; read-out σ(x·W_out + b_out) after the update. */
export interface RankKSpec {
  kind: "rankK";
  N?: number;
  /** Rank K, integer in [1, N]. */
  K: number;
  alpha?: number;
}

/** Read-out nonlinearity. */
export type Readout = "sigmoid" | "tanh";
/** Whether o_t reads the state before (r_t) or after (r_{t+1}) the update of step t. */
export type ReadoutTiming = "before" | "after";

/**
 * Full-rank RNN (§2.2, §2.5): W (N×N), W_in (N; only for tasks with input), b, W_out, b_out.
 * Defaults follow the task: delayed activation → sigmoid read-out after the update and the
 * N(0, 1/N) init of §2.2; DCDT → tanh before; DMTS → sigmoid before, Xavier init of §2.5.
 */
export interface FullRankSpec {
  kind: "fullRank";
  N?: number;
  alpha?: number;
  readout?: Readout;
  readoutTiming?: ReadoutTiming;
  /** "normal" (§2.2) or "xavier" (§2.5, PyTorch `RNN` class). */
  init?: "normal" | "xavier";
}

/**
 * Low-rank RNN with input (§2.4): S_l (N×K), S_r (K×N), W_in (N), b (N), W_out (K), b_out;
 * read-out act(W_out·(r S_l) + b_out), by default from the state before the update.
 */
export interface LowRankSpec {
  kind: "lowRank";
  N?: number;
  /** Rank K, integer in [1, N] (default 2). */
  K?: number;
  alpha?: number;
  readout?: Readout;
  readoutTiming?: ReadoutTiming;
}

/** Any model specification (plain data). */
export type ModelSpec = RankOneSpec | RankKSpec | FullRankSpec | LowRankSpec;

/** All model kinds. */
const MODEL_KINDS = ["rankOne", "rankK", "fullRank", "lowRank"] as const;

/** A model spec with every default resolved against a task. */
export interface ResolvedModel {
  kind: ModelSpec["kind"];
  N: number;
  K: number;
  alpha: number;
  confidence: number;
  threshold: number;
  trainConfidence: boolean;
  readout: Readout;
  readoutTiming: ReadoutTiming;
  init: "normal" | "xavier";
  /** Whether the model has an input weight W_in (task input dimension 1). */
  hasInput: boolean;
}

/** Names, shapes and offsets of the parameters inside one flat Float64Array. */
export interface Layout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  sizes: number[];
  size: number;
}

function makeLayout(entries: [string, number[]][]): Layout {
  const names: string[] = [], shapes: number[][] = [], offsets: number[] = [], sizes: number[] = [];
  let off = 0;
  for (const [name, shape] of entries) {
    const n = shape.reduce((a, b) => a * b, 1);
    names.push(name);
    shapes.push(shape);
    offsets.push(off);
    sizes.push(n);
    off += n;
  }
  return { names, shapes, offsets, sizes, size: off };
}

/** The rank K of a low-rank model: an integer in [1, N]. */
function checkRank(K: number, N: number): void {
  if (!Number.isInteger(K) || K < 1 || K > N) {
    throw new RangeError(`K (rank) must be an integer in [1, ${N}], got ${K}`);
  }
}

/**
 * Resolves defaults and validates a model spec against a task (§2.1–2.5).
 *
 * @throws {RangeError} on an unknown kind, N < 1, rank K outside [1, N], α outside (0, 1], a
 * non-finite confidence/threshold, or a task the model cannot run (rank-one / rank-K need the
 * delayed-activation task).
 */
export function resolveModel(spec: ModelSpec, task: Task): ResolvedModel {
  if (spec === null || typeof spec !== "object" || !MODEL_KINDS.includes(spec.kind)) {
    throw new RangeError(
      `unknown model kind ${JSON.stringify((spec as { kind?: unknown })?.kind)}; valid: ${
        MODEL_KINDS.join(", ")
      }`,
    );
  }
  const N = spec.N ?? 100;
  requireInteger("N", N, 1);
  const alpha = spec.alpha ?? 0.5;
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  const da = task.name === "delayed-activation";
  const r: ResolvedModel = {
    kind: spec.kind,
    N,
    K: 1,
    alpha,
    confidence: 10,
    threshold: 1,
    trainConfidence: false,
    readout: da || task.name === "dmts" ? "sigmoid" : "tanh",
    readoutTiming: da ? "after" : "before",
    init: da ? "normal" : "xavier",
    hasInput: task.inputDim === 1,
  };
  if (spec.kind === "rankOne" || spec.kind === "rankK") {
    if (!da) {
      throw new RangeError(
        `model ${spec.kind} runs only the delayed-activation task (no input), got task ${task.name}`,
      );
    }
  }
  if (spec.kind === "rankOne") {
    r.confidence = spec.confidence ?? 10;
    r.threshold = spec.threshold ?? 1;
    r.trainConfidence = spec.trainConfidence ?? false;
    requireFinite("confidence", r.confidence);
    requireFinite("threshold", r.threshold);
  } else if (spec.kind === "rankK") {
    checkRank(spec.K, N);
    r.K = spec.K;
  } else if (spec.kind === "lowRank") {
    r.K = spec.K ?? 2;
    checkRank(r.K, N);
  }
  if (spec.kind === "fullRank" || spec.kind === "lowRank") {
    if (spec.readout !== undefined) {
      if (spec.readout !== "sigmoid" && spec.readout !== "tanh") {
        throw new RangeError(`readout must be "sigmoid" or "tanh", got ${spec.readout}`);
      }
      r.readout = spec.readout;
    }
    if (spec.readoutTiming !== undefined) {
      if (spec.readoutTiming !== "before" && spec.readoutTiming !== "after") {
        throw new RangeError(
          `readoutTiming must be "before" or "after", got ${spec.readoutTiming}`,
        );
      }
      r.readoutTiming = spec.readoutTiming;
    }
  }
  if (spec.kind === "fullRank" && spec.init !== undefined) {
    if (spec.init !== "normal" && spec.init !== "xavier") {
      throw new RangeError(`init must be "normal" or "xavier", got ${spec.init}`);
    }
    r.init = spec.init;
  }
  return r;
}

/** The flat parameter layout of a resolved model (order = PyTorch parameter order of §2). */
export function layoutOf(m: ResolvedModel): Layout {
  const { N, K } = m;
  switch (m.kind) {
    case "rankOne":
      return makeLayout([
        ["m", [N]],
        ["n", [N]],
        ["b", [N]],
        ...(m.trainConfidence ? [["c", [1]] as [string, number[]]] : []),
      ]);
    case "rankK":
      return makeLayout([["m", [N, K]], ["n", [K, N]], ["b", [N]], ["W_out", [N]], ["b_out", [1]]]);
    case "fullRank":
      return makeLayout([
        ["W", [N, N]],
        ...(m.hasInput ? [["W_in", [N]] as [string, number[]]] : []),
        ["b", [N]],
        ["W_out", [N]],
        ["b_out", [1]],
      ]);
    case "lowRank":
      return makeLayout([
        ["S_l", [N, K]],
        ["S_r", [K, N]],
        ...(m.hasInput ? [["W_in", [N]] as [string, number[]]] : []),
        ["b", [N]],
        ["W_out", [K]],
        ["b_out", [1]],
      ]);
  }
}

/**
 * Draws initial parameters with each model's own rule (§2.1–2.5), from `new Rng(seed)`:
 * - rankOne: m, n ~ N(0, 1)/√N, b = 0 (c = confidence when trainable);
 * - rankK: m (N×K), n (K×N) ~ N(0,1)/√N, b = 0, W_out ~ N(0,1)/√N, b_out ~ N(0,1)/√N;
 * - fullRank "normal" (§2.2): W ~ N(0,1)/√N, b = 0, W_out, b_out ~ N(0,1)/√N;
 * - fullRank "xavier" (§2.5): W ~ U(±√(6/2N)), W_in ~ U(±√(6/(1+N))), b ~ U(−1, 1),
 *   W_out ~ U(±√(6/(N+1))), b_out ~ U(±1/√N);
 * - lowRank (§2.4): W_in ~ U(±√(6/(1+N))), b ~ N(0, 0.1²), S_l ~ N(0, 1/N), S_r ~ N(0, 1),
 *   W_out ~ U(±√(6/(K+1))), b_out ~ U(±1/√K).
 */
export function initParams(m: ResolvedModel, layout: Layout, seed: number): Float64Array {
  const rng = new Rng(seed);
  const p = new Float64Array(layout.size);
  const { N, K } = m;
  const sl = (name: string) => {
    const i = layout.names.indexOf(name);
    return p.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]);
  };
  const normal = (a: Float64Array, std: number) => {
    for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
  };
  const unif = (a: Float64Array, bound: number) => {
    for (let i = 0; i < a.length; i++) a[i] = rng.uniformIn(-bound, bound);
  };
  const s = 1 / Math.sqrt(N);
  switch (m.kind) {
    case "rankOne":
      normal(sl("m"), s);
      normal(sl("n"), s);
      if (m.trainConfidence) sl("c")[0] = m.confidence;
      break;
    case "rankK":
      normal(sl("m"), s);
      normal(sl("n"), s);
      normal(sl("W_out"), s);
      normal(sl("b_out"), s);
      break;
    case "fullRank":
      if (m.init === "normal") {
        normal(sl("W"), s);
        if (m.hasInput) unif(sl("W_in"), Math.sqrt(6 / (1 + N)));
        normal(sl("W_out"), s);
        normal(sl("b_out"), s);
      } else {
        if (m.hasInput) unif(sl("W_in"), Math.sqrt(6 / (1 + N)));
        unif(sl("b"), 1);
        unif(sl("W"), Math.sqrt(6 / (2 * N)));
        unif(sl("W_out"), Math.sqrt(6 / (N + 1)));
        unif(sl("b_out"), s);
      }
      break;
    case "lowRank":
      if (m.hasInput) unif(sl("W_in"), Math.sqrt(6 / (1 + N)));
      normal(sl("b"), 0.1);
      normal(sl("S_l"), s);
      normal(sl("S_r"), 1);
      unif(sl("W_out"), Math.sqrt(6 / (K + 1)));
      unif(sl("b_out"), 1 / Math.sqrt(K));
      break;
  }
  return p;
}

/** Flat parameters → named plain arrays (for saving / JSON). */
export function unpackParams(layout: Layout, p: Float64Array): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (let i = 0; i < layout.names.length; i++) {
    out[layout.names[i]] = Array.from(
      p.subarray(layout.offsets[i], layout.offsets[i] + layout.sizes[i]),
    );
  }
  return out;
}

/**
 * Named arrays → flat parameters. Missing names keep the values already in `into`.
 *
 * @throws {RangeError} on an unknown name or a length that does not match the layout.
 */
export function packParams(
  layout: Layout,
  named: Record<string, ArrayLike<number>>,
  into: Float64Array = new Float64Array(layout.size),
): Float64Array {
  for (const [name, v] of Object.entries(named)) {
    const i = layout.names.indexOf(name);
    if (i < 0) {
      throw new RangeError(`unknown parameter "${name}"; valid: ${layout.names.join(", ")}`);
    }
    if (v.length !== layout.sizes[i]) {
      throw new RangeError(
        `parameter "${name}" must have ${layout.sizes[i]} entries (shape ${
          layout.shapes[i].join("×")
        }), got ${v.length}`,
      );
    }
    into.set(v, layout.offsets[i]);
  }
  return into;
}
