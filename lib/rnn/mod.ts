/**
 * The fast float64 RNN engine of the ghost paper (docs/ghost-mechanism.md §2, §5): rank-one, rank-K, full-rank
 * and low-rank leaky tanh RNNs with hand-written BPTT, PyTorch-semantics SGD/Adam, a training loop
 * with per-epoch records, ensembles, and worker-parallel runs.
 *
 * @example
 * ```ts
 * import { train } from "@lib/rnn/mod.ts";
 * const res = train({
 *   model: { kind: "rankOne" },
 *   task: { name: "delayed-activation", T: 20 },
 *   seed: 40, lr: 0.02, epochs: 6000,
 *   record: { every: 1, flowAt: [5156, 5163, 5166] },
 * });
 * res.status; // "ok" | "diverged"
 * ```
 *
 * @module
 */

export * from "./model.ts";
export * from "./engine.ts";
export * from "./optim.ts";
export * from "./flow.ts";
export * from "./train.ts";
export * from "./parallel.ts";
export { Arena, wasmGemmAvailable } from "./gemm_wasm.ts";
