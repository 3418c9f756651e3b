/**
 * Parallel, resumable, shardable parameter sweeps and the project's result files:
 *
 * - `definition.ts` — the sweep contract ({@linkcode SweepDefinition}) and its runner
 *   {@linkcode runSweepDefinition} (JSON-lines records keyed by point and config hash, resume
 *   after `kill -9`, shards and {@linkcode mergeSweep}, canonical byte-identical files);
 * - `checkpoint.ts` — long runs: the {@linkcode RunContext} a run gets to save its state and
 *   resume after `kill -9`, and the progress sidecar of unfinished runs;
 * - `pool.ts` — {@linkcode runInWorkers}, the Web Worker pool;
 * - `results.ts` — canonical JSON, config hashes and whole-file results under `data/results/`.
 *
 * @module
 */

export * from "./checkpoint.ts";
export * from "./definition.ts";
export * from "./pool.ts";
export * from "./results.ts";
