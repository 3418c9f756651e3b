/**
 * Figure 6A protocol (docs/ghost-mechanism.md §3 Figure 6, models §2.1 and §2.2): rank-one and
 * full-rank RNNs on the delayed-activation task (T = 20), SGD, one run per (learning rate, seed);
 * each run records its loss at the paper's epochs 10k, 20k, 30k, 50k, 100k, 200k. As in the
 * reference plot script, "loss at epoch E" is history row E − 1 (the loss of the parameters after
 * E − 1 steps). The RNN analogue of the canonical model's Fig 2d.
 *
 * @module
 */

import { byScale, type Scale } from "../config.ts";
import { logspace } from "../numeric.ts";
import { train } from "../rnn/train.ts";
import type { SweepDefinition } from "../sweep/mod.ts";
import { groupBy, meanSem } from "./common.ts";

/** One run of the Fig 6A sweep. */
export interface Fig6aPoint extends Record<string, unknown> {
  lr: number;
  seed: number;
}

/** What one run records: the loss at each of `config.epochsAt` (null after a divergence). */
export interface Fig6aSummary {
  lossAt: (number | null)[];
  status: "ok" | "diverged";
}

/** The model of a Fig 6A curve. */
export type Fig6aModel = "rankOne" | "fullRank";

function grid(model: Fig6aModel, scale: Scale) {
  return byScale({
    quick: {
      lrs: model === "rankOne" ? logspace(-4, -1, 10) : logspace(-4, 1, 10),
      seeds: model === "rankOne" ? 3 : 2,
      epochsAt: model === "rankOne" ? [5000, 10_000, 20_000] : [1000, 3000],
    },
    paper: {
      lrs: model === "rankOne" ? logspace(-4, -1, 30) : logspace(-4, 1, 30),
      seeds: 10,
      epochsAt: [10_000, 20_000, 30_000, 50_000, 100_000, 200_000],
    },
  }, scale);
}

/** Builds the Fig 6A sweep of one model (rank-one, §2.1, or full-rank, §2.2). */
export function fig6aSweep(model: Fig6aModel): SweepDefinition<Fig6aPoint, Fig6aSummary> {
  const name = model === "rankOne" ? "fig6a-rank-one" : "fig6a-full-rank";
  return {
    name,
    description: `Fig 6A: loss vs learning rate of the ${
      model === "rankOne" ? "rank-one" : "full-rank"
    } RNN on delayed activation (T = 20), SGD`,
    points(scale) {
      const g = grid(model, scale);
      return g.lrs.flatMap((lr) => Array.from({ length: g.seeds }, (_, seed) => ({ lr, seed })));
    },
    config(scale) {
      return {
        model: { kind: model },
        task: { name: "delayed-activation", T: 20 },
        optimizer: "sgd",
        epochsAt: grid(model, scale).epochsAt,
      };
    },
    run(point, config) {
      const epochsAt = config.epochsAt as number[];
      const rows = epochsAt.map((e) => e - 1);
      const r = train({
        model: config.model as { kind: Fig6aModel },
        task: { name: "delayed-activation", T: 20 },
        seed: point.seed,
        lr: point.lr,
        epochs: epochsAt[epochsAt.length - 1],
        record: { every: 0, at: rows, weightNorm: false },
      });
      const byEpoch = new Map(r.history.epoch.map((e, i) => [e, r.history.loss[i]]));
      return { lossAt: rows.map((e) => byEpoch.get(e) ?? null), status: r.status };
    },
  };
}

/** The sweep of this module: the rank-one curve of Fig 6A. */
export const sweep = fig6aSweep("rankOne");

/** Mean ± SEM over seeds of the loss at each recorded epoch, per learning rate (diverged runs count as NaN). */
export function fig6aCurves(
  records: { point: Fig6aPoint; summary: Fig6aSummary }[],
  epochsAt: number[],
): { lr: number[]; byEpoch: { epoch: number; mean: number[]; sem: number[] }[] } {
  const groups = [...groupBy(records, (r) => r.point.lr).entries()].sort(
    (a, b) => Number(a[0]) - Number(b[0]),
  );
  return {
    lr: groups.map(([lr]) => Number(lr)),
    byEpoch: epochsAt.map((epoch, j) => {
      const stats = groups.map(([, rs]) => meanSem(rs.map((r) => r.summary.lossAt[j] ?? NaN)));
      return { epoch, mean: stats.map((s) => s.mean), sem: stats.map((s) => s.sem) };
    }),
  };
}

/**
 * The measured critical learning rate of a loss-vs-lr curve: above the best lr, the first lr
 * whose mean loss exceeds `level` (default 0.5: between a learned net ≈ 0 and the confidently
 * wrong plateau ≈ 1 of §2.1), returned as the geometric midpoint with its neighbour below, or
 * null if the curve never rises above `level` after its minimum.
 */
export function criticalLr(lr: number[], loss: number[], level = 0.5): number | null {
  let best = 0;
  for (let i = 1; i < loss.length; i++) if (loss[i] < loss[best]) best = i;
  for (let i = best + 1; i < loss.length; i++) {
    if (!(loss[i] <= level)) return Math.sqrt(lr[i - 1] * lr[i]);
  }
  return null;
}
