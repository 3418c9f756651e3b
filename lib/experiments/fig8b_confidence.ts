/**
 * Figure 8B protocol, the remedy "lower the output confidence" (docs/ghost-mechanism.md §2.1,
 * §3 Figure 8): rank-one RNNs (c = 10) trained with SGD lr 0.02 for 6000 epochs, one run per
 * seed; a run is *stuck* when it once had accuracy > 0.5 but at most 0.5 over epochs 5950–6000
 * ({@linkcode isStuck}); stuck runs are continued from their epoch-6000 parameters for 100 epochs
 * with each confidence c ∈ logspace(−3, 1, 30)[2::3]. The summary keeps accuracy and gradient
 * norm over epochs 5800–6000 and over the continuation — for stuck runs only (what the figure
 * averages). Also the learnable-confidence variant ({@linkcode learnableConfidence}).
 *
 * @module
 */

import { byScale, type Scale } from "../config.ts";
import { logspace } from "../numeric.ts";
import { continuation, isStuck, train, trainEnsemble, type TrainOptions } from "../rnn/train.ts";
import type { SweepDefinition } from "../sweep/mod.ts";
import { everyNth } from "./common.ts";

/** One run of the Fig 8B sweep. */
export interface Fig8bPoint extends Record<string, unknown> {
  seed: number;
}

/** Accuracy and global gradient norm per epoch of a window. */
export interface AccGrad {
  epoch: number[];
  accuracy: number[];
  gradNorm: number[];
}

/** What one run records (windows only for stuck runs). */
export interface Fig8bSummary {
  status: "ok" | "diverged";
  stuck: boolean;
  /** Epochs `config.plotFrom` … end of phase 1 (stuck runs only). */
  before: AccGrad | null;
  /** Per confidence of `config.confidences`, the continuation (stuck runs only). */
  after: AccGrad[] | null;
}

/** The confidences of Fig 8B: logspace(−3, 1, 30)[2::3] (10 values, 0.00189 … 10). */
export const FIG8B_CONFIDENCES = everyNth(logspace(-3, 1, 30), 2, 3);

function grid(scale: Scale) {
  return byScale({ quick: { seeds: 40 }, paper: { seeds: 100 } }, scale);
}

function window(h: { epoch: number[]; accuracy: number[]; gradNorm: number[] }, from: number) {
  const idx = h.epoch.flatMap((e, i) => (e >= from ? [i] : []));
  return {
    epoch: idx.map((i) => h.epoch[i]),
    accuracy: idx.map((i) => h.accuracy[i]),
    gradNorm: idx.map((i) => h.gradNorm[i]),
  };
}

/** The Fig 8B confidence sweep. */
export const sweep: SweepDefinition<Fig8bPoint, Fig8bSummary> = {
  name: "fig8b-confidence",
  description: "Fig 8B: stuck rank-one RNNs continued with lower output confidence c",
  points: (scale) => Array.from({ length: grid(scale).seeds }, (_, seed) => ({ seed })),
  config: () => ({
    model: { kind: "rankOne", confidence: 10 },
    task: { name: "delayed-activation", T: 20 },
    optimizer: "sgd",
    lr: 0.02,
    epochs: 6000,
    stuckWindow: [5950, 6000],
    plotFrom: 5800,
    confidences: FIG8B_CONFIDENCES,
    continueEpochs: 100,
  }),
  run(point, config) {
    const base: TrainOptions = {
      model: { kind: "rankOne", confidence: 10 },
      task: { name: "delayed-activation", T: 20 },
      seed: point.seed,
      lr: config.lr as number,
      epochs: config.epochs as number,
      record: { every: 1, weightNorm: false },
    };
    const r = train(base);
    const [from, to] = config.stuckWindow as [number, number];
    const stuck = r.status === "ok" && isStuck(r.history, from, to);
    if (!stuck) return { status: r.status, stuck, before: null, after: null };
    const plotFrom = config.plotFrom as number;
    const phase2 = (config.confidences as number[]).map((c) =>
      continuation(r, {
        model: { kind: "rankOne", confidence: c },
        epochs: config.continueEpochs as number,
      })
    );
    const after = trainEnsemble({ epochs: config.continueEpochs as number }, phase2);
    return {
      status: r.status,
      stuck,
      before: window(r.history, plotFrom),
      after: after.map((a) => window(a.history, 0)),
    };
  },
};

/**
 * Fig 8B's learnable-confidence variant (docs/ghost-mechanism.md §3 Figure 8): a rank-one RNN
 * with trainable c (initially 10), SGD lr 0.02 for `epochs`; then the same m, n, b with c reset
 * to 1 (still trainable) for `epochs` more. Histories every `every` epochs (c of each phase at
 * its end in `c`).
 */
export function learnableConfidence(
  opts: { seed?: number; lr?: number; epochs?: number; every?: number } = {},
) {
  const { seed = 40, lr = 0.02, epochs = 10_000, every = 10 } = opts;
  const first = train({
    model: { kind: "rankOne", trainConfidence: true },
    task: { name: "delayed-activation", T: 20 },
    seed,
    lr,
    epochs,
    record: { every, weightNorm: false },
  });
  const second = train(continuation(first, { params: { c: [1] }, resetOptimizer: true }));
  return {
    phases: [first.history, second.history],
    c: [first.final.params.c[0], second.final.params.c[0]],
    status: [first.status, second.status],
  };
}
