/**
 * `deno task glassy:paper [--part learning|aging|all] [--minutes M] [--chunk N]` — produces the
 * paper-scale glassy results (docs/glassy-dynamics.md §5–7) under `data/results/`:
 *
 * - `data/results/glassy-learning.json`: learning curves over the (d, w) grid of
 *   {@linkcode PAPER_LEARNING};
 * - `data/results/glassy-aging.json`: Δ(τ_w, τ) for the widths and waiting times of
 *   {@linkcode PAPER_AGING}.
 *
 * Resumable: every run checkpoints into `data/cache/glassy/` (git-ignored) every `--chunk` steps
 * (default 5000), and the result file is rewritten after each chunk with `partial: true` until
 * every run is complete. Stop it any time (Ctrl-C / SIGTERM, or `--minutes`): the current chunk is
 * checkpointed and the result file stays valid. Run it again to continue.
 *
 * Needs the JSB file (`GHOSTLAB_JSB_PATH`, or the data/ cache, or a download).
 *
 * @module
 */

import {
  type AgingConfig,
  type AgingResult,
  type LearningCurve,
  loadJsbChorales,
  prepareChoraleData,
  runAging,
  runLearningCurve,
  type TrainConfig,
} from "../lib/glassy/mod.ts";
import type { EngineName } from "../lib/glassy/engine.ts";
import { canonicalJson, readResultFile, writeResultFile } from "../lib/sweep/results.ts";
import { PAPER_AGING, PAPER_DATA, PAPER_LEARNING } from "../lib/glassy/paper.ts";

const LEARNING_FILE = "data/results/glassy-learning.json";
const AGING_FILE = "data/results/glassy-aging.json";
const CACHE = "data/cache/glassy";
const COMMAND = "deno task glassy:paper";
/**
 * The engine every run of these files is computed with, recorded in the files (`results.engine`):
 * float32 engines agree to rounding, but rounding differences grow over thousands of SGD steps,
 * so a record can only be recomputed exactly with the engine that wrote it.
 */
const ENGINE: EngineName = "simd";

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1] : fallback;
}

const part = arg("--part", "all");
if (!["learning", "aging", "all"].includes(part)) {
  console.error(`--part must be learning, aging or all, got ${part}`);
  Deno.exit(2);
}
const minutes = Number(arg("--minutes", "Infinity"));
const chunk = Number(arg("--chunk", "5000"));
if (!(chunk >= 500) || !Number.isInteger(chunk) || chunk % 500 !== 0) {
  console.error(`--chunk must be a multiple of 500 (>= 500), got ${chunk}`);
  Deno.exit(2);
}
const deadline = Date.now() + minutes * 60_000;
let stopRequested = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    console.log(`glassy:paper: ${sig} received, checkpointing and stopping`);
    stopRequested = true;
  });
}
const shouldStop = () => stopRequested || Date.now() > deadline;

await Deno.mkdir(CACHE, { recursive: true });
await Deno.mkdir("data/results", { recursive: true });
const ds = await loadJsbChorales();
const data = prepareChoraleData(ds, PAPER_DATA);
console.log(`glassy:paper: T=${data.train.T} T_test=${data.test.T} nv=${data.nv}`);

function key(c: { depth: number; width: number }) {
  return `d${c.depth}w${c.width}`;
}

async function learning(): Promise<boolean> {
  const prev = await readResultFile<typeof PAPER_LEARNING, { runs: LearningCurve[] }>(
    LEARNING_FILE,
  );
  const sameConfig = prev && canonicalJson(prev.config) === canonicalJson(PAPER_LEARNING);
  // runs written by another engine (files without `engine` predate the simd engine: tfjs-wasm)
  // are recomputed from step 0, so that every record of the file comes from one engine
  const sameEngine = (prev?.results as { engine?: string } | undefined)?.engine === ENGINE;
  const runs = new Map<string, LearningCurve>(
    sameConfig && sameEngine ? prev!.results.runs.map((r) => [key(r.config), r]) : [],
  );
  const order = PAPER_LEARNING.grid.flatMap((g) =>
    g.widths.map((w) => ({ depth: g.depth, width: w }))
  );
  const write = async () => {
    const list = order.map((o) => runs.get(key(o))).filter((r) => r !== undefined);
    const partial = order.some((o) => (runs.get(key(o))?.done ?? 0) < PAPER_LEARNING.steps);
    await writeResultFile(
      LEARNING_FILE,
      COMMAND,
      PAPER_LEARNING,
      { runs: list, engine: ENGINE },
      partial,
    );
    return partial;
  };
  for (const o of order) {
    const cfg: TrainConfig = { ...PAPER_LEARNING.train, ...o };
    const ckpt = `${CACHE}/learning-${key(o)}.ckpt`;
    while ((runs.get(key(o))?.done ?? 0) < PAPER_LEARNING.steps) {
      if (shouldStop()) return await write();
      const target = Math.min(PAPER_LEARNING.steps, (runs.get(key(o))?.done ?? 0) + chunk);
      const t0 = performance.now();
      const curve = await runLearningCurve(data, cfg, target, {
        checkpoint: ckpt,
        checkpointEvery: chunk,
        shouldStop,
        engine: ENGINE,
      });
      runs.set(key(o), { ...curve, steps: PAPER_LEARNING.steps });
      console.log(
        `glassy:paper learning ${key(o)} step ${curve.done}/${PAPER_LEARNING.steps} ` +
          `train ${curve.train.at(-1)?.toFixed(4)} test ${curve.test.at(-1)?.toFixed(4)} ` +
          `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
      await write();
    }
  }
  return await write();
}

async function aging(): Promise<boolean> {
  const prev = await readResultFile<typeof PAPER_AGING, { runs: AgingResult[] }>(AGING_FILE);
  const sameConfig = prev && canonicalJson(prev.config) === canonicalJson(PAPER_AGING);
  const sameEngine = (prev?.results as { engine?: string } | undefined)?.engine === ENGINE;
  const runs = new Map<number, AgingResult>(
    sameConfig && sameEngine ? prev!.results.runs.map((r) => [r.config.train.width, r]) : [],
  );
  const total = Math.max(...PAPER_AGING.waitSteps.map((w) => w * (1 + PAPER_AGING.agingFactor)));
  const write = async () => {
    const list = PAPER_AGING.widths.map((w) => runs.get(w)).filter((r) => r !== undefined);
    const partial = PAPER_AGING.widths.some((w) => (runs.get(w)?.done ?? 0) < total);
    await writeResultFile(
      AGING_FILE,
      COMMAND,
      PAPER_AGING,
      { runs: list, engine: ENGINE },
      partial,
    );
    return partial;
  };
  for (const width of PAPER_AGING.widths) {
    const cfg: AgingConfig = {
      train: { ...PAPER_AGING.train, depth: PAPER_AGING.depth, width },
      waitSteps: PAPER_AGING.waitSteps,
      agingFactor: PAPER_AGING.agingFactor,
      noiseInterval: PAPER_AGING.noiseInterval,
      recordInterval: PAPER_AGING.recordInterval,
    };
    const ckpt = `${CACHE}/aging-d${PAPER_AGING.depth}w${width}.ckpt`;
    while ((runs.get(width)?.done ?? 0) < total) {
      if (shouldStop()) return await write();
      const res = await runAging(data, cfg, {
        checkpoint: ckpt,
        checkpointEvery: chunk,
        untilStep: Math.min(total, (runs.get(width)?.done ?? 0) + chunk),
        shouldStop,
        engine: ENGINE,
      });
      runs.set(width, res);
      console.log(`glassy:paper aging w=${width} step ${res.done}/${total}`);
      await write();
    }
  }
  return await write();
}

let partial = false;
if (part === "learning" || part === "all") partial = (await learning()) || partial;
if ((part === "aging" || part === "all") && !shouldStop()) partial = (await aging()) || partial;
console.log(`glassy:paper: ${partial ? "stopped; results are partial" : "complete"}`);
Deno.exit(0);
