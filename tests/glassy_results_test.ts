// Checks the committed paper-scale glassy results — the records and in-progress records of the
// sweeps `glassy-learning` and `glassy-aging` (data/results/glassy-*.jsonl and their
// .progress.jsonl sidecars) — against the sweeps' current paper config (lib/glassy/paper.ts): no
// record of another config, exact coverage, and values recomputed from scratch with the config's
// engine: a randomly chosen one of the first three records of every learning run, and a randomly
// chosen one of the first three Δ records of the first waiting time of the smallest aging width;
// a longer rerun of a width must repeat the first run's records exactly.
import assert from "node:assert/strict";
import { runAging, runLearningCurve } from "@lib/glassy/experiments.ts";
import { sweep as learning } from "@lib/glassy/learning_sweep.ts";
import { sweep as aging } from "@lib/glassy/aging_sweep.ts";
import {
  glassyAgingConfig,
  glassyLearningConfig,
  ladderSettings,
  sweepData,
} from "@lib/glassy/paper.ts";
import { analyseLadder, referenceWc, widthPhase } from "@lib/glassy/ladder.ts";
import { loadSweep } from "@lib/sweep/mod.ts";
import { jsbPath } from "./helpers.ts";

const path = jsbPath();
if (path) Deno.env.set("GHOSTLAB_JSB_PATH", path);
const L = await loadSweep(learning, "paper");
const A = await loadSweep(aging, "paper");
const learningRuns = [...L.records.map((r) => r.summary), ...L.inProgress.map((p) => p.summary)];
const agingRuns = [...A.records.map((r) => r.summary), ...A.inProgress.map((p) => p.summary)];
const seed = Number(Deno.env.get("GHOSTLAB_TEST_SEED") ?? Date.now() % 1e6);
let state = seed;
const pick = (n: number) => { // small LCG: the choice is printed and reproducible
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return state % n;
};

Deno.test({
  name: "paper-scale glassy sweeps: current config only, exact coverage, well-formed curves",
  ignore: learningRuns.length + agingRuns.length === 0,
  fn: () => {
    for (
      const [name, l, steps] of [
        ["glassy-learning", L, glassyLearningConfig("paper").steps],
        ["glassy-aging", A, NaN],
      ] as const
    ) {
      assert.equal(l.stale, 0, `${name}: records of another config in ${l.file}`);
      for (const p of l.inProgress) {
        assert.ok(p.done < p.total && p.unit === "steps", `${name} ${p.key}: coverage`);
        assert.equal((p.summary as { done: number }).done, p.done, `${name} ${p.key}: done`);
      }
      for (const r of l.records) {
        const s = r.summary as { done: number; steps: number };
        assert.equal(s.done, s.steps, `${name} ${r.key}: a finished record is complete`);
        // a grid entry's own run length (a longer rerun), else the config's
        const own = (r.point as { steps?: number }).steps;
        if (Number.isFinite(steps)) assert.equal(s.steps, own ?? steps, `${name} ${r.key}: steps`);
      }
    }
    for (const r of learningRuns) {
      assert.equal(r.tau.length, r.train.length);
      assert.ok(r.tau.every((t, i) => i === 0 || t > r.tau[i - 1]), "τ increases");
      assert.ok(r.train.every((v) => v > 0 && v < 1.5));
    }
    for (const r of agingRuns) {
      for (const c of r.curves) {
        assert.equal(c.delta.length, c.elapsed.length);
        assert.equal(c.steps[0], 1, "the first record is after one aging step");
        assert.ok(c.delta.every((v) => Number.isFinite(v)));
        assert.ok(c.sigma2.every((v) => v > 0));
      }
    }
  },
});

// runs of the same (d, w, seed) with different run lengths: a longer rerun and the first run
const reruns = learningRuns.flatMap((long) =>
  learningRuns.filter((short) =>
    short !== long && short.steps < long.steps && short.config.depth === long.config.depth &&
    short.config.width === long.config.width && short.config.seed === long.config.seed
  ).map((short) => [short, long] as const)
);

Deno.test({
  name: "paper-scale glassy-learning: a longer rerun repeats its width's first run exactly",
  ignore: reruns.length === 0,
  fn: () => {
    for (const [short, long] of reruns) {
      const at = `d=${long.config.depth} w=${long.config.width}: ${long.done}/${long.steps} ` +
        `steps vs ${short.done}/${short.steps}`;
      const n = Math.min(short.step.length, long.step.length);
      assert.ok(n > 1, `${at}: records in common`);
      assert.deepEqual(long.step.slice(0, n), short.step.slice(0, n), at);
      assert.deepEqual(long.tau.slice(0, n), short.tau.slice(0, n), `τ, ${at}`);
      // the training trajectory is the same bit for bit; the test loss too when it is evaluated
      // the same way (relaxed test states vs exact at records, Eq. (4.7.1))
      assert.deepEqual(long.train.slice(0, n), short.train.slice(0, n), `train, ${at}`);
      if (long.config.testStates === short.config.testStates) {
        assert.deepEqual(long.test.slice(0, n), short.test.slice(0, n), `test, ${at}`);
      }
    }
  },
});

Deno.test({
  name:
    "paper-scale glassy-aging widths: under-, near-critical and over-parametrised ones by the ladder",
  ignore: L.records.filter((r) => r.summary.config.depth === 2).length < 3,
  fn: () => {
    // the critical width of the committed d = 2 ladder (Eqs. (5.2.3), (5.2.5)) as notebooks 08
    // and 09 analyse it, and the phase of each aging width by Eq. (5.2.4)
    const { eps, tauMin } = ladderSettings("paper");
    const ref = referenceWc(analyseLadder(L.records.map((r) => r.summary), 2, eps, tauMin));
    assert.ok(ref !== null, "the ladder gives a critical width");
    const widths = glassyAgingConfig("paper").widths;
    const phases = widths.map((w) => widthPhase(w, ref.wc));
    assert.deepEqual(
      [...new Set(phases)].sort(),
      ["near-critical", "over-parametrised", "under-parametrised"],
      `aging widths ${widths.join(", ")} (${phases.join(", ")}) against ${ref.source}`,
    );
  },
});

Deno.test({
  name: "paper-scale glassy-learning: a random early record of every run is recomputed exactly",
  ignore: path === null || learningRuns.length === 0,
  fn: async () => {
    const c = glassyLearningConfig("paper");
    const data = await sweepData(c.data);
    console.log(`GHOSTLAB_TEST_SEED=${seed}`);
    for (const run of learningRuns) {
      // one of the first 3 records (steps 0, 500, 1000): a full recompute costs minutes per record
      const k = pick(Math.min(3, run.step.length));
      const again = await runLearningCurve(data, run.config, run.step[k] + 1, { engine: c.engine });
      const at = `d=${run.config.depth} w=${run.config.width} record ${k} (step ${run.step[k]})`;
      assert.equal(again.step[k], run.step[k], at);
      assert.equal(again.tau[k], run.tau[k], at);
      assert.equal(again.train[k], run.train[k], `train, ${at}`);
      assert.equal(again.test[k], run.test[k], `test, ${at}`);
    }
  },
});

Deno.test({
  name: "paper-scale glassy-aging: a random early Δ of the smallest width is recomputed exactly",
  ignore: path === null || agingRuns.every((r) => r.curves.length === 0),
  fn: async () => {
    const c = glassyAgingConfig("paper");
    const data = await sweepData(c.data);
    const run = agingRuns.filter((r) => r.curves.length > 0)
      .sort((a, b) => a.config.train.width - b.config.train.width)[0];
    const curve = run.curves[0];
    const k = pick(Math.min(3, curve.steps.length));
    console.log(`GHOSTLAB_TEST_SEED=${seed}: w=${run.config.train.width} Δ record ${k}`);
    const again = await runAging(data, {
      train: run.config.train,
      waitSteps: run.config.waitSteps,
      agingFactor: run.config.agingFactor,
      noiseInterval: run.config.noiseInterval,
      recordInterval: run.config.recordInterval,
    }, { engine: c.engine, untilStep: curve.waitSteps + curve.steps[k] });
    const a = again.curves[0];
    assert.equal(a.steps[k], curve.steps[k]);
    assert.equal(a.elapsed[k], curve.elapsed[k]);
    assert.equal(a.sigma2[k], curve.sigma2[k]);
    assert.equal(a.delta[k], curve.delta[k]);
  },
});
