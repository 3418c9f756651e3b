/**
 * Resumable glassy experiments (docs/glassy-dynamics.md §5–7): learning curves over a ladder of
 * (d, w), and aging runs that track Δ(τ_w, τ) for several waiting times in one training run. Their
 * result files (config, config hash, `partial` flag) are written with `lib/sweep/results.ts`.
 *
 * Aging in one run [inferred, equivalent in distribution to the reference]: the reference script
 * restarts SGD from a checkpoint saved at τ_w; here the weights at τ_w are stored while the same
 * run continues (constant η after the warm-up, M re-orthogonalised every 200 steps, fresh
 * minibatches), so all waiting times share one trajectory. Waiting times are given in steps and
 * must be multiples of the orth interval, so that, as in the reference, M is re-orthogonalised at
 * the first aging step; σ² blocks always start at τ_w.
 *
 * @module
 */

import type { ChoraleData } from "./data.ts";
import { type AgingRecord, AgingTracker, type AgingTrackerState } from "./aging.ts";
import { type CollapseMeasure, collapseMeasure } from "./analysis.ts";
import { fullConfig, type FullTrainConfig, type TrainConfig, type TrainRecord } from "./config.ts";
import { GlassyTrainer } from "./trainer.ts";
import { requireInteger, requirePositive } from "../validate.ts";
import type { EngineName } from "./engine.ts";

/** A learning curve (§5, F1): losses vs τ for one (d, w). */
export interface LearningCurve {
  config: FullTrainConfig;
  /** Steps requested. */
  steps: number;
  /** Steps done (== steps unless interrupted). */
  done: number;
  /** Step index, τ, training and test loss (bits/unit) of every record. */
  step: number[];
  tau: number[];
  train: number[];
  test: number[];
}

/** Options shared by the runners. */
export interface RunOptions {
  /** Checkpoint file; if it exists the run resumes from it. */
  checkpoint?: string;
  /** Save a checkpoint every this many steps (default 10 000; only with `checkpoint`). */
  checkpointEvery?: number;
  /** Called after each record. */
  onRecord?: (r: TrainRecord) => void;
  /**
   * Stop early (checkpoint saved) when this returns true; checked every 100 steps, after yielding
   * to the event loop so that signal handlers can run.
   */
  shouldStop?: () => boolean;
  /** Compute engine (default "simd"). */
  engine?: EngineName;
  /** {@linkcode runAging} only: pause (checkpoint saved) once this many steps are done. */
  untilStep?: number;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function curveOf(tr: GlassyTrainer, steps: number): LearningCurve {
  const r = tr.records;
  return {
    config: tr.config,
    steps,
    done: tr.steps,
    step: r.map((x) => x.step),
    tau: r.map((x) => x.tau),
    train: r.map((x) => x.train),
    test: r.map((x) => x.test),
  };
}

/**
 * Trains one (d, w) network for `steps` SGD steps (§4) and returns its learning curve. With a
 * checkpoint file the run saves periodically and resumes where it stopped.
 */
export async function runLearningCurve(
  data: ChoraleData,
  config: TrainConfig,
  steps: number,
  opts: RunOptions = {},
): Promise<LearningCurve> {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`steps must be an integer >= 1, got ${steps}`);
  }
  const c = fullConfig(config);
  const every = opts.checkpointEvery ?? 10000;
  let tr: GlassyTrainer;
  if (opts.checkpoint && (await fileExists(opts.checkpoint))) {
    tr =
      (await GlassyTrainer.fromCheckpoint(data, await Deno.readFile(opts.checkpoint), opts.engine))
        .trainer;
    if (JSON.stringify(tr.config) !== JSON.stringify(c)) {
      tr.dispose();
      throw new Error(`checkpoint ${opts.checkpoint} has a different config; delete it to restart`);
    }
  } else {
    tr = await GlassyTrainer.create(data, c, opts.engine);
  }
  try {
    while (tr.steps < steps) {
      const r = tr.step();
      if (r && opts.onRecord) opts.onRecord(r);
      if (opts.checkpoint && (tr.steps % every === 0 || tr.steps === steps)) {
        await tr.saveCheckpoint(opts.checkpoint);
      }
      if (opts.shouldStop && tr.steps % 100 === 0) {
        await yieldToEventLoop(); // lets signal handlers run
        if (opts.shouldStop()) {
          if (opts.checkpoint) await tr.saveCheckpoint(opts.checkpoint);
          break;
        }
      }
    }
    return curveOf(tr, steps);
  } finally {
    tr.dispose();
  }
}

/** Configuration of an aging run (§6). */
export interface AgingConfig {
  /** Training configuration (the aging part uses the same η0, batch size and orth interval). */
  train: TrainConfig;
  /** Waiting times in steps (τ_w is the learning time after that many steps). */
  waitSteps: number[];
  /** Each aging run lasts `agingFactor × waitSteps` steps (default 4). */
  agingFactor?: number;
  /** σ² re-estimation interval in aging steps (default 2000). */
  noiseInterval?: number;
  /** Record Δ every this many aging steps (default 500). */
  recordInterval?: number;
}

/** One aging curve Δ(τ_w, τ) (§6, F4–F6). */
export interface AgingCurve extends AgingRecord {
  /** τ_w. */
  tauW: number;
  /** Waiting time in steps. */
  waitSteps: number;
  /** Training loss (bits/unit) at the record points where the trainer recorded it, else null. */
  loss: (number | null)[];
}

/** Result of {@linkcode runAging}. */
export interface AgingResult {
  config: {
    train: FullTrainConfig;
    waitSteps: number[];
    agingFactor: number;
    noiseInterval: number;
    recordInterval: number;
  };
  /** Total steps requested and done. */
  steps: number;
  done: number;
  /** One curve per waiting time that has started (in waitSteps order). */
  curves: AgingCurve[];
  /** The learning curve of the underlying run. */
  learning: LearningCurve;
}

/**
 * Trains one network and measures Δ(τ_w, τ) (§6) for every waiting time in one run: at step
 * `waitSteps[k]` the weights are stored, and the tracker runs for `agingFactor × waitSteps[k]`
 * steps. Resumable through `opts.checkpoint` (tracker states travel in the checkpoint).
 */
export async function runAging(
  data: ChoraleData,
  cfg: AgingConfig,
  opts: RunOptions = {},
): Promise<AgingResult> {
  const train = fullConfig(cfg.train);
  const agingFactor = cfg.agingFactor ?? 4;
  const noiseInterval = cfg.noiseInterval ?? 2000;
  const recordInterval = cfg.recordInterval ?? 500;
  requirePositive("agingFactor", agingFactor);
  requireInteger("noiseInterval", noiseInterval, 1);
  requireInteger("recordInterval", recordInterval, 1);
  if (cfg.waitSteps.length === 0) throw new RangeError("waitSteps must be non-empty");
  for (const w of cfg.waitSteps) {
    if (w < train.warmupSteps) {
      throw new RangeError(
        `waitSteps must be >= warmupSteps=${train.warmupSteps} (aging is measured at constant η), ` +
          `got ${w}`,
      );
    }
    if (!Number.isInteger(w) || w < 1 || w % train.orthInterval !== 0) {
      throw new RangeError(
        `waitSteps must be positive multiples of orthInterval=${train.orthInterval} (so that M is ` +
          `re-orthogonalised at the first aging step, as in the reference), got ${w}`,
      );
    }
  }
  const ends = cfg.waitSteps.map((w) => w + Math.round(agingFactor * w));
  const total = Math.max(...ends);
  const every = opts.checkpointEvery ?? 10000;
  let tr: GlassyTrainer;
  let trackers: (AgingTracker | null)[] = cfg.waitSteps.map(() => null);
  const agingKey = { waitSteps: cfg.waitSteps, agingFactor, noiseInterval, recordInterval };
  if (opts.checkpoint && (await fileExists(opts.checkpoint))) {
    const r = await GlassyTrainer.fromCheckpoint(
      data,
      await Deno.readFile(opts.checkpoint),
      opts.engine,
    );
    tr = r.trainer;
    // extra: { aging, trackers } (older checkpoints: the trackers array alone)
    const extra = r.extra as
      | { aging: unknown; trackers: (AgingTrackerState | null)[] }
      | (AgingTrackerState | null)[];
    const saved = Array.isArray(extra) ? extra : extra.trackers;
    const sameAging = Array.isArray(extra)
      ? saved.length === cfg.waitSteps.length
      : JSON.stringify(extra.aging) === JSON.stringify(agingKey);
    if (JSON.stringify(tr.config) !== JSON.stringify(train) || !sameAging) {
      tr.dispose();
      throw new Error(`checkpoint ${opts.checkpoint} has a different config; delete it to restart`);
    }
    trackers = saved.map((s) => (s ? AgingTracker.fromJSON(s) : null));
  } else {
    tr = await GlassyTrainer.create(data, train, opts.engine);
  }
  const save = async () => {
    if (opts.checkpoint) {
      await tr.saveCheckpoint(opts.checkpoint, {
        aging: agingKey,
        trackers: trackers.map((t) => (t ? t.toJSON() : null)),
      });
    }
  };
  try {
    const until = Math.min(total, opts.untilStep ?? total);
    while (tr.steps < until) {
      const s = tr.steps;
      const r = tr.step();
      if (r && opts.onRecord) opts.onRecord(r);
      let sigma2: number | undefined;
      let weights: Float64Array | undefined;
      trackers.forEach((t, k) => {
        if (!t || s >= ends[k]) return;
        if (t.needsNoise(s)) sigma2 ??= tr.noiseVariance(tr.eta(s));
        if (t.needsWeights(s)) weights ??= tr.weights();
        t.observe(s, tr.tau - t.tauW, sigma2, weights);
      });
      cfg.waitSteps.forEach((w, k) => {
        if (tr.steps === w && !trackers[k]) {
          trackers[k] = new AgingTracker(tr.weights(), tr.tau, w, noiseInterval, recordInterval);
        }
      });
      if (tr.steps % every === 0 || tr.steps === until) await save();
      if (opts.shouldStop && tr.steps % 100 === 0) {
        await yieldToEventLoop(); // lets signal handlers run
        if (opts.shouldStop()) {
          await save();
          break;
        }
      }
    }
    const lossAt = new Map(tr.records.map((x) => [x.step, x.train]));
    const curves: AgingCurve[] = [];
    trackers.forEach((t, k) => {
      if (!t) return;
      const rec = t.record;
      curves.push({
        ...structuredClone(rec),
        tauW: t.tauW,
        waitSteps: cfg.waitSteps[k],
        loss: rec.steps.map((j) => lossAt.get(t.stepW + j - 1) ?? null),
      });
    });
    return {
      config: { train, waitSteps: cfg.waitSteps, agingFactor, noiseInterval, recordInterval },
      steps: total,
      done: tr.steps,
      curves,
      learning: curveOf(tr, total),
    };
  } finally {
    tr.dispose();
  }
}

/** Options for {@linkcode runWidthLadder}. */
export interface LadderOptions {
  /** Called after each finished run (progress). */
  onRun?: (c: LearningCurve) => void;
  /** Compute engine (default "simd"). */
  engine?: EngineName;
}

/**
 * Learning curves for a ladder of widths at one depth (F1 of §7), each `steps` long, with the
 * shared training settings `base`.
 */
export async function runWidthLadder(
  data: ChoraleData,
  base: Omit<TrainConfig, "depth" | "width">,
  depth: number,
  widths: number[],
  steps: number,
  opts: LadderOptions = {},
): Promise<LearningCurve[]> {
  const out: LearningCurve[] = [];
  for (const width of widths) {
    const c = await runLearningCurve(data, { ...base, depth, width }, steps, {
      engine: opts.engine,
    });
    opts.onRun?.(c);
    out.push(c);
  }
  return out;
}

/** Collapse of the aging curves of one run (§6.6). */
export interface AgingCollapse {
  /** Collapse of Δ vs (τ − τ_w)/τ_w (aging scaling). */
  scaled: CollapseMeasure;
  /** Collapse of Δ vs τ − τ_w (no scaling), for comparison. */
  elapsed: CollapseMeasure;
}

/**
 * Quantitative collapse measures (see {@linkcode collapseMeasure}) of Δ vs (τ − τ_w)/τ_w and, for
 * comparison, vs τ − τ_w, over the curves of one aging run.
 */
export function agingCollapse(res: AgingResult, points = 40): AgingCollapse {
  const scaled = res.curves.map((c) => ({ x: c.elapsed.map((t) => t / c.tauW), y: c.delta }));
  const elapsed = res.curves.map((c) => ({ x: c.elapsed, y: c.delta }));
  return { scaled: collapseMeasure(scaled, points), elapsed: collapseMeasure(elapsed, points) };
}
