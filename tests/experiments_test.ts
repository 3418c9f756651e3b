// Figure protocols of lib/experiments (docs/ghost-mechanism.md §3 Figures 6–8): the registry, the
// paper grids, and each run function against independent training runs of lib/rnn.
import assert from "node:assert/strict";
import { SWEEPS } from "../lib/experiments/mod.ts";
import { everyNth, logEpochs, meanSem, wilson } from "../lib/experiments/common.ts";
import { criticalLr, sweep as fig6a } from "../lib/experiments/fig6a_lr.ts";
import { sweep as fig6b } from "../lib/experiments/fig6b_rank.ts";
import { sweep as fig7 } from "../lib/experiments/fig7_lr.ts";
import { FIG8B_CONFIDENCES, sweep as fig8b } from "../lib/experiments/fig8b_confidence.ts";
import { sweep as fig8c } from "../lib/experiments/fig8c_readout.ts";
import { isStuck, train } from "../lib/rnn/train.ts";
import { type AnySweep, resolveSweep } from "../lib/sweep/mod.ts";

Deno.test("SWEEPS: every registered module exports its sweep under its name; paper grids", async () => {
  const sizes: Record<string, number> = {
    "fig4-fig5": 4,
    "fig6a-rank-one": 30 * 10,
    "fig6a-full-rank": 30 * 10,
    "fig6b-rank": 9 * 10 * 10,
    "fig7-lr": 2 * 20 * 20,
    "fig8b-confidence": 100,
    "fig8c-readout": 100,
    "glassy-learning": 39,
    "glassy-aging": 4,
  };
  assert.deepEqual(Object.keys(SWEEPS).sort(), Object.keys(sizes).sort());
  for (const [name, url] of Object.entries(SWEEPS)) {
    const def = (await import(url)).sweep as AnySweep;
    assert.equal(def.name, name);
    const paper = await resolveSweep(def, "paper");
    assert.equal(paper.points.length, sizes[name], name);
    const quick = await resolveSweep(def, "quick");
    if (name === "fig4-fig5") {
      // the same four runs, with fewer trials per type / epochs
      assert.notEqual(quick.configHash, paper.configHash);
      continue;
    }
    assert.ok(quick.points.length < paper.points.length, `${name}: quick is smaller`);
  }
});

Deno.test("paper constants: Fig 8B confidences, Fig 6A/7 grids, Fig 6B epochs", () => {
  assert.deepEqual(
    FIG8B_CONFIDENCES.map((c) => +c.toPrecision(4)),
    [0.001887, 0.004894, 0.01269, 0.0329, 0.08532, 0.2212, 0.5736, 1.487, 3.857, 10],
  );
  const lrs6a = [...new Set(fig6a.points("paper").map((p) => p.lr))];
  assert.equal(lrs6a.length, 30);
  assert.ok(Math.abs(lrs6a[0] - 1e-4) < 1e-18 && Math.abs(lrs6a[29] - 0.1) < 1e-15);
  const lrs7 = [...new Set(fig7.points("paper").map((p) => p.lr))];
  assert.ok(Math.abs(lrs7[15] - 1.438449888287663) < 1e-12, "Fig 7 DMTS case lr");
  assert.deepEqual(fig6a.config("paper").epochsAt, [
    10_000,
    20_000,
    30_000,
    50_000,
    100_000,
    200_000,
  ]);
  assert.equal(fig6b.config("paper").epochs, 500_000);
  assert.equal(fig7.config("paper").epochs, 20_000);
});

Deno.test("Fig 6A run: the loss at epoch E is history row E − 1 of a plain training run", async () => {
  const config = { ...fig6a.config("quick"), epochsAt: [10, 50] };
  const s = await fig6a.run({ lr: 0.05, seed: 2 }, config);
  const r = train({
    model: { kind: "rankOne" },
    task: { name: "delayed-activation", T: 20 },
    seed: 2,
    lr: 0.05,
    epochs: 50,
  });
  assert.deepEqual(s.lossAt, [r.history.loss[9], r.history.loss[49]]);
  assert.equal(s.status, "ok");
});

Deno.test("Fig 6B run: final loss = loss after the last step; learned ⇔ ratio < 1e-2", async () => {
  // with the float64 kernel the run has `train`'s numbers exactly (the paper config's float32
  // kernel is pinned in tests/rnn_fused_f32_test.ts)
  const config = {
    ...fig6b.config("quick"),
    epochs: 40,
    curveEpochs: logEpochs(39, 6),
    kernel: "f64x2",
  };
  const s = await fig6b.run({ K: 3, lr: 0.1, seed: 1 }, config);
  const r = train({
    model: { kind: "rankK", K: 3 },
    task: { name: "delayed-activation", T: 20 },
    seed: 1,
    lr: 0.1,
    epochs: 41,
  });
  assert.equal(s.initialLoss, r.history.loss[0]);
  assert.equal(s.finalLoss, r.history.loss[40]);
  assert.equal(s.learned, s.finalLoss! / s.initialLoss < 1e-2);
  assert.deepEqual(s.curve.epoch, logEpochs(39, 6));
  s.curve.epoch.forEach((e, i) =>
    assert.equal(s.curve.ratio[i], r.history.loss[e] / r.history.loss[0])
  );
});

Deno.test("Fig 6B runBatch (fused ensemble per K) = run, point by point; batchKey = K", async () => {
  const config = { ...fig6b.config("quick"), epochs: 300, curveEpochs: logEpochs(299, 8) };
  // six points: a full lane group and a part-filled one (f32x4), three pairs (f64x2); lr 1e200
  // makes the fused kernel's divergence path run too
  const points = [0.01, 0.1, 0.3, 1].map((lr, seed) => ({ K: 2, lr, seed }));
  points.push({ K: 2, lr: 0.05, seed: 7 }, { K: 2, lr: 1e200, seed: 8 });
  for (const kernel of ["f32x4", "f64x2"]) {
    const c = { ...config, kernel };
    const batched = await fig6b.runBatch!(points, c);
    for (const [i, p] of points.entries()) assert.deepEqual(batched[i], await fig6b.run(p, c));
    assert.ok(batched.some((s) => s.status === "diverged"), `${kernel}: a run diverges`);
  }
  assert.equal(fig6b.config("paper").kernel, "f32x4");
  assert.equal(fig6b.batchKey!({ K: 30, lr: 0.1, seed: 0 }), "30");
});

Deno.test("Fig 7 run: time averages over every epoch of a plain run", async () => {
  const config: Record<string, unknown> = {
    ...fig7.config("quick"),
    epochs: 30,
    curveEpochs: [0, 29],
  };
  const s = await fig7.run({ task: "dmts", lr: 0.3, seed: 4 }, config);
  const r = train({
    model: { kind: "fullRank" },
    task: (config.tasks as Record<string, never>).dmts,
    seed: 4,
    lr: 0.3,
    epochs: 30,
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.equal(s.meanLoss, mean(r.history.loss));
  assert.equal(s.meanGradNorm, mean(r.history.recGradNorm));
  assert.equal(s.meanWeightNorm, mean(r.history.recWeightNorm));
  assert.deepEqual(s.curve.loss, [r.history.loss[0], r.history.loss[29]]);
});

Deno.test("Fig 8B run: stuck ⇔ isStuck; continuing with c = 10 = training 100 epochs longer", async () => {
  const config = fig8b.config("paper");
  let checked = 0;
  for (let seed = 0; seed < 100 && checked < 1; seed++) {
    const base = {
      model: { kind: "rankOne" as const },
      task: { name: "delayed-activation" as const, T: 20 },
      seed,
      lr: 0.02,
    };
    const long = train({ ...base, epochs: 6100 });
    const first = { ...long.history };
    const keep = first.epoch.findIndex((e) => e >= 6000);
    const h6000 = {
      ...first,
      epoch: first.epoch.slice(0, keep),
      accuracy: first.accuracy.slice(0, keep),
    };
    if (!isStuck(h6000, 5950, 6000)) continue;
    const s = await fig8b.run({ seed }, config);
    assert.equal(s.stuck, true);
    const unchanged = s.after![FIG8B_CONFIDENCES.length - 1];
    assert.deepEqual(unchanged.epoch, long.history.epoch.slice(6000));
    assert.deepEqual(unchanged.accuracy, long.history.accuracy.slice(6000));
    assert.deepEqual(unchanged.gradNorm, long.history.gradNorm.slice(6000));
    assert.deepEqual(s.before!.accuracy, long.history.accuracy.slice(5800, 6000));
    checked++;
  }
  assert.equal(checked, 1, "some seed below 100 is stuck at epoch 6000");
});

Deno.test("Fig 8C run: the c = ∞ continuation = one uninterrupted Adam run", async () => {
  const config: Record<string, unknown> = {
    ...fig8c.config("quick"),
    phaseEpochs: 20,
    sampleEvery: 5,
  };
  const s = await fig8c.run({ seed: 1 }, config);
  const r = train({
    model: { kind: "fullRank" },
    task: config.task as never,
    seed: 1,
    lr: 0.1,
    epochs: 40,
    optimizer: { name: "adam" },
    record: { every: 5 },
  });
  const inf = s.after![s.after!.length - 1];
  assert.deepEqual([...s.before.accuracy, ...inf.accuracy], r.history.accuracy.slice(0, 8));
  assert.deepEqual([...s.before.epoch, ...inf.epoch], [0, 5, 10, 15, 20, 25, 30, 35]);
  assert.notDeepEqual(s.after![0].accuracy, inf.accuracy, "a bound of 0.1 changes the run");
});

Deno.test("helpers: Wilson interval, mean ± SEM, log epochs, every-nth, critical lr", () => {
  const w = wilson(0, 10);
  assert.equal(w.lo, 0);
  assert.ok(Math.abs(w.hi - 0.2775) < 1e-4, `${w.hi}`);
  const h = wilson(5, 10);
  assert.ok(Math.abs(h.lo + h.hi - 1) < 1e-12, "symmetric at p = 1/2");
  assert.throws(() => wilson(11, 10), /k must be an integer in \[0, n = 10\], got 11/);
  const m = meanSem([1, 2, 3, 4]);
  assert.equal(m.mean, 2.5);
  assert.ok(Math.abs(m.sem - Math.sqrt(1.25 / 4)) < 1e-15);
  const le = logEpochs(99_999, 20);
  assert.equal(le[0], 0);
  assert.equal(le.at(-1), 99_999);
  assert.ok(le.every((e, i) => i === 0 || e > le[i - 1]));
  assert.deepEqual(everyNth([0, 1, 2, 3, 4, 5, 6, 7], 2, 3), [2, 5]);
  const lr = [1, 2, 4, 8, 16];
  assert.equal(criticalLr(lr, [0.9, 0.1, 0.01, 0.2, 1]), Math.sqrt(8 * 16));
  assert.equal(criticalLr(lr, [0.9, 0.1, 0.01, 0.2, 0.3]), null);
});
