// Checks the committed paper-scale glassy results (data/results/glassy-*.json) against the paper
// configuration the tool runs (lib/glassy/paper.ts): config and hash, the partial flag, and one
// randomly chosen early record of every learning run recomputed from scratch with the engine that
// wrote the file (`results.engine`; files without it were written by the TF.js wasm engine).
import assert from "node:assert/strict";
import {
  type AgingResult,
  type LearningCurve,
  loadJsbChorales,
  prepareChoraleData,
  runLearningCurve,
} from "@lib/glassy/mod.ts";
import type { EngineName } from "@lib/glassy/engine.ts";
import { configHash, readResultFile, resultsPath } from "@lib/sweep/results.ts";
import { PAPER_AGING, PAPER_LEARNING } from "@lib/glassy/paper.ts";
import { jsbPath } from "./helpers.ts";

interface LearningConfig {
  data: { firstChorale: number; nChorales: number; low: number; high: number };
  steps: number;
  grid: { depth: number; widths: number[] }[];
}

const file = await readResultFile<LearningConfig, { runs: LearningCurve[]; engine?: EngineName }>(
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
    const engine = f.results.engine ?? "tfjs-wasm";
    for (const run of f.results.runs) {
      // one of the first 3 records (steps 0, 500, 1000): a full recompute costs minutes per record;
      // the TF.js engine is ~4x slower than simd, so files written by it are checked on the first 2
      const k = Math.floor(Math.random() * Math.min(engine === "simd" ? 3 : 2, run.step.length));
      const again = await runLearningCurve(data, run.config, run.step[k] + 1, { engine });
      const at = `d=${run.config.depth} w=${run.config.width} record ${k} (step ${run.step[k]}, ` +
        `engine ${engine})`;
      assert.equal(again.step[k], run.step[k], at);
      assert.ok(Math.abs(again.tau[k] - run.tau[k]) < 1e-9 + 1e-6 * run.tau[k], at);
      // the same engine gives the same numbers; the file stores them rounded to 7 digits.
      // (Another float32 engine drifts: measured 6e-6 at step 500 and 7e-5 at step 1000.)
      assert.ok(Math.abs(again.train[k] - run.train[k]) < 1e-7, `train, ${at}`);
      assert.ok(Math.abs(again.test[k] - run.test[k]) < 1e-7, `test, ${at}`);
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
