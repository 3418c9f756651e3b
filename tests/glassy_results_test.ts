// Checks the committed paper-scale glassy results (data/results/glassy-*.json) against the paper
// configuration the tool runs (lib/glassy/paper.ts): config and hash, the partial flag, and one
// randomly chosen early record of every learning run recomputed from scratch with today's engine.
import assert from "node:assert/strict";
import {
  type AgingResult,
  configHash,
  type LearningCurve,
  loadJsbChorales,
  prepareChoraleData,
  readResultFile,
  resultsPath,
  runLearningCurve,
} from "@lib/glassy/mod.ts";
import { PAPER_AGING, PAPER_LEARNING } from "@lib/glassy/paper.ts";
import { jsbPath } from "./helpers.ts";

interface LearningConfig {
  data: { firstChorale: number; nChorales: number; low: number; high: number };
  steps: number;
  grid: { depth: number; widths: number[] }[];
}

const file = await readResultFile<LearningConfig, { runs: LearningCurve[] }>(
  resultsPath("glassy-learning.json"),
);

Deno.test({
  name: "paper-scale learning results: config hash, partial flag, consistent records",
  ignore: file === null,
  fn: async () => {
    const f = file!;
    assert.equal(f.configHash, await configHash(f.config));
    assert.equal(
      f.configHash,
      await configHash(PAPER_LEARNING),
      "file made with the tool's config",
    );
    const complete = f.results.runs.length ===
        f.config.grid.reduce((a, g) => a + g.widths.length, 0) &&
      f.results.runs.every((r) => r.done >= f.config.steps);
    assert.equal(f.partial, !complete, "partial flag matches the runs");
    for (const r of f.results.runs) {
      assert.equal(r.tau.length, r.train.length);
      assert.ok(r.tau.every((t, i) => i === 0 || t > r.tau[i - 1]), "τ increases");
      assert.ok(r.train.every((v) => v > 0 && v < 1.5));
    }
  },
});

const path = jsbPath();
Deno.test({
  name: "paper-scale learning results: a random early record of every run is recomputed",
  ignore: file === null || path === null || file.results.runs.length === 0,
  fn: async () => {
    const f = file!;
    const data = prepareChoraleData(await loadJsbChorales({ path: path! }), f.config.data);
    for (const run of f.results.runs) {
      // one of the first 3 records (steps 0, 500, 1000): a full recompute costs minutes per record
      const k = Math.floor(Math.random() * Math.min(3, run.step.length));
      const again = await runLearningCurve(data, run.config, run.step[k] + 1);
      const at = `d=${run.config.depth} w=${run.config.width} record ${k} (step ${run.step[k]})`;
      assert.equal(again.step[k], run.step[k], at);
      assert.ok(Math.abs(again.tau[k] - run.tau[k]) < 1e-9 + 1e-6 * run.tau[k], at);
      // the file was written by the TF.js float32 engine; today's SIMD float32 engine sums in
      // another order, so losses agree to float32 accumulation error, not bit for bit
      assert.ok(Math.abs(again.train[k] - run.train[k]) < 1e-5, `train, ${at}`);
      assert.ok(Math.abs(again.test[k] - run.test[k]) < 1e-5, `test, ${at}`);
    }
  },
});

const aging = await readResultFile<{ waitSteps: number[]; agingFactor: number }, {
  runs: AgingResult[];
}>(resultsPath("glassy-aging.json"));

Deno.test({
  name: "paper-scale aging results: config hash and consistent curves",
  ignore: aging === null,
  fn: async () => {
    const f = aging!;
    assert.equal(f.configHash, await configHash(f.config));
    assert.equal(f.configHash, await configHash(PAPER_AGING), "file made with the tool's config");
    for (const r of f.results.runs) {
      assert.ok(r.done <= r.steps);
      if (r.done < r.steps) {
        assert.equal(f.partial, true, "an unfinished run makes the file partial");
      }
      for (const c of r.curves) {
        assert.equal(c.delta.length, c.elapsed.length);
        assert.equal(c.steps[0], 1, "the first record is after one aging step");
        assert.ok(c.delta.every((v) => Number.isFinite(v)));
        assert.ok(c.sigma2.every((v) => v > 0));
      }
    }
  },
});
