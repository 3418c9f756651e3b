/**
 * Figure 3 and Figure 7 (saturation) protocols: the rank-one RNN on the delayed-activation task
 * (docs/ghost-mechanism.md §2.1, §3 Fig 3) — the long lr 0.003 run with its flows, ghost and
 * fixed-point count, the lr 0.02 jump back into the no-learning zone, the statistics over seeds —
 * and the full-rank DMTS saturation analysis (§2.5, §3 Fig 7).
 *
 * @module
 */

import {
  countSignChanges,
  PAPER_KAPPA_GRID,
  rankOneFlow,
  train,
  trainEnsemble,
  type TrainOptions,
  type TrainResult,
} from "../rnn/mod.ts";
import { makeTask } from "../tasks/mod.ts";
import { linspace } from "../numeric.ts";
import { requireInteger, requirePositive } from "../validate.ts";
import { type PathBottleneck, pathBottleneck } from "./ghost_timing.ts";

/** The delayed-activation task of Fig 3 (T = 20, x0 = −0.3; §2.1). */
const FIG3_TASK = { name: "delayed-activation", T: 20 } as const;

/** Options of a Fig 3 rank-one run (seed 40 as in the reference code, §2.1). */
export function fig3Options(
  p: { lr: number; epochs: number; every: number; seed?: number; flowAt?: number[] },
): TrainOptions {
  return {
    model: { kind: "rankOne" },
    task: { ...FIG3_TASK },
    seed: p.seed ?? 40,
    lr: p.lr,
    epochs: p.epochs,
    record: {
      every: p.every,
      flowAt: p.flowAt ?? [],
      checkpoints: p.flowAt ?? [],
      states: p.flowAt ?? [],
      flowSignChanges: true,
    },
  };
}

/** The ghost analysis of one saved epoch of a rank-one run (Fig 3b). */
export interface GhostCrossing {
  epoch: number;
  /** κ0 of the trial. */
  kappa0: number;
  bottleneck: PathBottleneck;
  /** Measured: the first step t with κ_t > θ (null if never within the trial). */
  measuredStep: number | null;
  /**
   * Predicted by the ghost alone: the bottleneck passage π/√(ab) of the canonical form
   * (docs/ghost-mechanism.md §1.1) in update steps, π/(α√(ab)); NaN without a ghost.
   */
  ghostSteps: number;
  /**
   * Predicted by the whole flow: the continuous-time crossing time ∫_{κ0}^{θ} dκ / (α F(κ))
   * (trapezoid rule on 2000 points); NaN if F ≤ 0 on the path.
   */
  flowSteps: number;
}

/**
 * Ghost, predicted and measured threshold crossing of a saved epoch of a rank-one run
 * (docs/ghost-mechanism.md §2.1, §1.1). `alpha` is the leak (0.5) and `threshold` θ (1).
 */
export function ghostCrossing(
  res: TrainResult,
  epoch: number,
  alpha = 0.5,
  threshold = 1,
): GhostCrossing {
  const ck = res.checkpoints.find((c) => c.epoch === epoch);
  const st = res.states.find((s) => s.epoch === epoch);
  if (!ck || !st) {
    throw new RangeError(
      `epoch ${epoch} was not saved (add it to record.checkpoints and record.states)`,
    );
  }
  const kap = st.trajectory, kappa0 = kap[0];
  const bottleneck = pathBottleneck(ck.params as never, kappa0, { threshold });
  const t = kap.findIndex((k) => k > threshold);
  const { m, n, b } = ck.params;
  let flowSteps = NaN;
  if (kappa0 < threshold) {
    const ks = linspace(kappa0, threshold, 2000), F = rankOneFlow(m, n, b, ks);
    if (F.every((f) => f > 0)) {
      flowSteps = 0;
      for (let i = 1; i < ks.length; i++) {
        flowSteps += (ks[i] - ks[i - 1]) * (1 / F[i] + 1 / F[i - 1]) / 2;
      }
      flowSteps /= alpha;
    }
  }
  return {
    epoch,
    kappa0,
    bottleneck,
    measuredStep: t < 0 ? null : t,
    ghostSteps: bottleneck.passageTime / alpha,
    flowSteps,
  };
}

/** The epoch e whose loss rises most to epoch e + 1 (the jump of Fig 3c / Fig 7), recorded every epoch. */
export function largestJump(res: TrainResult): { epoch: number; rise: number } {
  const h = res.history;
  let best = -Infinity, at = -1;
  for (let i = 1; i < h.loss.length; i++) {
    if (h.epoch[i] !== h.epoch[i - 1] + 1) continue;
    const d = h.loss[i] - h.loss[i - 1];
    if (d > best) [best, at] = [d, h.epoch[i - 1]];
  }
  if (at < 0) throw new RangeError("largestJump needs a history recorded every epoch");
  return { epoch: at, rise: best };
}

/**
 * The epoch e ≥ `from` after which the recurrent gradient norm collapses most in one step
 * (largest log10(‖∇W‖_e / ‖∇W‖_{e+1}); the Fig 7 saturation jump), recorded every epoch.
 */
function largestCollapse(res: TrainResult, from = 100): { epoch: number; decades: number } {
  const h = res.history, g = h.recGradNorm;
  let best = -Infinity, at = -1;
  for (let i = 0; i + 1 < g.length; i++) {
    if (h.epoch[i] < from || h.epoch[i + 1] !== h.epoch[i] + 1) continue;
    const d = Math.log10(g[i] / g[i + 1]);
    if (d > best) [best, at] = [d, h.epoch[i]];
  }
  if (at < 0) {
    throw new RangeError(`largestCollapse needs a history recorded every epoch beyond ${from}`);
  }
  return { epoch: at, decades: best };
}

/** Per-seed summary of the Fig 3 statistics (lr 0.02; docs/ghost-mechanism.md §2.1, §3 Fig 8B). */
export interface SeedSummary {
  seed: number;
  finalLoss: number;
  finalAccuracy: number;
  /** Largest accuracy over the run. */
  maxAccuracy: number;
  finalGradNorm: number;
  /** Outputs o_t (t = 1…2T) of the last epoch. */
  outputs: number[];
  /** Number of sign changes of F(κ) on linspace(−15, 15, 1000) at the end (= fixed points). */
  fixedPoints: number;
  /** The path bottleneck of the final flow from κ0 to θ. */
  bottleneck: PathBottleneck["kind"];
  /**
   * "stuck": the final output stays below 0.5 at every step (accuracy 0.5, the confident-wrong
   * no-learning state of §1.4); "learned": final accuracy 1; "partial": anything else.
   */
  outcome: "stuck" | "learned" | "partial";
}

/**
 * Trains `seeds` rank-one networks at one learning rate (Fig 3 statistics / Fig 8B selection,
 * docs/ghost-mechanism.md §2.1) and summarises each: outcome, outputs, gradient norm, fixed points.
 */
export function seedStatistics(
  seeds: number[],
  p: { lr: number; epochs: number; every?: number },
): SeedSummary[] {
  requirePositive("lr", p.lr);
  requireInteger("epochs", p.epochs, 1);
  const last = p.epochs - 1;
  const runs = trainEnsemble(
    {
      model: { kind: "rankOne" },
      task: { ...FIG3_TASK },
      epochs: p.epochs,
      record: { every: p.every ?? 10, checkpoints: [last], states: [last] },
    },
    seeds.map((seed) => ({ seed, lr: p.lr })),
  );
  const grid = linspace(PAPER_KAPPA_GRID.min, PAPER_KAPPA_GRID.max, PAPER_KAPPA_GRID.n);
  return runs.map((r, i) => {
    const h = r.history, ck = r.checkpoints[0], st = r.states[0];
    const { m, n, b } = ck.params;
    const outputs = st.outputs;
    const acc = h.accuracy[h.accuracy.length - 1];
    const outcome = outputs.every((o) => o < 0.5) ? "stuck" : acc === 1 ? "learned" : "partial";
    return {
      seed: seeds[i],
      finalLoss: h.loss[h.loss.length - 1],
      finalAccuracy: acc,
      maxAccuracy: Math.max(...h.accuracy),
      finalGradNorm: h.gradNorm[h.gradNorm.length - 1],
      outputs,
      fixedPoints: countSignChanges(rankOneFlow(m, n, b, grid)),
      bottleneck: pathBottleneck(ck.params as never, st.trajectory[0]).kind,
      outcome,
    };
  });
}

/**
 * The Fig 7 DMTS sweep setting (docs/ghost-mechanism.md §2.5): full rank, no noise, r0 = 0, one
 * trial per type, stimulus 30 ms, delay 80 ms, response 50 ms, SGD.
 */
function fig7Options(
  p: { seed: number; lr: number; epochs: number; states?: number[] },
): TrainOptions {
  return {
    model: { kind: "fullRank" },
    task: { name: "dmts", inputMs: 30, delayMs: 80, responseMs: 50 },
    seed: p.seed,
    lr: p.lr,
    epochs: p.epochs,
    record: { every: 1, states: p.states ?? [] },
  };
}

/** Firing rates and outputs of one trial before and after the Fig 7 jump. */
export interface SaturationSnapshot {
  epoch: number;
  loss: number;
  /** All rates r_t,i of trial `trial` (t = 0…steps, i = 1…N). */
  rates: number[];
  /** Outputs of the trial (length steps) and its targets. */
  outputs: number[];
  targets: number[];
}

/**
 * The Fig 7 saturation analysis (docs/ghost-mechanism.md §2.5, §3 Fig 7): trains the DMTS network,
 * finds the epoch J (≥ `from`, default 100) after which ‖∇W‖ collapses most in one step
 * (`largestCollapse`), re-runs it (deterministic) saving epochs J − 1, J and J + 1, and
 * returns the rates and outputs of one trial at each.
 */
export function saturationAnalysis(
  p: { seed: number; lr: number; epochs: number; trial?: number; from?: number },
): { run: TrainResult; jump: { epoch: number; decades: number }; snapshots: SaturationSnapshot[] } {
  const first = train(fig7Options(p));
  const jump = largestCollapse(first, p.from);
  const at = [jump.epoch - 1, jump.epoch, jump.epoch + 1].filter((e) => e >= 0);
  const run = train(fig7Options({ ...p, states: at }));
  const task = makeTask(run.options.task);
  const trial = p.trial ?? 0, B = task.batch, S = task.steps;
  const N = run.states[0].shape[2];
  const snapshots = run.states.map((s) => {
    const rates: number[] = [], outputs: number[] = [], targets: number[] = [];
    for (let t = 0; t <= S; t++) {
      for (let i = 0; i < N; i++) rates.push(s.trajectory[(t * B + trial) * N + i]);
    }
    for (let t = 0; t < S; t++) {
      outputs.push(s.outputs[t * B + trial]);
      targets.push(task.targets[t * B + trial]);
    }
    return { epoch: s.epoch, loss: s.loss, rates, outputs, targets };
  });
  return { run, jump, snapshots };
}

/**
 * {@linkcode train} in chunks of `chunk` epochs, resuming from the saved parameters and optimiser
 * state (same numbers as one call), calling `onChunk(epochsDone)` after each — for progress lines.
 */
export async function trainInChunks(
  options: TrainOptions,
  chunk: number,
  onChunk: (done: number) => unknown,
): Promise<TrainResult> {
  requireInteger("chunk", chunk, 1);
  let res: TrainResult | null = null;
  const e0 = options.init?.epoch ?? 0;
  for (let done = 0; done < options.epochs;) {
    const n = Math.min(chunk, options.epochs - done);
    const part = train({
      ...options,
      epochs: n,
      init: res === null
        ? options.init
        : { params: res.final.params, optimizer: res.final.optimizer, epoch: e0 + done },
    });
    if (res === null) res = part;
    else {
      for (const k of Object.keys(res.history) as (keyof TrainResult["history"])[]) {
        res.history[k].push(...part.history[k]);
      }
      res.checkpoints.push(...part.checkpoints);
      res.states.push(...part.states);
      res.flows.push(...part.flows);
      res.epochsRun += part.epochsRun;
      res.final = part.final;
      res.status = part.status;
      res.divergedAt = part.divergedAt;
    }
    done += n;
    await onChunk(done);
    if (part.status === "diverged") break;
  }
  if (res === null) res = train(options);
  res.options = options;
  return res;
}
