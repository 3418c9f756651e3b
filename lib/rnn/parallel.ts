/**
 * Independent training runs spread over all cores (Deno Web Workers). Each worker runs
 * {@linkcode train} on plain options, so results are exactly those of the in-thread path.
 *
 * @module
 */

import { type PoolOptions, runInWorkers } from "../sweep/pool.ts";
import type { TrainOptions, TrainResult } from "./train.ts";

/** URL of the module whose exported `train` the workers call. */
export const TRAIN_MODULE: string = new URL("./train.ts", import.meta.url).href;

/**
 * Trains every run of `runs` (full options each) in a worker pool (default: one worker per core)
 * and returns the results in order; identical to `runs.map(train)`.
 */
export function trainParallel(
  runs: TrainOptions[],
  opts: PoolOptions = {},
): Promise<TrainResult[]> {
  return runInWorkers<TrainOptions, TrainResult>(TRAIN_MODULE, "train", runs, opts);
}
