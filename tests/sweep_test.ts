// Worker pool and resumable sweeps (lib/sweep), and worker-parallel training = in-thread training.
import assert from "node:assert/strict";
import { runInWorkers } from "../lib/sweep/mod.ts";
import {
  train,
  TRAIN_MODULE,
  trainEnsemble,
  type TrainOptions,
  trainParallel,
  type TrainResult,
} from "../lib/rnn/mod.ts";

Deno.test("trainParallel (2 workers) gives exactly the in-thread results", async () => {
  const runs: TrainOptions[] = [1, 2, 3].map((seed) => ({
    model: { kind: "fullRank", N: 12 },
    task: { name: "dcdt", noiseSigma: 0.01, rateSigma: 0.1 },
    seed,
    lr: 0.05 * seed,
    epochs: 20,
    record: { checkpoints: [19] },
  }));
  const par = await trainParallel(runs, { concurrency: 2 });
  assert.deepEqual(par, runs.map(train));
  // an ensemble chunk run in a worker (as a sweep job) = the in-thread ensemble
  const base = {
    model: { kind: "rankK" as const, N: 20, K: 2 },
    task: { name: "delayed-activation" as const },
    epochs: 30,
  };
  const ens = [{ seed: 1, lr: 0.1 }, { seed: 2, lr: 0.5 }];
  const [viaWorker] = await runInWorkers<unknown, TrainResult[]>(TRAIN_MODULE, "trainEnsembleJob", [
    {
      base,
      runs: ens,
    },
  ]);
  assert.deepEqual(viaWorker, trainEnsemble(base, ens));
});

Deno.test("runInWorkers: order kept, errors reported with the job", async () => {
  const numeric = new URL("../lib/numeric.ts", import.meta.url).href;
  const mod = new URL("../lib/rnn/flow.ts", import.meta.url).href;
  const out = await runInWorkers<number, number[]>(numeric, "linspace", [2, 3, 4], { concurrency: 2 })
    .catch((e) => e);
  assert.ok(out instanceof Error); // linspace needs 3 arguments: called with one → n undefined
  assert.match(String(out), /n must be an integer >= 1/);
  const sc = await runInWorkers<number[], number>(mod, "countSignChanges", [[1, -1], [1, 2], [
    -1,
    1,
    -1,
  ]]);
  assert.deepEqual(sc, [1, 0, 2]);
  await assert.rejects(runInWorkers(mod, "f", [1], { concurrency: 0 }), /concurrency must be/);
});
