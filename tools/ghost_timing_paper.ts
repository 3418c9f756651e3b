/**
 * `deno task ghost:timing [--minutes M]` — the paper-scale ghost-timing study of notebook 04
 * ({@linkcode PAPER_TIMING}: 40 rank-2 DCDT seeds, up to 100 000 epochs each) into
 * `data/results/ghost-timing.json` (config, config hash, `partial` flag, one summary per seed).
 *
 * Resumable: the file is rewritten atomically after every seed, and a new start skips the seeds
 * already in it (when the config hash matches). Stop it any time (Ctrl-C, kill -9, `--minutes`):
 * at most the seed in progress is lost.
 *
 * @module
 */

import {
  PAPER_TIMING,
  timingStudy,
  type TimingStudyConfig,
  type TimingSummary,
} from "../lib/experiments/ghost_timing.ts";
import { configHash, readResultFile, resultsPath, writeResultFile } from "../lib/sweep/results.ts";

const PRODUCED_BY = "deno task ghost:timing";

/** Runs (or continues) the study; stops starting new seeds after `minutes`. */
export async function main(args: string[]): Promise<void> {
  const i = args.indexOf("--minutes");
  const minutes = i >= 0 ? Number(args[i + 1]) : Infinity;
  if (!(minutes > 0)) throw new RangeError(`--minutes must be a number > 0, got ${args[i + 1]}`);
  const path = resultsPath("ghost-timing.json");
  const old = await readResultFile<TimingStudyConfig, TimingSummary[]>(path);
  const done = old && old.configHash === await configHash(PAPER_TIMING) ? old.results : [];
  const t0 = Date.now();
  const deadline = t0 + minutes * 60_000;
  const stop = { now: false };
  await timingStudy(PAPER_TIMING, done, async (all) => {
    const partial = all.length < PAPER_TIMING.seeds;
    await writeResultFile(path, PRODUCED_BY, PAPER_TIMING, all, partial);
    console.log(
      `ghost timing: ${all.length}/${PAPER_TIMING.seeds} seeds (${
        ((Date.now() - t0) / 60_000).toFixed(1)
      } min)`,
    );
    if (Date.now() > deadline) {
      stop.now = true;
      throw new StopSignal();
    }
  }).catch((e) => {
    if (!(e instanceof StopSignal)) throw e;
  });
  if (stop.now) console.log(`stopped after --minutes ${minutes}; run again to continue`);
}

class StopSignal extends Error {}

if (import.meta.main) await main(Deno.args);
