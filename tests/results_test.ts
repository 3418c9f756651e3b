// Committed paper-scale sweep results (data/results/fig*.jsonl, docs/ghost-mechanism.md §3
// Figures 6–8): every record belongs to the current config of its sweep, and a few randomly
// chosen records, re-run with the sweep's own run function, give exactly the committed summary.
// The choice is seeded (GHOSTLAB_RESULTS_SEED, default: today's date) and printed, so a failure
// can be reproduced. Per file: one uniformly random record among those that took at most
// MAX_SECONDS, and the shortest of a few random candidates (keeps the test fast).
import assert from "node:assert/strict";
import { SWEEPS } from "../lib/experiments/mod.ts";
import { Rng } from "../lib/random.ts";
import { type AnySweep, defaultSweepFile, loadSweep, readRecords } from "../lib/sweep/mod.ts";

function seed(): number {
  let v: string | undefined;
  try {
    v = Deno.env.get("GHOSTLAB_RESULTS_SEED");
  } catch {
    v = undefined;
  }
  if (v !== undefined && v !== "") return Number(v) >>> 0;
  const d = new Date();
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

const SEED = seed();
const RERUNS_PER_FILE = 2;
const CANDIDATES = 6;
const MAX_SECONDS = 30;
const MAX_RERUN_SECONDS = 120;

for (const [name, url] of Object.entries(SWEEPS)) {
  const file = defaultSweepFile(name, "paper");
  // a sweep that has started but finished no run yet leaves an empty record file: nothing to check
  let exists = true;
  try {
    exists = Deno.statSync(file).size > 0;
  } catch {
    exists = false;
  }
  Deno.test({
    name:
      `committed ${name}.jsonl: current config; ${RERUNS_PER_FILE} random records re-run exactly (seed ${SEED})`,
    ignore: !exists,
    async fn() {
      const def = (await import(url)).sweep as AnySweep;
      const loaded = await loadSweep(def, "paper", file);
      const raw = await readRecords(file);
      assert.equal(loaded.stale, 0, `${name}: records of another config in ${file}`);
      assert.equal(loaded.records.length, raw.length, `${name}: every line is a valid record`);
      assert.ok(loaded.records.length > 0, `${name}: no records`);
      const config = def.config("paper");
      const rng = new Rng(SEED);
      const pool = [...loaded.records];
      for (let k = 0; k < RERUNS_PER_FILE && pool.length > 0; k++) {
        // first a uniformly random record among those that ran in at most MAX_SECONDS, then the
        // shortest of a few random candidates
        const short = pool.flatMap((r, j) => (r.seconds <= MAX_SECONDS ? [j] : []));
        const cand = Array.from(
          { length: Math.min(CANDIDATES, pool.length) },
          () => rng.int(pool.length),
        );
        const i = k === 0 && short.length > 0
          ? short[rng.int(short.length)]
          : cand.reduce((b, j) => (pool[j].seconds < pool[b].seconds ? j : b), cand[0]);
        const rec = pool.splice(i, 1)[0];
        // runs longer than MAX_RERUN_SECONDS (Fig 8C: ~7 min each) are not re-run here
        if (rec.seconds > MAX_RERUN_SECONDS) continue;
        const again = JSON.parse(JSON.stringify(await def.run(rec.point, config)));
        assert.deepEqual(again, rec.summary, `${name}: record ${rec.key} does not reproduce`);
      }
    },
  });
}

Deno.test("figureRecordsWithProgress: the final progress line counts the records the paper file holds", async () => {
  const { figureRecordsWithProgress } = await import("../lib/experiments/records.ts");
  const def = (await import(SWEEPS["fig6b-rank"])).sweep as AnySweep;
  const logged: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => logged.push(a.join(" "));
  let r;
  try {
    r = await figureRecordsWithProgress(def, "paper");
  } finally {
    console.log = orig;
  }
  assert.equal(r.records.length, (await loadSweep(def, "paper")).records.length);
  assert.equal(logged.length, 1);
  // e.g. "fig6b-rank: 500/900 (…, done in 0 s) — paper scale: … partial: 500 of 900 runs finished"
  assert.ok(
    logged[0].startsWith(`fig6b-rank: ${r.records.length}/${r.total} (`),
    logged[0].slice(0, 80),
  );
  assert.ok(logged[0].endsWith(`— ${r.provenance}`));
});
