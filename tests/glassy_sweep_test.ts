// The glassy paper's sweeps (lib/glassy/learning_sweep.ts, aging_sweep.ts) on the lib/sweep
// machinery: the CLI killed with `kill -9` inside a run resumes it from its saved state and writes
// exactly the file of an uninterrupted run; an aging run interrupted after a save and resumed from
// that state gives exactly the uninterrupted result (Δ trackers included); the registry and the
// paper grids. Needs the JSB file (../shared/data or GHOSTLAB_JSB_PATH), else skipped.
import assert from "node:assert/strict";
import { SWEEPS } from "../lib/experiments/mod.ts";
import { sweep as learning } from "../lib/glassy/learning_sweep.ts";
import { sweep as aging } from "../lib/glassy/aging_sweep.ts";
import { glassyAgingConfig, glassyLearningConfig } from "../lib/glassy/paper.ts";
import { furthestRuns } from "../lib/glassy/ladder.ts";
import { progressFile, readProgress, readRecords, type RunContext } from "../lib/sweep/mod.ts";
import type { RunProgress } from "../lib/sweep/checkpoint.ts";
import { jsbPath, sweepCli } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const jsb = jsbPath();

Deno.test("glassy sweeps: registered; paper grids of 39 (d, w) runs and 4 aging widths", () => {
  assert.equal(
    SWEEPS["glassy-learning"],
    new URL("../lib/glassy/learning_sweep.ts", import.meta.url).href,
  );
  assert.equal(
    SWEEPS["glassy-aging"],
    new URL("../lib/glassy/aging_sweep.ts", import.meta.url).href,
  );
  const pts = learning.points("paper");
  assert.equal(pts.length, 39);
  assert.deepEqual(pts[0], { depth: 2, width: 70, seed: 42 }, "the reference default runs first");
  assert.equal(glassyLearningConfig("paper").train.eta0, 0.0004);
  // the eleven d = 2 runs relax the test states as the authors do (their keys, hence their
  // finished records, are unchanged); every later entry evaluates the test loss exactly
  assert.ok(pts.slice(0, 11).every((p) => p.depth === 2 && !("testStates" in p)));
  assert.ok(pts.slice(11).every((p) => p.testStates === "exact"), JSON.stringify(pts.slice(11)));
  // the longer reruns (400 000 steps) come last, each of a width already in the grid
  const long = pts.filter((p) => p.steps !== undefined);
  assert.deepEqual(long, pts.slice(-3));
  for (const p of long) {
    assert.equal(p.steps, 400_000);
    assert.ok(pts.some((q) => q.steps === undefined && q.depth === p.depth && q.width === p.width));
  }
  assert.deepEqual(aging.points("paper").map((p) => p.width), [10, 30, 70, 20]);
  assert.equal(glassyAgingConfig("paper").engine, "simd", "the engine is part of the config hash");
});

Deno.test({
  name: 'glassy-learning: a point with testStates "exact" trains the same curve, test loss exact',
  ignore: jsb === null,
  fn: async () => {
    const config = { ...glassyLearningConfig("quick"), steps: 300 };
    const point = { depth: 2, width: 8, seed: 42 };
    const relaxed = await learning.run(point, config);
    const exact = await learning.run({ ...point, testStates: "exact" }, config);
    assert.equal(exact.config.testStates, "exact");
    assert.ok(!("testStates" in relaxed.config));
    assert.deepEqual(exact.train, relaxed.train, "the training trajectory is the same");
    assert.deepEqual(exact.step, relaxed.step);
    const lag = exact.test.map((v, k) => Math.abs(v - relaxed.test[k]));
    assert.ok(lag.slice(1).some((x) => x > 0), "the two test losses are computed differently");
    assert.ok(Math.max(...lag) < 1e-2, `max |exact − relaxed| = ${Math.max(...lag)}`);
  },
});

Deno.test({
  name: "glassy-learning: a point with its own steps runs that long, continuing the shorter run",
  ignore: jsb === null,
  fn: async () => {
    const config = { ...glassyLearningConfig("quick"), steps: 200 };
    const point = { depth: 1, width: 8, seed: 42, testStates: "exact" as const };
    const short = await learning.run(point, config);
    const long = await learning.run({ ...point, steps: 500 }, config);
    assert.equal(short.steps, 200);
    assert.equal(long.steps, 500);
    assert.equal(long.done, 500);
    assert.ok(!("steps" in long.config), "the run length is not a training setting");
    const n = short.step.length;
    assert.ok(long.step.length > n);
    assert.deepEqual(long.step.slice(0, n), short.step);
    assert.deepEqual(long.train.slice(0, n), short.train, "the same trajectory, continued");
    assert.deepEqual(long.test.slice(0, n), short.test);
    // and the analysis keeps the longer run of the width
    assert.deepEqual(furthestRuns([short, long]), [long]);
  },
});

Deno.test({
  name:
    "glassy-learning CLI: kill -9 inside a run, rerun continues it; file = an uninterrupted run's",
  ignore: jsb === null,
  fn: async () => {
    await Deno.mkdir(`${ROOT}build`, { recursive: true });
    const dir = await Deno.makeTempDir({ dir: `${ROOT}build`, prefix: "glassy_sweep_test_" });
    const killed = `${dir}/killed.jsonl`, clean = `${dir}/clean.jsonl`;
    const args = [
      "glassy-learning",
      "--workers",
      "1",
      "--checkpoint-seconds",
      "0.05",
      "--set",
      "steps=2000",
    ];
    const child = sweepCli([...args, "--file", killed], jsb!);
    let at = 0;
    for (let i = 0; i < 6000 && at < 400; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const p = await readProgress(progressFile(killed)).catch(() => []);
      at = Math.max(0, ...p.map((x) => x.done));
    }
    child.kill("SIGKILL");
    const st = await child.status;
    assert.equal(st.signal, "SIGKILL", "the sweep must still be running when killed");
    assert.ok(at >= 400 && at < 2000, `killed at step ${at} of 2000`);
    const open = await readProgress(progressFile(killed));
    assert.equal(open.length, 1, JSON.stringify(open.map((o) => [o.key, o.done])));
    const finishedBefore = (await readRecords(killed)).length;
    const resumed = await sweepCli([...args, "--file", killed], jsb!).output();
    assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
    const whole = await sweepCli([...args, "--file", clean], jsb!).output();
    assert.equal(whole.code, 0, new TextDecoder().decode(whole.stderr));
    assert.equal(await Deno.readTextFile(killed), await Deno.readTextFile(clean));
    assert.equal((await readRecords(killed)).length, 3);
    assert.ok(finishedBefore < 3);
    // a finished sweep leaves no progress sidecar
    await assert.rejects(Deno.stat(progressFile(killed)), Deno.errors.NotFound);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "glassy-aging run: interrupted after a save and resumed = uninterrupted (Δ included)",
  ignore: jsb === null,
  fn: async () => {
    Deno.env.set("GHOSTLAB_JSB_PATH", jsb!);
    const config = aging.config("quick");
    const point = aging.points("quick")[0];
    const whole = await aging.run(point, config);
    // a context that saves once past step 500 (inside the first aging window), then "dies"
    let saved: unknown = null;
    let progress: RunProgress | null = null;
    let n = 0;
    const dying: RunContext = {
      load: () => Promise.resolve(null),
      progress: () => Promise.resolve(null),
      due: () => ++n === 500,
      save(state, p) {
        saved = structuredClone(state);
        progress = p ?? null;
        return Promise.reject(new Error("killed"));
      },
    };
    await assert.rejects(Promise.resolve(aging.run(point, config, dying)), /killed/);
    assert.ok(saved !== null && progress !== null);
    const p = progress as RunProgress;
    assert.equal(p.done, 500);
    assert.equal(p.unit, "steps");
    const resuming: RunContext = {
      load: () => Promise.resolve(saved),
      progress: () => Promise.resolve(p),
      due: () => false,
      save: () => Promise.resolve(),
    };
    const again = await aging.run(point, config, resuming);
    assert.deepEqual(again, whole);
    assert.ok(
      whole.curves.length === glassyAgingConfig("quick").waitSteps.length &&
        whole.curves[0].delta.length > 5,
    );
  },
});
