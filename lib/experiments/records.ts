/**
 * How the notebooks get a figure's sweep records: at quick scale they run the sweep afresh (into
 * `build/sweeps/<name>.quick.jsonl`, with a progress callback; `resume: true` keeps the records
 * already there — their config hash does not cover code changes); at paper scale they load the
 * committed `data/results/<name>.jsonl` when its config hash matches (never running anything)
 * and report how complete it is (finished runs, and the exact coverage of runs still in progress)
 * and how long its runs took.
 *
 * @module
 */

import type { Scale } from "../config.ts";
import { progress } from "../display.ts";
import {
  defaultCacheDir,
  defaultSweepFile,
  loadSweep,
  progressFile,
  type ProgressRecord,
  runSweepDefinition,
  type SweepDefinition,
  type SweepRecord,
  timingFile,
} from "../sweep/mod.ts";

/** The records a figure is drawn from, and where they came from. */
export interface FigureRecords<P, S> {
  records: SweepRecord<P, S>[];
  /** Number of points of the sweep at this scale. */
  total: number;
  complete: boolean;
  file: string;
  configHash: string;
  /** Sum of the runs' wall-clock seconds. */
  seconds: number;
  /** Unfinished runs with their summary so far and exact coverage (paper scale). */
  inProgress: ProgressRecord<P, S>[];
  /** The config the records belong to. */
  config: Record<string, unknown>;
  /** One markdown sentence: source file, coverage and run time. */
  provenance: string;
}

/**
 * Records of `def` at `scale`: runs the quick-scale points (calling `onProgress(done, total)`;
 * with `opts.resume` only those missing from the quick file; `opts.overrides` changes config
 * values as `--set` does, e.g. a notebook's quick-scale knobs), or loads the paper-scale file. A
 * paper-scale file that is missing or of another config gives zero records (the provenance says
 * so), never a silent rerun; runs still in progress are listed with their exact coverage.
 *
 * @throws {RangeError} for overrides at paper scale (the committed file has the paper config).
 */
export async function figureRecords<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  scale: Scale,
  onProgress?: (done: number, total: number) => void,
  opts: { resume?: boolean; overrides?: Record<string, unknown> } = {},
): Promise<FigureRecords<P, S>> {
  const overrides = opts.overrides ?? {};
  if (scale === "quick") {
    const t0 = performance.now();
    if (!opts.resume) {
      const file = defaultSweepFile(def.name, scale);
      for (const f of [file, timingFile(file), progressFile(file)]) {
        try {
          await Deno.remove(f);
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
      }
      try {
        await Deno.remove(defaultCacheDir(file, def.name), { recursive: true });
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    const o = await runSweepDefinition(def, { scale, onProgress, discardStale: true, overrides });
    const seconds = (performance.now() - t0) / 1000;
    return {
      records: o.records,
      total: o.total,
      complete: o.complete,
      file: o.file,
      configHash: o.configHash,
      seconds,
      inProgress: [],
      config: { ...def.config(scale), ...overrides },
      provenance: `quick scale: ${o.records.length}/${o.total} runs of \`${def.name}\` ` +
        `(${o.computed} computed now, ${o.reused} reused from \`build/sweeps/\`), ` +
        `${seconds.toFixed(1)} s in this notebook`,
    };
  }
  if (Object.keys(overrides).length > 0) {
    throw new RangeError(
      `figureRecords: config overrides apply at quick scale only (paper scale loads the committed ` +
        `file of the paper config), got ${Object.keys(overrides).join(", ")}`,
    );
  }
  const l = await loadSweep(def, scale);
  const rel = l.file.slice(l.file.lastIndexOf("data/results/"));
  const status = l.complete
    ? "complete"
    : `**partial: ${l.records.length} of ${l.total} runs finished**`;
  const open = l.inProgress.map((p) =>
    `\`${p.key}\` at ${p.done} of ${p.total} ${p.unit} (\`${
      rel.replace(/\.jsonl$/, ".progress.jsonl")
    }\`)`
  );
  return {
    records: l.records,
    total: l.total,
    complete: l.complete,
    file: l.file,
    configHash: l.configHash,
    seconds: l.seconds,
    inProgress: l.inProgress,
    config: def.config(scale),
    provenance: `paper scale: \`${rel}\` (config hash \`${l.configHash}\`), ${status}` +
      (l.stale > 0 ? `, ${l.stale} records of another config ignored` : "") +
      (open.length > 0 ? `; **in progress**: ${open.join(", ")}` : "") +
      `; the timing sidecar records ${(l.seconds / 3600).toFixed(2)} h of wall-clock run time ` +
      `for its finished runs (a run resumed from a state that did not record its time counts ` +
      `only its last stretch)`,
  };
}

/**
 * {@linkcode figureRecords} with an updating progress line (`progress` of lib/display.ts) labelled
 * `label`: it counts the runs as they finish at quick scale, and its final line counts the runs
 * the records actually hold (e.g. 81/100 for a partial paper-scale file) followed by the
 * provenance.
 */
export async function figureRecordsWithProgress<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  scale: Scale,
  opts: { resume?: boolean; overrides?: Record<string, unknown>; label?: string } = {},
): Promise<FigureRecords<P, S>> {
  const bar = progress(opts.label ?? def.name, def.points(scale).length);
  const r = await figureRecords(def, scale, (done) => void bar.update(done), opts);
  await bar.done(r.provenance, r.records.length);
  return r;
}
