/**
 * How the notebooks get a figure's sweep records: at quick scale they run the sweep afresh (into
 * `build/sweeps/<name>.quick.jsonl`, with a progress callback; `resume: true` keeps the records
 * already there — their config hash does not cover code changes); at paper scale they load the
 * committed `data/results/<name>.jsonl` when its config hash matches (never running anything)
 * and report how complete it is and how long its runs took.
 *
 * @module
 */

import type { Scale } from "../config.ts";
import {
  defaultSweepFile,
  loadSweep,
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
  /** One markdown sentence: source file, coverage and run time. */
  provenance: string;
}

/**
 * Records of `def` at `scale`: runs the quick-scale points (calling `onProgress(done, total)`;
 * with `opts.resume` only those missing from the quick file), or loads the paper-scale file. A paper-scale file that is missing or of
 * another config gives zero records (the provenance says so), never a silent rerun.
 */
export async function figureRecords<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  scale: Scale,
  onProgress?: (done: number, total: number) => void,
  opts: { resume?: boolean } = {},
): Promise<FigureRecords<P, S>> {
  if (scale === "quick") {
    const t0 = performance.now();
    if (!opts.resume) {
      const file = defaultSweepFile(def.name, scale);
      for (const f of [file, timingFile(file)]) {
        try {
          await Deno.remove(f);
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
      }
    }
    const o = await runSweepDefinition(def, { scale, onProgress, discardStale: true });
    const seconds = (performance.now() - t0) / 1000;
    return {
      records: o.records,
      total: o.total,
      complete: o.complete,
      file: o.file,
      configHash: o.configHash,
      seconds,
      provenance: `quick scale: ${o.records.length}/${o.total} runs of \`${def.name}\` ` +
        `(${o.computed} computed now, ${o.reused} reused from \`build/sweeps/\`), ` +
        `${seconds.toFixed(1)} s in this notebook`,
    };
  }
  const l = await loadSweep(def, scale);
  const rel = l.file.slice(l.file.lastIndexOf("data/results/"));
  const status = l.complete ? "complete" : `**partial: ${l.records.length} of ${l.total} runs**`;
  return {
    records: l.records,
    total: l.total,
    complete: l.complete,
    file: l.file,
    configHash: l.configHash,
    seconds: l.seconds,
    provenance: `paper scale: \`${rel}\` (config hash \`${l.configHash}\`), ${status}` +
      (l.stale > 0 ? `, ${l.stale} records of another config ignored` : "") +
      `; its runs took ${(l.seconds / 3600).toFixed(2)} h of wall-clock run time in all`,
  };
}
