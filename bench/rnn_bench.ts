/**
 * `deno bench` timings of one training epoch (forward + BPTT + SGD/Adam step) of each RNN model
 * of the ghost paper (docs/ghost-mechanism.md §2). For the side-by-side PyTorch comparison see
 * bench/rnn_compare.ts.
 *
 * Run: `deno bench --allow-read=. bench/rnn_bench.ts`
 *
 * @module
 */

import { Trainer, type TrainOptions } from "../lib/rnn/mod.ts";

function epochBench(name: string, opts: Omit<TrainOptions, "epochs">): void {
  const t = new Trainer({ ...opts, epochs: 1e9, record: { every: 1e9, weightNorm: false } });
  for (let i = 0; i < 200; i++) t.step();
  Deno.bench(name, () => {
    t.step();
  });
}

epochBench("rank-one N=100, delayed activation T=20, SGD", {
  model: { kind: "rankOne" },
  task: { name: "delayed-activation", T: 20 },
  seed: 0,
  lr: 0.003,
});
epochBench("rank-K K=5 N=100, delayed activation T=20, SGD", {
  model: { kind: "rankK", K: 5 },
  task: { name: "delayed-activation", T: 20 },
  seed: 0,
  lr: 0.01,
});
epochBench("full-rank N=100, delayed activation T=20, SGD", {
  model: { kind: "fullRank" },
  task: { name: "delayed-activation", T: 20 },
  seed: 0,
  lr: 0.01,
});
epochBench("full-rank N=100, DCDT 6+16+10, batch 2, SGD", {
  model: { kind: "fullRank" },
  task: { name: "dcdt", inputMs: 30, delayMs: 80, responseMs: 50 },
  seed: 0,
  lr: 0.01,
});
epochBench("full-rank N=100, DCDT 2+10+10, batch 20, noise, Adam (Fig 8C)", {
  model: { kind: "fullRank" },
  task: { name: "dcdt", trialsPerType: 10, noiseSigma: 1e-3, rateSigma: 0.1 },
  seed: 0,
  lr: 0.1,
  optimizer: { name: "adam" },
});
epochBench("low-rank K=2 N=100, DMTS 6+16+6+10, batch 4, noise, Adam", {
  model: { kind: "lowRank" },
  task: {
    name: "dmts",
    inputMs: 30,
    delayMs: 80,
    responseMs: 50,
    noiseSigma: 1e-2,
    rateSigma: 0.3,
  },
  seed: 0,
  lr: 1e-4,
  optimizer: { name: "adam" },
});
