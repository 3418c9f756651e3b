// Worker pool and resumable sweeps (lib/sweep), and worker-parallel training = in-thread training.
import assert from "node:assert/strict";
import { readSweep, runInWorkers, runSweep } from "../lib/sweep/mod.ts";
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

Deno.test("runSweep resumes: finished keys are skipped, a partial line is ignored", async () => {
  // inside the project (build/ is git-ignored) so the test needs only --allow-write=./build
  const build = new URL("../build/", import.meta.url).pathname;
  await Deno.mkdir(build, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: build, prefix: "sweep_test_" });
  const file = `${dir}/sweep.jsonl`;
  const mod = new URL("../lib/rnn/flow.ts", import.meta.url).href;
  const jobs = [[1, -1], [1, 2], [-1, 1, -1], [3, -3, 3, -3]].map((arg, i) => ({
    key: `j${i}`,
    arg,
  }));
  // pretend an earlier run finished j0 (with a fake result we can recognise) and died mid-write
  await Deno.writeTextFile(file, '{"key":"j0","result":42}\n{"key":"j1","res');
  const res = await runSweep<number[], number>(mod, "countSignChanges", jobs, {
    file,
    concurrency: 2,
  });
  assert.deepEqual([...res.entries()], [["j0", 42], ["j1", 0], ["j2", 2], ["j3", 3]]);
  const back = await readSweep<number>(file);
  assert.deepEqual([...back.keys()].sort(), ["j0", "j1", "j2", "j3"]);
  await assert.rejects(
    runSweep(mod, "countSignChanges", [{ key: "a", arg: [] }, { key: "a", arg: [] }], { file }),
    /duplicate sweep key "a"/,
  );
  await Deno.remove(dir, { recursive: true });
});
