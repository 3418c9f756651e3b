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
import type { RunContext } from "../sweep/checkpoint.ts";
import { readBytesIfExists, writeFileAtomic } from "../sweep/results.ts";

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

/**
 * Where a resumable run keeps its checkpoint ({@linkcode GlassyTrainer.checkpointBytes}): a file
 * ({@linkcode fileCheckpoints}) or a sweep's run context (`lib/glassy/sweeps.ts`).
 */
export interface CheckpointStore {
  /** A human-readable name for messages (e.g. the file path). */
  name: string;
  /** The bytes saved last, or null (a fresh start). */
  load(): Promise<Uint8Array | null>;
  /** Whether to save now, after `steps` steps; `last` is true at the run's (or chunk's) last step. */
  due(steps: number, last: boolean): boolean;
  /** Saves the checkpoint bytes, with the result so far and its coverage (steps `done` of `total`). */
  save(
    bytes: Uint8Array,
    progress: { done: number; total: number; summary: unknown },
  ): Promise<void>;
}

/** A checkpoint file saved every `every` steps and at the last step; resumed when it exists. */
export function fileCheckpoints(path: string, every = 10_000): CheckpointStore {
  requireInteger("checkpointEvery", every, 1);
  return {
    name: path,
    load: () => readBytesIfExists(path),
    due: (steps, last) => last || steps % every === 0,
    save: (bytes) => writeFileAtomic(path, bytes),
  };
}

/**
 * The checkpoint store of a run inside a sweep (`lib/sweep`): the bytes travel base64-encoded in
 * the run context's state file, saved whenever the context's save interval has passed, with the
 * result so far as the point's in-progress record (coverage in steps).
 */
export function contextCheckpoints(ctx: RunContext, name: string): CheckpointStore {
  return {
    name,
    async load() {
      const state = (await ctx.load()) as { checkpoint?: string } | null;
      return typeof state?.checkpoint === "string" ? Uint8Array.fromBase64(state.checkpoint) : null;
    },
    // not at the last step: the sweep appends the run's record right after it
    due: () => ctx.due(),
    save: (bytes, p) =>
      ctx.save({ checkpoint: bytes.toBase64() }, {
        done: p.done,
        total: p.total,
        unit: "steps",
        summary: p.summary,
      }),
  };
}

/** Options shared by the runners. */
export interface RunOptions {
  /**
   * Checkpoint file (resumed from if it exists; saved every `checkpointEvery` steps) or any
   * {@linkcode CheckpointStore}.
   */
  checkpoint?: string | CheckpointStore;
  /** Save a checkpoint file every this many steps (default 10 000; only with a file path). */
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

function storeOf(opts: RunOptions): CheckpointStore | null {
  const c = opts.checkpoint;
  if (c === undefined) return null;
  return typeof c === "string" ? fileCheckpoints(c, opts.checkpointEvery ?? 10_000) : c;
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
  const store = storeOf(opts);
  const saved = store ? await store.load() : null;
  let tr: GlassyTrainer;
  if (saved) {
    tr = (await GlassyTrainer.fromCheckpoint(data, saved, opts.engine)).trainer;
    if (JSON.stringify(tr.config) !== JSON.stringify(c)) {
      tr.dispose();
      throw new Error(`checkpoint ${store!.name} has a different config; delete it to restart`);
    }
  } else {
    tr = await GlassyTrainer.create(data, c, opts.engine);
  }
  const save = () =>
    store!.save(tr.checkpointBytes(), {
      done: tr.steps,
      total: steps,
      summary: curveOf(tr, steps),
    });
  try {
    while (tr.steps < steps) {
      const r = tr.step();
      if (r && opts.onRecord) opts.onRecord(r);
      if (store && store.due(tr.steps, tr.steps === steps)) await save();
      if (opts.shouldStop && tr.steps % 100 === 0) {
        await yieldToEventLoop(); // lets signal handlers run
        if (opts.shouldStop()) {
          if (store) await save();
          break;
        }
      }
    }
    return curveOf(tr, steps);
  } finally {
    tr.dispose();
  }
}

/** What {@linkcode testLossLag} measures: the two test losses at every record of one run. */
export interface TestLossLag {
  step: number[];
  /** The authors' test loss: test states relaxed one sweep per step (§4.7). */
  relaxed: number[];
  /** The exact test loss for the same weights (Eq. (4.7.1)). */
  exact: number[];
  /** max |exact − relaxed| over the records (bits/unit). */
  maxLag: number;
  /** The step of the record where it occurs. */
  maxLagStep: number;
}

/**
 * The lag of the authors' relaxed test states (docs/glassy-dynamics.md §4.7): trains `steps`
 * steps with per-step test relaxation and, at every record, also evaluates the test loss exactly
 * (Eq. (4.7.1)) for the same weights. What separates a run with `testStates: "exact"` from the
 * authors' procedure is exactly this difference (the training itself is bit for bit the same).
 */
export async function testLossLag(
  data: ChoraleData,
  config: TrainConfig,
  steps: number,
  engine?: EngineName,
): Promise<TestLossLag> {
  requireInteger("steps", steps, 1);
  if (config.testStates === "exact") {
    throw new RangeError('testLossLag needs the relaxed test states, got testStates: "exact"');
  }
  const tr = await GlassyTrainer.create(data, config, engine);
  const out: TestLossLag = { step: [], relaxed: [], exact: [], maxLag: 0, maxLagStep: 0 };
  try {
    tr.run(steps, (r) => {
      const exact = tr.exactTestLoss();
      out.step.push(r.step);
      out.relaxed.push(r.test);
      out.exact.push(exact);
      const lag = Math.abs(exact - r.test);
      if (lag > out.maxLag) {
        out.maxLag = lag;
        out.maxLagStep = r.step;
      }
    });
    return out;
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
  const store = storeOf(opts);
  const savedBytes = store ? await store.load() : null;
  let tr: GlassyTrainer;
  let trackers: (AgingTracker | null)[] = cfg.waitSteps.map(() => null);
  const agingKey = { waitSteps: cfg.waitSteps, agingFactor, noiseInterval, recordInterval };
  if (savedBytes) {
    const r = await GlassyTrainer.fromCheckpoint(data, savedBytes, opts.engine);
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
      throw new Error(`checkpoint ${store!.name} has a different config; delete it to restart`);
    }
    trackers = saved.map((s) => (s ? AgingTracker.fromJSON(s) : null));
  } else {
    tr = await GlassyTrainer.create(data, train, opts.engine);
  }
  const config = { train, waitSteps: cfg.waitSteps, agingFactor, noiseInterval, recordInterval };
  const result = (): AgingResult => {
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
    return { config, steps: total, done: tr.steps, curves, learning: curveOf(tr, total) };
  };
  const save = async () => {
    if (!store) return;
    const bytes = tr.checkpointBytes({
      aging: agingKey,
      trackers: trackers.map((t) => (t ? t.toJSON() : null)),
    });
    await store.save(bytes, { done: tr.steps, total, summary: result() });
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
      if (store && store.due(tr.steps, tr.steps === until)) await save();
      if (opts.shouldStop && tr.steps % 100 === 0) {
        await yieldToEventLoop(); // lets signal handlers run
        if (opts.shouldStop()) {
          await save();
          break;
        }
      }
    }
    return result();
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

/** The two verdicts of the scaling test (§6.6) on one aging run. */
export interface AgingVerdicts {
  /** τ/τ_w scaling collapses the curves better than the elapsed time τ − τ_w. */
  scalingCollapses: boolean;
  /** The scaled collapse is at least as good at short as at long times. */
  shortBetter: boolean;
}

/** The verdicts of {@linkcode AgingVerdicts} from a collapse measure. */
export function agingVerdicts(c: AgingCollapse): AgingVerdicts {
  return {
    scalingCollapses: c.scaled.spread < c.elapsed.spread,
    shortBetter: c.scaled.spreadShort <= c.scaled.spreadLong,
  };
}

/**
 * The verdicts of one aging run in words, with the spreads behind them (what notebook 09 prints,
 * docs/glassy-dynamics.md §6.6).
 */
export function describeAgingVerdicts(c: AgingCollapse): string {
  const v = agingVerdicts(c);
  return `τ/τ_w scaling ${
    v.scalingCollapses
      ? "collapses the curves better than"
      : "does **not** collapse the curves better than"
  } the raw elapsed time (spread ${c.scaled.spread.toFixed(3)} vs ${
    c.elapsed.spread.toFixed(3)
  }); the scaled collapse is better at ${v.shortBetter ? "short" : "long"} times ` +
    `(${c.scaled.spreadShort.toFixed(3)} short vs ${c.scaled.spreadLong.toFixed(3)} long)`;
}

/** Result of {@linkcode compareAging}. */
export interface AgingComparison {
  /** Collapse measures of the two runs (a, b). */
  collapse: [AgingCollapse, AgingCollapse];
  verdicts: [AgingVerdicts, AgingVerdicts];
  /** Eq. (6.8.1): both verdicts are the same for the two runs. */
  agree: boolean;
}

/**
 * Quick settings against paper settings for aging (docs/glassy-dynamics.md §6.8, Eq. (6.8.1)): two
 * aging runs of the same (d, w), each with at least two waiting times, agree when the scaling test
 * of §6.6 gives the same two verdicts for both — τ/τ_w scaling collapses better than the elapsed
 * time or not, and the scaled collapse is better at short times or not.
 *
 * @throws {RangeError} if either run has fewer than two aging curves or the runs differ in d or w.
 */
export function compareAging(a: AgingResult, b: AgingResult, points = 40): AgingComparison {
  for (const [name, r] of [["a", a], ["b", b]] as const) {
    if (r.curves.length < 2) {
      throw new RangeError(
        `compareAging: run ${name} needs at least 2 aging curves, got ${r.curves.length}`,
      );
    }
  }
  const [ta, tb] = [a.config.train, b.config.train];
  if (ta.depth !== tb.depth || ta.width !== tb.width) {
    throw new RangeError(
      `compareAging: the runs differ in (d, w): (${ta.depth}, ${ta.width}) vs (${tb.depth}, ${tb.width})`,
    );
  }
  const collapse: [AgingCollapse, AgingCollapse] = [
    agingCollapse(a, points),
    agingCollapse(b, points),
  ];
  const verdicts: [AgingVerdicts, AgingVerdicts] = [
    agingVerdicts(collapse[0]),
    agingVerdicts(collapse[1]),
  ];
  const agree = verdicts[0].scalingCollapses === verdicts[1].scalingCollapses &&
    verdicts[0].shortBetter === verdicts[1].shortBetter;
  return { collapse, verdicts, agree };
}
