/**
 * Figure 7 learning-rate summary protocol (docs/ghost-mechanism.md §2.5, §3 Figure 7): full-rank
 * RNNs on DCDT and DMTS (stimulus 30 ms, delay 80 ms, response 50 ms, one trial per type, no
 * noise, r₀ = 0), SGD, lr ∈ logspace(−3, 1, 20), 20 seeds, 20 000 epochs. Each run records the
 * time-averaged loss, recurrent gradient norm ‖∇W‖_F and weight norm ‖W‖_F over all epochs, and
 * compact log-sampled curves of the three (for the "one successful and one stuck run at the same
 * lr" panels).
 *
 * @module
 */

import { byScale, type Scale } from "../config.ts";
import { logspace } from "../numeric.ts";
import { train } from "../rnn/train.ts";
import type { WorkingMemorySpec } from "../tasks/mod.ts";
import type { SweepDefinition } from "../sweep/mod.ts";
import { everyNth, logEpochs } from "./common.ts";

/** One run of the Fig 7 sweep. */
export interface Fig7Point extends Record<string, unknown> {
  task: "dcdt" | "dmts";
  lr: number;
  seed: number;
}

/** What one run records. */
export interface Fig7Summary {
  status: "ok" | "diverged";
  /** Number of epochs run (= config epochs unless diverged). */
  epochsRun: number;
  /** Time averages over the epochs run: loss, ‖∇W‖_F, ‖W‖_F. */
  meanLoss: number;
  meanGradNorm: number;
  meanWeightNorm: number;
  /** Loss, ‖∇W‖_F and ‖W‖_F at `config.curveEpochs` (those reached). */
  curve: { epoch: number[]; loss: number[]; gradNorm: number[]; weightNorm: number[] };
}

/** The task of the Fig 7 sweeps (§2.5): 30/80/50 ms windows, Δt = 5 ms, no noise, r₀ = 0. */
export function fig7Task(name: "dcdt" | "dmts"): WorkingMemorySpec {
  return {
    name,
    inputMs: 30,
    delayMs: 80,
    responseMs: 50,
    trialsPerType: 1,
    noiseSigma: 0,
    rateSigma: 0,
  };
}

/** The paper's learning-rate grid of Fig 7, logspace(−3, 1, 20). */
export const FIG7_LRS = logspace(-3, 1, 20);

/** The reference code's case-study learning rates: DCDT index 12, DMTS index 15 of FIG7_LRS. */
export const FIG7_CASE_LR_INDEX = { dcdt: 12, dmts: 15 } as const;

function grid(scale: Scale) {
  return byScale({
    quick: { lrs: everyNth(FIG7_LRS, 0, 3), seeds: 3, epochs: 2000 },
    paper: { lrs: FIG7_LRS, seeds: 20, epochs: 20_000 },
  }, scale);
}

function mean(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The Fig 7 lr-summary sweep (DCDT and DMTS). */
export const sweep: SweepDefinition<Fig7Point, Fig7Summary> = {
  name: "fig7-lr",
  description: "Fig 7: full-rank DCDT and DMTS, time-averaged loss and ‖∇W‖ vs learning rate, SGD",
  points(scale) {
    const g = grid(scale);
    return (["dcdt", "dmts"] as const).flatMap((task) =>
      g.lrs.flatMap((lr) => Array.from({ length: g.seeds }, (_, seed) => ({ task, lr, seed })))
    );
  },
  config(scale) {
    const { epochs } = grid(scale);
    return {
      model: { kind: "fullRank" },
      tasks: { dcdt: fig7Task("dcdt"), dmts: fig7Task("dmts") },
      optimizer: "sgd",
      epochs,
      curveEpochs: logEpochs(epochs - 1, 60),
    };
  },
  run(point, config) {
    const tasks = config.tasks as Record<string, WorkingMemorySpec>;
    const r = train({
      model: { kind: "fullRank" },
      task: tasks[point.task],
      seed: point.seed,
      lr: point.lr,
      epochs: config.epochs as number,
      record: { every: 1 },
    });
    const h = r.history;
    const want = new Set(config.curveEpochs as number[]);
    const idx = h.epoch.flatMap((e, i) => (want.has(e) ? [i] : []));
    return {
      status: r.status,
      epochsRun: r.epochsRun,
      meanLoss: mean(h.loss),
      meanGradNorm: mean(h.recGradNorm),
      meanWeightNorm: mean(h.recWeightNorm),
      curve: {
        epoch: idx.map((i) => h.epoch[i]),
        loss: idx.map((i) => h.loss[i]),
        gradNorm: idx.map((i) => h.recGradNorm[i]),
        weightNorm: idx.map((i) => h.recWeightNorm[i]),
      },
    };
  },
};
