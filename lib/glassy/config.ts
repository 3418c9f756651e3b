/**
 * Hyper-parameters of one glassy training run and the learning-rate schedule
 * (`docs/glassy-dynamics.md` §3–4.1).
 *
 * @module
 */

import { requireInteger, requirePositive } from "../validate.ts";
import { checkShape } from "./model.ts";

/** Hyper-parameters of a training run (defaults: the reference script's, §3–4). */
export interface TrainConfig {
  /** Number of hidden layers d. */
  depth: number;
  /** Units per hidden layer w. */
  width: number;
  /** Learning rate after the warm-up (default 0.0004). */
  eta0?: number;
  /** Length of the sine warm-up in steps (default 5000; 0 = none). */
  warmupSteps?: number;
  /** Minibatch size (default 300). */
  batchSize?: number;
  /** Re-orthogonalise M every this many steps (default 200). */
  orthInterval?: number;
  /** Record losses every this many steps (default 500). */
  recordInterval?: number;
  /** Seed of the initialisation and of the minibatch stream (default 42). */
  seed?: number;
  /**
   * How the recorded test loss is obtained (docs/glassy-dynamics.md §4.7, Eq. (4.7.1)):
   * "relaxed" (default, the authors' procedure) relaxes the test states once every step;
   * "exact" skips that pass and evaluates the test loss on an exact forward pass at record time.
   * Training (weights, training states, Δ) is identical in both modes: the test states never
   * feed back.
   */
  testStates?: TestStates;
}

/** The two ways of obtaining the test loss (see {@linkcode TrainConfig.testStates}). */
export type TestStates = "relaxed" | "exact";

/**
 * A {@linkcode TrainConfig} with every default filled in. `testStates` is present only when
 * "exact", so that the configs (and config hashes) of runs with the default are unchanged.
 */
export type FullTrainConfig = Required<Omit<TrainConfig, "testStates">> & { testStates?: "exact" };

/** Fills defaults and validates. @throws {RangeError} naming the bad field and its range. */
export function fullConfig(c: TrainConfig): FullTrainConfig {
  checkShape(c);
  const f: FullTrainConfig = {
    depth: c.depth,
    width: c.width,
    eta0: c.eta0 ?? 0.0004,
    warmupSteps: c.warmupSteps ?? 5000,
    batchSize: c.batchSize ?? 300,
    orthInterval: c.orthInterval ?? 200,
    recordInterval: c.recordInterval ?? 500,
    seed: c.seed ?? 42,
  };
  if (c.testStates !== undefined && c.testStates !== "relaxed" && c.testStates !== "exact") {
    throw new RangeError(`testStates must be "relaxed" or "exact", got ${String(c.testStates)}`);
  }
  if (c.testStates === "exact") f.testStates = "exact";
  requirePositive("eta0", f.eta0);
  requireInteger("warmupSteps", f.warmupSteps, 0);
  requireInteger("batchSize", f.batchSize, 1);
  requireInteger("orthInterval", f.orthInterval, 1);
  requireInteger("recordInterval", f.recordInterval, 1);
  requireInteger("seed", f.seed, 0);
  if (f.seed >= 2 ** 32) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${f.seed}`);
  }
  return f;
}

/** Learning rate of step s (§4.1): η0·sin(πs/(2·warmup)) during the warm-up, then η0. */
export function learningRate(c: FullTrainConfig, s: number): number {
  return s < c.warmupSteps ? c.eta0 * Math.sin((Math.PI * s) / (2 * c.warmupSteps)) : c.eta0;
}

/**
 * The number of SGD steps after which the learning time τ = Σ η(s) (docs/glassy-dynamics.md
 * Eq. (4.2.1), with the warm-up of §4.1) first reaches `tau`.
 *
 * @throws {RangeError} if `tau` is not finite and ≥ 0.
 */
export function stepsToTau(c: FullTrainConfig, tau: number): number {
  if (!(Number.isFinite(tau) && tau >= 0)) {
    throw new RangeError(`tau must be finite and >= 0, got ${tau}`);
  }
  let t = 0;
  let s = 0;
  while (t < tau) t += learningRate(c, s++);
  return s;
}

/** Whether step s ends with the re-orthogonalisation of every M_l (§4.6: every 200 steps, s > 10). */
export function orthogonalizesAt(c: FullTrainConfig, s: number): boolean {
  return s % c.orthInterval === 0 && s > 10;
}

/** Losses recorded at one step. */
export interface TrainRecord {
  /** Step index s (0-based; recorded after the update of step s). */
  step: number;
  /** Learning time τ = Σ η over steps 0…s. */
  tau: number;
  /** Training loss, bits per unit (§5.1). */
  train: number;
  /** Test loss, bits per unit. */
  test: number;
}
