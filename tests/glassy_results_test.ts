// Checks the committed paper-scale glassy results (data/results/glassy-*.json): the config hash, the
// partial flag, and recomputes the first records of the first learning run from scratch.
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
  name: "paper-scale learning results: the first records of the first run are recomputed",
  ignore: file === null || path === null || file.results.runs.length === 0,
  fn: async () => {
    const f = file!;
    const run = f.results.runs[0];
    const data = prepareChoraleData(await loadJsbChorales({ path: path! }), f.config.data);
    const n = Math.min(run.step.length, 2); // records at steps 0 and 500
    const steps = run.step[n - 1] + 1;
    const again = await runLearningCurve(data, run.config, steps);
    for (let k = 0; k < n; k++) {
      assert.equal(again.step[k], run.step[k]);
      assert.ok(Math.abs(again.tau[k] - run.tau[k]) < 1e-9 + 1e-6 * run.tau[k]);
      assert.ok(Math.abs(again.train[k] - run.train[k]) < 1e-5, `train[${k}]`);
      assert.ok(Math.abs(again.test[k] - run.test[k]) < 1e-5, `test[${k}]`);
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
