/**
 * Trial generators for the ghost-paper RNN experiments (docs/ghost-mechanism.md §2.1, §2.6).
 *
 * - **delayed activation** (§2.1): no input, `T` zeros then `T` ones, fixed initial state x0 = −0.3·1;
 *   loss Σ_t (o_t − y_t)² / T, accuracy = fraction of steps with [(o_t > 0.5) == y_t].
 * - **DCDT** (§2.6): delayed cue discrimination, 2 trial types (u = ±1 during the input window, target
 *   ±1 in the response window); MSE loss; accuracy from outputs binarised at ±0.33.
 * - **DMTS** (§2.6): delayed match-to-sample, 4 trial types ((+,+), (−,−) → 1; (−,+), (+,−) → 0);
 *   MSE loss; accuracy from outputs binarised at 0.5.
 *
 * Durations are in ms with Δt = 5 ms (`steps = duration / Δt`). The batch repeats the block of trial
 * types (type1, type2[, type3, type4]) `trialsPerType` times, so types are interleaved, as in the
 * reference `Single_Dataset`. Arrays are **time-major**: element (t, b) is at index `t * batch + b`.
 *
 * @module
 */

import type { Rng } from "../random.ts";
import { requireFinite, requireInteger, requireNonNegative, requirePositive } from "../validate.ts";

/** The task names known to the engine. */
export type TaskName = "delayed-activation" | "dcdt" | "dmts";

/** All known task names (for error messages and validation). */
const TASK_NAMES: readonly TaskName[] = ["delayed-activation", "dcdt", "dmts"];

/** Parameters of the delayed-activation task (§2.1). */
export interface DelayedActivationSpec {
  name: "delayed-activation";
  /** Delay T in steps: the trial is T zeros then T ones (default 20). */
  T?: number;
  /** Constant initial state of every unit (default −0.3). */
  x0?: number;
}

/** Parameters of the DCDT and DMTS tasks (§2.6). Durations in ms. */
export interface WorkingMemorySpec {
  name: "dcdt" | "dmts";
  /** Input (stimulus) window in ms; DMTS has two windows of this length (default 10). */
  inputMs?: number;
  /** Delay in ms (default 50). */
  delayMs?: number;
  /** Response window in ms (default 50). */
  responseMs?: number;
  /** Time step in ms (default 5). */
  dtMs?: number;
  /** Number of copies of each trial type in the batch (default 1). */
  trialsPerType?: number;
  /** Standard deviation σ of the per-unit, per-step noise added inside the tanh (default 0). */
  noiseSigma?: number;
  /** Initial rates are r0 = tanh(N(0, σ_fr²)) per unit and trial; σ_fr (default 0 → r0 = 0). */
  rateSigma?: number;
}

/** A task description (plain data; JSON-serialisable). */
export type TaskSpec = DelayedActivationSpec | WorkingMemorySpec;

/** A fully generated task: fixed inputs and targets plus the noise settings of every epoch. */
export interface Task {
  name: TaskName;
  /** Number of time steps of a trial. */
  steps: number;
  /** Number of trials in the batch. */
  batch: number;
  /** Number of trial types (1, 2 or 4). */
  types: number;
  /** Input dimension: 0 (no input) or 1. */
  inputDim: 0 | 1;
  /** Inputs, time-major `[t * batch + b]` (length steps·batch; all zero when inputDim = 0). */
  inputs: Float64Array;
  /** Targets, time-major `[t * batch + b]`. */
  targets: Float64Array;
  /** Trial type (0-based) of each batch entry. */
  trialType: Int32Array;
  /** Noise σ inside the tanh (0 = no noise). */
  noiseSigma: number;
  /** σ_fr of the initial rates (working-memory tasks). */
  rateSigma: number;
  /** Constant initial state (delayed activation), or null when r0 = tanh(N(0, σ_fr²)). */
  x0: number | null;
  /** Loss normalisation: Σ(o − y)² · lossScale (1/T for delayed activation, 1/(batch·steps) for MSE). */
  lossScale: number;
  /** Accuracy rule: "binary" (o > 0.5 vs target) or "ternary" (±0.33 → {−1, 0, 1}). */
  accuracy: "binary" | "ternary";
  /** Step windows: [start, end) of each phase. */
  windows: Record<string, [number, number]>;
  /** The spec this task was made from (with defaults filled in). */
  spec: Required<DelayedActivationSpec> | Required<WorkingMemorySpec>;
}

function steps(name: string, ms: number, dt: number, allowZero = false): number {
  if (allowZero) requireNonNegative(`${name} (ms)`, ms);
  else requirePositive(`${name} (ms)`, ms);
  const n = Math.round(ms / dt);
  if (Math.abs(n * dt - ms) > 1e-9 * Math.max(1, ms)) {
    throw new RangeError(`${name} must be a multiple of dtMs=${dt} ms, got ${ms}`);
  }
  return n;
}

/**
 * Builds a task from its spec (§2.1 delayed activation, §2.6 DCDT/DMTS).
 *
 * @throws {RangeError} on an unknown task name or invalid durations / counts.
 */
export function makeTask(spec: TaskSpec): Task {
  if (spec === null || typeof spec !== "object" || !TASK_NAMES.includes(spec.name)) {
    throw new RangeError(
      `unknown task ${JSON.stringify((spec as { name?: unknown })?.name)}; valid: ${
        TASK_NAMES.join(", ")
      }`,
    );
  }
  if (spec.name === "delayed-activation") return delayedActivation(spec);
  return workingMemory(spec);
}

function delayedActivation(spec: DelayedActivationSpec): Task {
  const T = spec.T ?? 20;
  requireInteger("T", T, 1);
  const x0 = spec.x0 ?? -0.3;
  requireFinite("x0", x0);
  const n = 2 * T;
  const targets = new Float64Array(n);
  for (let t = T; t < n; t++) targets[t] = 1;
  return {
    name: "delayed-activation",
    steps: n,
    batch: 1,
    types: 1,
    inputDim: 0,
    inputs: new Float64Array(n),
    targets,
    trialType: new Int32Array(1),
    noiseSigma: 0,
    rateSigma: 0,
    x0,
    lossScale: 1 / T,
    accuracy: "binary",
    windows: { zeros: [0, T], ones: [T, n] },
    spec: { name: "delayed-activation", T, x0 },
  };
}

function workingMemory(spec: WorkingMemorySpec): Task {
  const dt = spec.dtMs ?? 5;
  requirePositive("dtMs", dt);
  const full: Required<WorkingMemorySpec> = {
    name: spec.name,
    inputMs: spec.inputMs ?? 10,
    delayMs: spec.delayMs ?? 50,
    responseMs: spec.responseMs ?? 50,
    dtMs: dt,
    trialsPerType: spec.trialsPerType ?? 1,
    noiseSigma: spec.noiseSigma ?? 0,
    rateSigma: spec.rateSigma ?? 0,
  };
  const nIn = steps("inputMs", full.inputMs, dt);
  const nDelay = steps("delayMs", full.delayMs, dt, true);
  const nResp = steps("responseMs", full.responseMs, dt);
  requireInteger("trialsPerType", full.trialsPerType, 1);
  requireNonNegative("noiseSigma", full.noiseSigma);
  requireNonNegative("rateSigma", full.rateSigma);
  const dmts = spec.name === "dmts";
  const types = dmts ? 4 : 2;
  const n = dmts ? 2 * nIn + nDelay + nResp : nIn + nDelay + nResp;
  const batch = types * full.trialsPerType;
  const inputs = new Float64Array(n * batch);
  const targets = new Float64Array(n * batch);
  const trialType = new Int32Array(batch);
  // DMTS types (s1, s2, target): (+,+,1), (−,−,1), (−,+,0), (+,−,0).
  const s1 = dmts ? [1, -1, -1, 1] : [1, -1];
  const s2 = [1, -1, 1, -1];
  const resp = dmts ? [1, 1, 0, 0] : [1, -1];
  const respStart = n - nResp;
  for (let b = 0; b < batch; b++) {
    const k = b % types;
    trialType[b] = k;
    for (let t = 0; t < nIn; t++) inputs[t * batch + b] = s1[k];
    if (dmts) {
      for (let t = nIn + nDelay; t < 2 * nIn + nDelay; t++) inputs[t * batch + b] = s2[k];
    }
    for (let t = respStart; t < n; t++) targets[t * batch + b] = resp[k];
  }
  const windows: Record<string, [number, number]> = dmts
    ? {
      input1: [0, nIn],
      delay: [nIn, nIn + nDelay],
      input2: [nIn + nDelay, 2 * nIn + nDelay],
      response: [respStart, n],
    }
    : { input: [0, nIn], delay: [nIn, nIn + nDelay], response: [respStart, n] };
  return {
    name: spec.name,
    steps: n,
    batch,
    types,
    inputDim: 1,
    inputs,
    targets,
    trialType,
    noiseSigma: full.noiseSigma,
    rateSigma: full.rateSigma,
    x0: null,
    lossScale: 1 / (batch * n),
    accuracy: dmts ? "binary" : "ternary",
    windows,
    spec: full,
  };
}

/**
 * The buffers {@linkcode drawEpochNoise} fills for a network of N units: initial rates r0
 * (batch × N) and the noise ξ (steps × batch × N; null when the task has no noise).
 */
export function epochBuffers(task: Task, N: number): { r0: Float64Array; xi: Float64Array | null } {
  return {
    r0: new Float64Array(task.batch * N),
    xi: task.noiseSigma > 0 ? new Float64Array(task.steps * task.batch * N) : null,
  };
}

/**
 * Draws the random parts of one epoch (§2.4–2.6): initial rates r0 = tanh(N(0, σ_fr²)) (batch × N,
 * row b at `b * N`) and the noise ξ ~ N(0, σ²) (steps × batch × N, at `(t * batch + b) * N + i`).
 * Writes into the given buffers and draws nothing from `rng` for a deterministic part (constant x0,
 * σ_fr = 0, σ = 0 or `noise` null). Draw order: r0 (b, i), then ξ (t, b, i).
 */
export function drawEpochNoise(
  task: Task,
  N: number,
  rng: Rng,
  r0: Float64Array,
  noise: Float64Array | null,
): void {
  if (task.x0 !== null) {
    r0.fill(task.x0);
  } else if (task.rateSigma > 0) {
    for (let k = 0; k < task.batch * N; k++) r0[k] = Math.tanh(rng.normal() * task.rateSigma);
  } else {
    r0.fill(0);
  }
  if (noise !== null && task.noiseSigma > 0) {
    rng.fillNormals(noise, task.noiseSigma); // = rng.normal() * σ for every k, faster
  }
}

/**
 * The loss of an output that is 0 at every step, lossScale · Σ y² (docs/ghost-mechanism.md §2.1,
 * §2.5): the loss of the confidently wrong "stuck" state of the sigmoid read-outs (1 for delayed
 * activation, the fraction of target-1 entries for DMTS, the response fraction for DCDT). The
 * learning-rate sweeps compare losses with it to call a run failed.
 */
export function zeroOutputLoss(spec: TaskSpec): number {
  const t = makeTask(spec);
  let s = 0;
  for (let i = 0; i < t.targets.length; i++) s += t.targets[i] * t.targets[i];
  return s * t.lossScale;
}

/**
 * Accuracy of outputs against targets (§2.1, §2.4): "binary" counts [(o > 0.5) == y];
 * "ternary" binarises o at ±0.33 to {−1, 0, 1} and counts equality with y. Mean over all
 * (step, trial) entries.
 */
export function accuracy(task: Task, outputs: ArrayLike<number>): number {
  const y = task.targets;
  const n = y.length;
  if (outputs.length !== n) {
    throw new RangeError(`outputs must have length steps*batch = ${n}, got ${outputs.length}`);
  }
  let hit = 0;
  if (task.accuracy === "binary") {
    for (let k = 0; k < n; k++) if ((outputs[k] > 0.5 ? 1 : 0) === y[k]) hit++;
  } else {
    for (let k = 0; k < n; k++) {
      const o = outputs[k];
      const q = o > 0.33 ? 1 : o < -0.33 ? -1 : 0;
      if (q === y[k]) hit++;
    }
  }
  return hit / n;
}
