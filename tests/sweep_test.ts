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
  const out = await runInWorkers<number, number[]>(numeric, "linspace", [2, 3, 4], {
    concurrency: 2,
  })
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

// ---- declared sweeps (lib/sweep/definition.ts) on the tiny fixture sweep ----

import {
  canonicalJson,
  defaultCacheDir,
  defaultSweepFile,
  loadSweep,
  mergeSweep,
  parkedStatesDir,
  parkRunStates,
  parseShard,
  progressFile,
  readRecords,
  rehashSweep,
  runContext,
  runSweepDefinition,
  StaleRecordsError,
  SweepConfigError,
  type SweepDefinition,
} from "../lib/sweep/mod.ts";
import { sweep as tiny, type TinyPoint, type TinySummary } from "./fixtures/tiny_sweep.ts";
import { sweepCli } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TINY_MODULE = new URL("./fixtures/tiny_sweep.ts", import.meta.url).href;

async function tempDir(): Promise<string> {
  // inside the project (build/ is git-ignored) so the tests need only --allow-write=./build
  await Deno.mkdir(`${ROOT}build`, { recursive: true });
  return await Deno.makeTempDir({ dir: `${ROOT}build`, prefix: "sweep_test_" });
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

Deno.test("sweep: kill -9 mid-run loses no finished run; the resumed file = an uninterrupted run's", async () => {
  const dir = await tempDir();
  const killed = `${dir}/killed.jsonl`, clean = `${dir}/clean.jsonl`;
  const set = ["--set", "epochs=20000"]; // ~0.1–0.3 s per run: time to kill it mid-way
  const args = ["tiny-test", "--module", TINY_MODULE, "--workers", "1", ...set];
  const child = sweepCli([...args, "--file", killed]);
  let before: string[] = [];
  for (let i = 0; i < 3000; i++) { // up to a minute on a loaded machine
    await new Promise((r) => setTimeout(r, 20));
    const text = await Deno.readTextFile(killed).catch(() => "");
    before = lines(text).filter((l) => l.endsWith("}"));
    if (before.length >= 3) break;
  }
  child.kill("SIGKILL");
  const st = await child.status;
  assert.equal(st.signal, "SIGKILL", "the sweep must still be running when killed");
  assert.ok(before.length >= 3 && before.length < 12, `killed after ${before.length} of 12 runs`);
  // simulate the worst case: the kill tore an append in half
  const afterKill = await Deno.readTextFile(killed);
  const kept = lines(afterKill).filter((l) => {
    try {
      JSON.parse(l);
      return true;
    } catch {
      return false;
    }
  });
  await Deno.writeTextFile(killed, kept.join("\n") + "\n" + kept[0].slice(0, 40));
  // resume: every finished run is reused, the rest is computed
  const resumed = await sweepCli([...args, "--file", killed]).output();
  const out = new TextDecoder().decode(resumed.stdout);
  assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
  assert.match(
    out,
    new RegExp(`12/12 runs \\(${kept.length} reused, ${12 - kept.length} computed\\)`),
  );
  // an uninterrupted run (in this process) writes the very same bytes
  await runSweepDefinition(tiny, { file: clean, overrides: { epochs: 20000 } });
  assert.equal(await Deno.readTextFile(killed), await Deno.readTextFile(clean));
  // and the records finished before the kill are in the final file unchanged
  const final = new Set(lines(await Deno.readTextFile(clean)));
  for (const l of kept) assert.ok(final.has(l));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweep: shards (in-thread, workers, batched) + merge = a single-machine run, byte for byte", async () => {
  const dir = await tempDir();
  const single = `${dir}/single.jsonl`, main = `${dir}/tiny.jsonl`;
  const one = await runSweepDefinition(tiny, { file: single, scale: "quick" });
  assert.equal(one.complete, true);
  assert.equal(one.records.length, 12);
  // three shards run differently: in-thread one by one, 2 workers, batched ensembles
  const noBatch: SweepDefinition<TinyPoint, TinySummary> = { ...tiny, runBatch: undefined };
  await runSweepDefinition(noBatch, { shard: "0/3", file: main });
  await runSweepDefinition(tiny, {
    shard: "1/3",
    file: main,
    workers: 2,
    module: TINY_MODULE,
    batchSize: 1,
  });
  const s2 = await runSweepDefinition(tiny, {
    shard: parseShard("2/3"),
    file: main,
  });
  assert.deepEqual(
    s2.records.map((r) => r.point),
    tiny.points("quick").filter((_, i) => i % 3 === 2),
  );
  const m = await mergeSweep(tiny, { file: main });
  assert.equal(m.shards.length, 3);
  assert.equal(m.complete, true);
  assert.equal(await Deno.readTextFile(main), await Deno.readTextFile(single));
  // the batched ensembles (runBatch) gave exactly the run-by-run summaries
  const loaded = await loadSweep(tiny, "quick", main);
  assert.deepEqual(loaded.records.map((r) => r.summary), one.records.map((r) => r.summary));
  assert.ok(loaded.seconds > 0 && loaded.complete);
  // a rerun of a complete file computes nothing and leaves it unchanged
  const again = await runSweepDefinition(tiny, { file: single });
  assert.equal(again.computed, 0);
  assert.equal(await Deno.readTextFile(main), await Deno.readTextFile(single));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweep: a changed config never reuses old records", async () => {
  const dir = await tempDir();
  const file = `${dir}/tiny.jsonl`;
  const a = await runSweepDefinition(tiny, { file, overrides: { epochs: 30 } });
  await assert.rejects(
    runSweepDefinition(tiny, { file, overrides: { epochs: 40 } }),
    (e: Error) => e instanceof StaleRecordsError && /12 record\(s\).*config hash/.test(e.message),
  );
  // the file is untouched by the refused run
  assert.equal(lines(await Deno.readTextFile(file)).length, 12);
  const b = await runSweepDefinition(tiny, { file, overrides: { epochs: 40 }, discardStale: true });
  assert.equal(b.reused, 0);
  assert.equal(b.computed, 12);
  assert.notEqual(a.configHash, b.configHash);
  assert.ok(b.records.every((r) => r.configHash === b.configHash));
  assert.notDeepEqual(b.records.map((r) => r.summary), a.records.map((r) => r.summary));
  // loading with the default config sees none of them
  const l = await loadSweep(tiny, "quick", file);
  assert.equal(l.records.length, 0);
  assert.equal(l.stale, 12);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweep: gridKeys — a grown grid keeps its finished runs; rehash moves old records over", async () => {
  const dir = await tempDir();
  const file = `${dir}/grid.jsonl`, fresh = `${dir}/fresh.jsonl`;
  // the tiny sweep with its grid (the ranks K) in the config, as the glassy sweeps have
  const withGrid = (
    Ks: number[],
    gridKeys?: string[],
  ): SweepDefinition<TinyPoint, TinySummary> => ({
    ...tiny,
    gridKeys,
    points: (s) => tiny.points(s).filter((p) => Ks.includes(p.K)),
    config: (s) => ({ ...tiny.config(s), Ks }),
  });
  // records written before the sweep declared gridKeys carry the whole-config hash
  const old = await runSweepDefinition(withGrid([1]), { file });
  assert.equal(old.records.length, 6);
  const open = tiny.points("quick").find((p) => p.K === 2)!;
  const spec = (configHash: string) => ({
    cacheDir: defaultCacheDir(file, "tiny-test"),
    progressFile: progressFile(file),
    configHash,
    seconds: 0,
    log: false,
  });
  const summary = { status: "running", initialLoss: 1, finalLoss: null };
  await runContext(spec(old.configHash), canonicalJson(open), open).save({ at: 7 }, {
    done: 7,
    total: 200,
    unit: "epochs",
    summary,
  });
  // declaring gridKeys changes the hash: the old records are named, with the command that moves them
  await assert.rejects(
    runSweepDefinition(withGrid([1], ["Ks"]), { file }),
    (e: Error) =>
      e instanceof StaleRecordsError &&
      /6 record\(s\).*whole config.*deno task sweep rehash tiny-test --scale quick/.test(e.message),
  );
  assert.deepEqual(
    Object.entries(await loadSweep(withGrid([1], ["Ks"]), "quick", file))
      .filter(([k]) => ["stale", "rehashable"].includes(k)),
    [["stale", 6], ["rehashable", 6]],
  );
  const r = await rehashSweep(withGrid([1], ["Ks"]), { file });
  assert.equal(r.from, old.configHash);
  assert.notEqual(r.to, r.from);
  assert.deepEqual([r.records, r.timings, r.progress, r.states], [6, 6, 1, 1]);
  const again = await rehashSweep(withGrid([1], ["Ks"]), { file }); // idempotent
  assert.deepEqual([again.records, again.timings, again.progress, again.states], [0, 0, 0, 0]);
  // the grid grows: the six finished runs and the unfinished run's state and progress are kept
  const big = withGrid([1, 2], ["Ks"]);
  const l = await loadSweep(big, "quick", file);
  assert.equal(l.configHash, r.to);
  assert.deepEqual([l.records.length, l.stale, l.total], [6, 0, 12]);
  assert.ok(l.records.every((x) => Number.isFinite(x.seconds)), "timings moved with the records");
  assert.deepEqual(l.inProgress.map((p) => [p.key, p.done]), [[canonicalJson(open), 7]]);
  assert.deepEqual(await runContext(spec(r.to), canonicalJson(open), open).load(), { at: 7 });
  assert.equal(await runContext(spec(r.from), canonicalJson(open), open).load(), null);
  const grown = await runSweepDefinition(big, { file });
  assert.deepEqual([grown.reused, grown.computed, grown.complete], [6, 6, true]);
  // ... and the file is byte for byte that of a run of the grown grid from scratch
  await runSweepDefinition(big, { file: fresh });
  assert.equal(await Deno.readTextFile(file), await Deno.readTextFile(fresh));
  // a config entry that changes runs is still hashed; a gridKey must be a config entry
  const longer = await loadSweep(
    { ...big, config: (s) => ({ ...big.config(s), epochs: 7 }) },
    "quick",
    file,
  );
  assert.deepEqual([longer.records.length, longer.stale], [0, 12]);
  // the CLI verb: a sweep without gridKeys has nothing to move
  const cli = await sweepCli(["rehash", "tiny-test", "--module", TINY_MODULE, "--file", file])
    .output();
  assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
  assert.match(new TextDecoder().decode(cli.stdout), /tiny-test declares no gridKeys/);
  await assert.rejects(
    runSweepDefinition(withGrid([1], ["Kz"]), { file }),
    (e: Error) =>
      e instanceof SweepConfigError &&
      /gridKeys must name entries of the config \(Ks, N, T, epochs\)/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweep: a resumed run's time counts the stretches before its saved state", async () => {
  const dir = await tempDir();
  const file = `${dir}/t.jsonl`;
  const point = { K: 1, seed: 0 };
  const spec = {
    cacheDir: defaultCacheDir(file, "tiny-test"),
    progressFile: progressFile(file),
    configHash: "c".repeat(64),
    seconds: 0,
    log: false,
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const first = runContext(spec, canonicalJson(point), point);
  await sleep(120);
  const atSave = first.elapsed();
  await first.save({ at: 1 }, { done: 1, total: 2, unit: "steps", summary: null });
  const saved = first.elapsed();
  assert.ok(atSave >= 0.12, `${atSave}`);
  // the next process: before loading, only its own stretch; after, the saved seconds on top
  const second = runContext(spec, canonicalJson(point), point);
  assert.ok(second.elapsed() < 0.1, `${second.elapsed()}`);
  assert.deepEqual(await second.load(), { at: 1 });
  const after = second.elapsed();
  assert.ok(after >= atSave && after < saved + 0.1, `${after} vs ${atSave}–${saved}`);
});

Deno.test("sweep: parked states — a rerun takes the more advanced of cache and parked; parking never goes back", async () => {
  const dir = await tempDir();
  const file = `${dir}/p.jsonl`;
  const point = { K: 3, seed: 1 };
  const key = canonicalJson(point);
  const spec = {
    cacheDir: defaultCacheDir(file, "tiny-test"),
    parkedDir: parkedStatesDir(file),
    progressFile: progressFile(file),
    configHash: "c".repeat(64),
    seconds: 0,
    log: false,
  };
  assert.equal(spec.parkedDir, `${dir}/p.states`);
  const ctx = runContext(spec, key, point);
  const save = (at: number) =>
    ctx.save({ at }, { done: at, total: 100, unit: "epochs", summary: null });
  assert.equal(await ctx.load(), null);
  await save(10);
  const first = await parkRunStates(spec);
  assert.deepEqual([first.dir, first.parked, first.current], [spec.parkedDir, 1, 0]);
  assert.ok(first.bytes > 0);
  await save(20); // the cache moves on: it wins
  assert.deepEqual(await ctx.load(), { at: 20 });
  // another machine's cache is behind the parked state (e.g. an old clone): the parked one wins
  await parkRunStates(spec);
  const other = { ...spec, cacheDir: `${dir}/other-cache` };
  await runContext(other, key, point).save({ at: 5 }, {
    done: 5,
    total: 100,
    unit: "epochs",
    summary: null,
  });
  assert.deepEqual(await runContext(other, key, point).load(), { at: 20 });
  // parking the older cache does not overwrite the newer parked state
  assert.equal((await parkRunStates(other)).current, 1);
  assert.deepEqual(await ctx.load(), { at: 20 });
  // another config's parked state is never used
  assert.equal(await runContext({ ...other, configHash: "d".repeat(64) }, key, point).load(), null);
  // a corrupt state file is named
  const name = [...Deno.readDirSync(spec.parkedDir)][0].name;
  await Deno.writeTextFile(`${spec.parkedDir}/${name}`, "{");
  await assert.rejects(ctx.load(), new RegExp(`${name}: not a saved run state .*delete it`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweep: optionalParams — new points carry a setting, finished points keep their records", async () => {
  const dir = await tempDir();
  const file = `${dir}/optional.jsonl`;
  type ModePoint = TinyPoint & { mode?: string };
  const short = (c: Record<string, unknown>) => ({ ...c, epochs: 100 });
  // K = 1 first; then K = 2 added with a setting that changes its runs (half the epochs)
  const def = (Ks: number[]): SweepDefinition<ModePoint, TinySummary> => ({
    ...tiny,
    gridKeys: ["Ks"],
    optionalParams: { mode: "string" },
    points: (s) =>
      tiny.points(s).filter((p) => Ks.includes(p.K)).map((p) =>
        p.K === 2 ? { ...p, mode: "short" } : p
      ),
    config: (s) => ({ ...tiny.config(s), Ks }),
    run: (p, c) => tiny.run(p, p.mode === "short" ? short(c) : c),
    runBatch: undefined,
  });
  const first = await runSweepDefinition(def([1]), { file });
  assert.equal(first.records.length, 6);
  const grown = await runSweepDefinition(def([1, 2]), { file });
  assert.deepEqual([grown.reused, grown.computed, grown.complete], [6, 6, true]);
  const recs = await readRecords(file);
  for (const r of recs) {
    const p = r.point as ModePoint;
    assert.equal(r.key, canonicalJson(p));
    assert.equal("mode" in p, p.K === 2);
    const cfg = tiny.config("quick");
    assert.deepEqual(r.summary, await tiny.run(p, p.K === 2 ? short(cfg) : cfg));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweep: bad configs are rejected with a named error before any run starts", async () => {
  const dir = await tempDir();
  const file = `${dir}/never.jsonl`;
  const bad = async (def: SweepDefinition<TinyPoint, TinySummary>, re: RegExp, opts = {}) => {
    await assert.rejects(
      runSweepDefinition(def, { file, ...opts }),
      (e: Error) => e instanceof SweepConfigError && re.test(e.message),
    );
  };
  const pts = (f: (p: TinyPoint[]) => unknown[]) => ({
    ...tiny,
    points: (s: "quick" | "paper") => f(tiny.points(s)) as TinyPoint[],
  });
  await bad(pts(() => []), /sweep tiny-test \(quick\): the grid is empty/);
  await bad(
    pts((p) => [...p, { ...p[0], seed: 7, width: 3 }]),
    /point 12: unknown parameter "width"/,
  );
  await bad(
    pts((p) => [...p, { ...p[0], seed: 7, lr: "0.1" }]),
    /point 12: parameter "lr" must be of type number.*got string/,
  );
  await bad(pts((p) => [...p, { K: 1, lr: 0.1 }]), /point 12: missing parameter "seed"/);
  // an optional parameter: only of its declared type, and it does not make others optional
  const withMode = (f: (p: TinyPoint[]) => unknown[]) => ({
    ...pts(f),
    optionalParams: { mode: "string" as const },
  });
  await bad(
    withMode((p) => [...p, { ...p[0], seed: 7, mode: 1 }]),
    /point 12: parameter "mode" must be of type string \(declared in optionalParams\), got number/,
  );
  await bad(
    withMode((p) => [...p, { ...p[0], seed: 7, width: 3 }]),
    /point 12: unknown parameter "width" \(.*; optional: mode\)/,
  );
  await bad(withMode((p) => [...p, { K: 1, seed: 7, mode: "x" }]), /missing parameter "lr"/);
  await bad(pts((p) => [...p, p[3]]), /point 12 duplicates point 3/);
  await bad(pts((p) => p.map((x) => ({ ...x, lr: NaN }))), /point 0\.lr must be finite/);
  await bad(tiny, /unknown config parameter "epoch"; valid: N, T, epochs/, {
    overrides: { epoch: 5 },
  });
  await bad(tiny, /config parameter "epochs" must be of type number.*got string/, {
    overrides: { epochs: "many" },
  });
  await bad(tiny, /shard 3\/2: the index must be < the count/, { shard: "3/2" });
  await bad(tiny, /shard must look like i\/n/, { shard: "two" });
  await bad(tiny, /workers > 1 needs module/, { workers: 2 });
  await bad({ ...tiny, name: "Tiny Test" }, /sweep name must be lower-case/);
  await assert.rejects(Deno.stat(file), Deno.errors.NotFound); // nothing ran, nothing written
  // the CLI: unknown sweep name, bad shard, unknown option → exit 2 and the message
  for (
    const [args, re] of [
      [["no-such-sweep"], /unknown sweep "no-such-sweep"; known: .*fig6b-rank/],
      [["tiny-test", "--module", TINY_MODULE, "--shard", "3/2"], /shard 3\/2/],
      [
        ["tiny-test", "--module", TINY_MODULE, "--set", "epochz=3"],
        /unknown config parameter "epochz"/,
      ],
      [["tiny-test", "--module", TINY_MODULE, "--scale", "huge"], /--scale must be quick or paper/],
      [["tiny-test", "--frobnicate"], /unknown option --frobnicate/],
      [["tiny-test", "--module", TINY_MODULE, "--cores", "0"], /--cores must be an integer >= 1/],
    ] as [string[], RegExp][]
  ) {
    const o = await sweepCli(args).output();
    assert.equal(o.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(o.stderr), re);
  }
  assert.match(defaultSweepFile("x", "paper"), /data\/results\/x\.jsonl$/);
  await Deno.remove(dir, { recursive: true });
});
