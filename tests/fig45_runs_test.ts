// The Fig 4 / Fig 5 training runs as the sweep `fig4-fig5` (lib/experiments/fig4.ts,
// docs/ghost-mechanism.md §3 Figures 4 and 5) and long runs in sweeps (lib/sweep/checkpoint.ts):
// a run records exactly the rows and parameters of a plain training run; resumed from any saved
// state it gives the uninterrupted summary (in-process and with `kill -9` of the CLI); replayed
// snapshot epochs give the recorded losses; and the committed paper-scale file (records and
// in-progress sidecar) belongs to the paper config in code and reproduces a chunk resumed from
// each run's last stored snapshot exactly.
import assert from "node:assert/strict";
import {
  fig45Options,
  fig45Plan,
  type Fig45Point,
  fig45Result,
  type Fig45RunConfig,
  fig45RunConfig,
  type Fig45Summary,
  runFig45,
  sweep,
} from "../lib/experiments/fig4.ts";
import { train, Trainer } from "../lib/rnn/mod.ts";
import {
  defaultSweepFile,
  loadSweep,
  parkedStatesDir,
  progressFile,
  readProgress,
  readRecords,
  resolveSweep,
  type RunContext,
  runContext,
} from "../lib/sweep/mod.ts";
import { sweepCli } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Small configs of the four runs (seconds in all). */
const TINY: Record<string, Fig45RunConfig> = {
  "fig5-dcdt": fig45RunConfig("fig5-dcdt", {
    epochs: 200,
    trialsPerType: 1,
    checkpoints: [10, 199],
    every: 10,
    logPoints: 20,
    window: 5,
  }),
  "fig5-dmts": fig45RunConfig("fig5-dmts", {
    epochs: 150,
    trialsPerType: 1,
    checkpoints: [10, 149],
    every: 10,
    logPoints: 20,
    window: 5,
  }),
  "fig4-dcdt": fig45RunConfig("fig4-dcdt", {
    epochs: 1500,
    trialsPerType: 2,
    checkpoints: [0, 100, 1499],
    frames: 4,
    every: 10,
    logPoints: 20,
    window: 5,
  }),
  "fig4-dmts": fig45RunConfig("fig4-dmts", {
    epochs: 120,
    trialsPerType: 2,
    checkpoints: [0, 50, 119],
    every: 10,
    logPoints: 20,
    window: 3,
  }),
};

interface Store {
  state: string | null;
  progress: string | null;
}

/** A context that keeps the saved state and progress in memory (as JSON, like the files) and "dies" after `kills` saves. */
function memoryContext(store: Store, kills = Infinity): RunContext {
  let saves = 0;
  const parse = (s: string | null) => Promise.resolve(s === null ? null : JSON.parse(s));
  return {
    load: () => parse(store.state),
    progress: () => parse(store.progress),
    due: () => true,
    save(state, progress) {
      store.state = JSON.stringify(state);
      store.progress = JSON.stringify(progress ?? null);
      if (++saves >= kills) throw new Error("killed");
      return Promise.resolve();
    },
  };
}

Deno.test("fig4-fig5 run: the rows and snapshots of a plain training run; resumed = uninterrupted", async () => {
  for (const point of [{ run: "fig4-dmts", seed: 0 }, { run: "fig5-dcdt", seed: 3 }] as const) {
    const rc = TINY[point.run], plan = fig45Plan(rc);
    const s = await runFig45(point, TINY);
    assert.equal(s.epochsDone, rc.train.epochs);
    assert.deepEqual(s.history.epoch, plan.recorded);
    assert.deepEqual(s.snapshots.map((x) => x.epoch), plan.snapshots);
    // the same numbers as one plain run recorded every epoch
    const r = train({
      ...fig45Options(point, rc),
      record: { every: 1, checkpoints: plan.snapshots, weightNorm: false },
    });
    const rows = s.history.epoch.map((e) => r.history.epoch.indexOf(e));
    assert.deepEqual(s.history.loss, rows.map((i) => r.history.loss[i]));
    assert.deepEqual(s.history.accuracy, rows.map((i) => r.history.accuracy[i]));
    assert.deepEqual(s.history.recGradNorm, rows.map((i) => r.history.recGradNorm[i]));
    assert.deepEqual(s.snapshots.map((x) => x.params), r.checkpoints.map((c) => c.params));
    // killed after k saves (one per epoch), then resumed from the saved state: same summary
    const whole = JSON.parse(JSON.stringify(s));
    for (const k of [1, 11, 52]) {
      const store: Store = { state: null, progress: null };
      await assert.rejects(runFig45(point, TINY, memoryContext(store, k)), /killed/);
      const kept = { ...store };
      const resumed = await runFig45(point, TINY, memoryContext(store));
      assert.deepEqual(JSON.parse(JSON.stringify(resumed)), whole, `${point.run}, killed at ${k}`);
      // the saved state lost (another machine), only the in-progress record kept: the run
      // continues from the record's last snapshot, with the same result
      const fromRecord = await runFig45(point, TINY, memoryContext({ ...kept, state: null }));
      assert.deepEqual(JSON.parse(JSON.stringify(fromRecord)), whole, `${point.run}, record ${k}`);
    }
    // replaying the snapshot epochs gives the recorded losses
    const res = fig45Result(point, TINY, s);
    assert.ok(res.replayExact && res.complete);
    assert.equal(res.states[0].shape[1], point.run.endsWith("dmts") ? 4 : 2);
  }
});

Deno.test("fig4-fig5 CLI: kill -9 inside a long run, park, rerun on a clean cache continues it; file = an uninterrupted run's", async () => {
  await Deno.mkdir(`${ROOT}build`, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: `${ROOT}build`, prefix: "fig45_test_" });
  const killed = `${dir}/killed.jsonl`, clean = `${dir}/clean.jsonl`;
  const set = Object.entries(TINY).flatMap(([k, v]) => ["--set", `${k}=${JSON.stringify(v)}`]);
  const args = ["fig4-fig5", "--workers", "1", "--checkpoint-seconds", "0.02", ...set];
  const child = sweepCli([...args, "--file", killed]);
  let at = 0;
  for (let i = 0; i < 3000 && at < 300; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const p = await readProgress(progressFile(killed)).catch(() => []);
    at = p.find((x) => x.key.includes("fig4-dcdt"))?.done ?? 0;
  }
  child.kill("SIGKILL");
  const st = await child.status;
  assert.equal(st.signal, "SIGKILL", "the sweep must still be running when killed");
  assert.ok(at >= 300 && at < 1500, `killed at epoch ${at} of 1500`);
  assert.equal((await readRecords(killed)).length, 2, "the two Fig 5 runs were finished");
  const inProgress = await readProgress(progressFile(killed));
  assert.ok(inProgress.some((p) => p.key.includes("fig4-dcdt") && p.done >= 300));
  // park the saved state next to the records and drop the cache, as on a fresh clone
  const park = await sweepCli(["park", ...args.slice(0, 1), ...set, "--file", killed]).output();
  assert.equal(park.code, 0, new TextDecoder().decode(park.stderr));
  assert.match(new TextDecoder().decode(park.stdout), /killed\.states: parked 1 saved state/);
  const parked = [...Deno.readDirSync(`${dir}/killed.states`)].map((e) => e.name);
  assert.equal(parked.length, 1);
  const parkedAt = JSON.parse(Deno.readTextFileSync(`${dir}/killed.states/${parked[0]}`)).done;
  assert.ok(parkedAt >= at, `parked at ${parkedAt}, progress at ${at}`);
  await Deno.remove(`${dir}/killed.cache`, { recursive: true });
  const resumed = await sweepCli([...args, "--file", killed]).output();
  assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
  // the rerun continued the run from the parked epoch instead of a snapshot or the start
  const log = new TextDecoder().decode(resumed.stderr);
  assert.match(
    log,
    new RegExp(`fig4-dcdt.* from the state saved in .*killed\\.states at ${parkedAt} `),
  );
  const first = /fig4-dcdt[^\n]* at (\d+)\/1500 epochs saved/.exec(log);
  assert.ok(first && Number(first[1]) > parkedAt, `first save of the rerun: ${first?.[1]}`);
  const whole = await sweepCli([...args, "--file", clean]).output();
  assert.equal(whole.code, 0);
  assert.equal(await Deno.readTextFile(killed), await Deno.readTextFile(clean));
  // a finished sweep leaves no progress sidecar, no parked states and no saved states
  await assert.rejects(Deno.stat(progressFile(killed)), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(`${dir}/killed.states`), Deno.errors.NotFound);
  const states = [...Deno.readDirSync(`${dir}/killed.cache`)].filter((e) =>
    e.name.endsWith(".json")
  );
  assert.deepEqual(states, []);
  await Deno.remove(dir, { recursive: true });
});

// ---- the committed paper-scale file ----

const FILE = defaultSweepFile("fig4-fig5", "paper");
const committed = (() => {
  for (const f of [FILE, progressFile(FILE)]) {
    try {
      Deno.statSync(f);
      return true;
    } catch { /* missing */ }
  }
  return false;
})();

/** Resumes a chunk of `n` epochs from a stored snapshot and compares the history rows exactly. */
function checkChunk(point: Fig45Point, rc: Fig45RunConfig, s: Fig45Summary, n: number): void {
  const snap = s.snapshots[s.snapshots.length - 1];
  const len = Math.min(n, s.epochsDone - snap.epoch);
  if (len <= 0) return;
  const tr = new Trainer({
    ...fig45Options(point, rc),
    epochs: len,
    init: { params: snap.params, optimizer: snap.optimizer, epoch: snap.epoch },
    record: { every: 1, weightNorm: false },
  });
  while (tr.step()) { /* run */ }
  const h = tr.result.history;
  for (let j = 0; j < len; j++) {
    const i = s.history.epoch.indexOf(snap.epoch + j);
    assert.ok(i >= 0, `${point.run}: epoch ${snap.epoch + j} (window after a snapshot) recorded`);
    assert.equal(h.loss[j], s.history.loss[i], `${point.run}: loss at ${snap.epoch + j}`);
    assert.equal(h.accuracy[j], s.history.accuracy[i]);
    assert.equal(h.recGradNorm[j], s.history.recGradNorm[i]);
  }
}

Deno.test({
  name:
    "committed fig4-fig5: paper config and hash, exact coverage, a chunk from each run's last snapshot",
  ignore: !committed,
  async fn() {
    const loaded = await loadSweep(sweep, "paper");
    const paper = await resolveSweep(sweep, "paper");
    assert.equal(loaded.configHash, paper.configHash);
    assert.deepEqual(paper.config, sweep.config("paper"));
    assert.equal(loaded.stale, 0, "records of another config");
    assert.equal(loaded.records.length, (await readRecords(FILE)).length, "every line is valid");
    const progress = await readProgress(progressFile(FILE));
    assert.equal(loaded.inProgress.length, progress.length, "every progress line is current");
    assert.equal(loaded.complete, loaded.records.length === paper.points.length);
    const runs = [
      ...loaded.records.map((r) => ({ point: r.point, summary: r.summary, finished: true })),
      ...loaded.inProgress.map((p) => ({ point: p.point, summary: p.summary, finished: false })),
    ];
    for (const { point, summary: s, finished } of runs) {
      const rc = paper.config[point.run] as Fig45RunConfig, E = rc.train.epochs;
      const plan = fig45Plan(rc);
      if (finished) assert.ok(s.epochsDone === E || s.status === "diverged", point.run);
      else {
        const p = loaded.inProgress.find((x) => x.point.run === point.run)!;
        assert.ok(p.done === s.epochsDone && p.total === E && p.done < E, `${point.run} coverage`);
        // a parked state (`deno task sweep park`) is the state of the progress record's epoch
        const parked = await runContext(
          {
            cacheDir: `${ROOT}build/no-such-cache`,
            parkedDir: parkedStatesDir(FILE),
            progressFile: progressFile(FILE),
            configHash: paper.configHash,
            seconds: 0,
            log: false,
          },
          p.key,
          p.point,
        ).load() as { epoch: number; summary: Fig45Summary } | null;
        if (parked) {
          assert.equal(parked.epoch, p.done, `${point.run}: parked state's epoch`);
          assert.deepEqual(parked.summary, s, `${point.run}: parked state's summary`);
        }
      }
      assert.deepEqual(s.history.epoch, plan.recorded.filter((e) => e < s.epochsDone));
      assert.deepEqual(
        s.snapshots.map((x) => x.epoch),
        plan.snapshots.filter((e) => e < s.epochsDone + (s.status === "ok" ? 0 : 1)),
      );
      // a chunk resumed from the last stored snapshot (DMTS: 1.4 s per epoch at 500 trials/type)
      checkChunk(point, rc, s, point.run === "fig4-dmts" ? 2 : 5);
    }
  },
});
