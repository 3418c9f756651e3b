/**
 * Figure 6B protocol, "sloppy parameters" (docs/ghost-mechanism.md §2.3, §3 Figure 6): rank-K
 * RNNs on the delayed-activation task (T = 20), SGD, K ∈ {1, 2, 3, 4, 5, 10, 30, 50, 100},
 * lr ∈ logspace(−3, 0, 10), 10 seeds, 500 000 epochs. A run is *learned* when its final loss over
 * its initial loss is < 1e-2; the final loss is that of the parameters after the last step
 * ([inferred]: the reference code takes the last history row, one step earlier — the same at
 * 500 000 epochs). Each run also records loss/loss₀ at log-spaced epochs (the learning curves).
 * Training is float32 — the paper's PyTorch precision — in the fused f32x4 kernel (config
 * `kernel`; `--set kernel=f64x2` runs the float64 engine's numbers instead, ≈ 1.7× slower): single
 * trajectories depend on the precision (abrupt learning amplifies rounding), the learned
 * fractions do not beyond sampling noise (tests/rnn_fused_f32_test.ts).
 *
 * @module
 */

import { byScale, type Scale } from "../config.ts";
import { logspace } from "../numeric.ts";
import { trainEnsemble, type TrainOptions, type TrainResult } from "../rnn/train.ts";
import type { SweepDefinition } from "../sweep/mod.ts";
import type { RankKLanes } from "../rnn/rankk_wat.ts";
import { everyNth, groupBy, logEpochs, wilson } from "./common.ts";

/** One run of the Fig 6B sweep. */
export interface Fig6bPoint extends Record<string, unknown> {
  K: number;
  lr: number;
  seed: number;
}

/** What one run records. */
export interface Fig6bSummary {
  status: "ok" | "diverged";
  initialLoss: number;
  /** Loss after the last step (null if diverged). */
  finalLoss: number | null;
  /** finalLoss / initialLoss < 1e-2 (false if diverged). */
  learned: boolean;
  /** loss/loss₀ at `config.curveEpochs` (those reached). */
  curve: { epoch: number[]; ratio: number[] };
}

/** The paper's ranks of Fig 6B. */
export const FIG6B_RANKS = [1, 2, 3, 4, 5, 10, 30, 50, 100];
/** The paper's learning rates of Fig 6B, logspace(−3, 0, 10). */
export const FIG6B_LRS = logspace(-3, 0, 10);
/** The success criterion of Fig 6B: final/initial loss below this. */
export const LEARNED_RATIO = 1e-2;

function grid(scale: Scale) {
  return byScale({
    quick: { Ks: [1, 2, 5, 30], lrs: everyNth(FIG6B_LRS, 2, 3), seeds: 3, epochs: 20_000 },
    paper: { Ks: FIG6B_RANKS, lrs: FIG6B_LRS, seeds: 10, epochs: 500_000 },
  }, scale);
}

/** The Fig 6B rank sweep. */
export const sweep: SweepDefinition<Fig6bPoint, Fig6bSummary> = {
  name: "fig6b-rank",
  description: "Fig 6B: fraction of learned rank-K RNNs (final/initial loss < 1e-2) vs K and lr",
  points(scale) {
    const g = grid(scale);
    return g.Ks.flatMap((K) =>
      g.lrs.flatMap((lr) => Array.from({ length: g.seeds }, (_, seed) => ({ K, lr, seed })))
    );
  },
  config(scale) {
    const { epochs } = grid(scale);
    return {
      model: { kind: "rankK" },
      task: { name: "delayed-activation", T: 20 },
      optimizer: "sgd",
      epochs,
      learnedRatio: LEARNED_RATIO,
      curveEpochs: logEpochs(epochs - 1, 60),
      kernel: "f32x4",
    };
  },
  run: (point, config) => runPoints([point], config)[0],
  // One batched ensemble per K in the fused kernel of lib/rnn, four networks per f32x4 lane group
  // (the same numbers as `run`, bit for bit: tests/experiments_test.ts); 8 points per job fill
  // the lanes twice.
  runBatch: (points, config) => runPoints(points, config),
  batchKey: (point) => String(point.K),
  batchSize: 8,
};

/**
 * Trains Fig 6B points as one ensemble with the config's fused kernel (`f32x4`: float32 SGD epochs,
 * the recorded ones in float64 — docs/ghost-mechanism.md §5) and summarises each.
 */
function runPoints(points: Fig6bPoint[], config: Record<string, unknown>): Fig6bSummary[] {
  // trainEnsemble rejects a kernel name other than "f64x2" or "f32x4" with a named error
  return trainEnsemble(
    { epochs: config.epochs as number },
    points.map((p) => runOptions(p, config)),
    { kernel: config.kernel as RankKLanes },
  ).map((r) => summarize(r, config));
}

/** The training options of one Fig 6B run. */
function runOptions(point: Fig6bPoint, config: Record<string, unknown>): TrainOptions {
  return {
    model: { kind: "rankK", K: point.K },
    task: { name: "delayed-activation", T: 20 },
    seed: point.seed,
    lr: point.lr,
    epochs: config.epochs as number,
    record: {
      every: 0,
      at: config.curveEpochs as number[],
      weightNorm: false,
      finalEval: true,
    },
  };
}

/** The compact record of one Fig 6B run (what the figure needs). */
function summarize(r: TrainResult, config: Record<string, unknown>): Fig6bSummary {
  const h = r.history;
  const loss0 = h.loss[0];
  const finalLoss = r.finalEval?.loss ?? null;
  const want = new Set(config.curveEpochs as number[]);
  const idx = h.epoch.flatMap((e, i) => (want.has(e) ? [i] : []));
  return {
    status: r.status,
    initialLoss: loss0,
    finalLoss,
    learned: finalLoss !== null && finalLoss / loss0 < (config.learnedRatio as number),
    curve: { epoch: idx.map((i) => h.epoch[i]), ratio: idx.map((i) => h.loss[i] / loss0) },
  };
}

/** Fraction learned per (lr, K) with its 95 % Wilson interval (Fig 6B summary panel). */
export function learnedFractions(
  records: { point: Fig6bPoint; summary: Fig6bSummary }[],
): { lr: number; K: number; k: number; n: number; p: number; lo: number; hi: number }[] {
  const out = [];
  for (const [, rs] of groupBy(records, (r) => `${r.point.lr}|${r.point.K}`)) {
    const k = rs.filter((r) => r.summary.learned).length;
    out.push({ lr: rs[0].point.lr, K: rs[0].point.K, k, n: rs.length, ...wilson(k, rs.length) });
  }
  return out.sort((a, b) => a.lr - b.lr || a.K - b.K);
}
