/**
 * Figure 8C protocol, the read-out-bound intervention (docs/ghost-mechanism.md §2.5, §3 Figure 8):
 * full-rank RNNs on DCDT (input 10 ms, delay 50 ms, response 50 ms, 10 trials per type,
 * σ_noise = 1e-3, σ_fr = 0.1), Adam lr 0.1 for 10 000 epochs; then 10 000 more epochs with the
 * same optimiser state and the read-out rescaled before every forward pass to ‖W_out‖₁ = c, for
 * c ∈ {0.1, 0.5, 1, 3, ∞}; 100 seeds. One run per seed (phase 1 shared by its five
 * continuations); the summary keeps the accuracy every `sampleEvery` epochs.
 *
 * @module
 */

import { byScale, type Scale } from "../config.ts";
import { continuation, train, trainEnsemble } from "../rnn/train.ts";
import type { WorkingMemorySpec } from "../tasks/mod.ts";
import type { SweepDefinition } from "../sweep/mod.ts";

/** One run of the Fig 8C sweep. */
export interface Fig8cPoint extends Record<string, unknown> {
  seed: number;
}

/** What one run records. */
export interface Fig8cSummary {
  status: "ok" | "diverged";
  /** Epochs 0, sampleEvery, … of phase 1 and their accuracy. */
  before: { epoch: number[]; accuracy: number[] };
  /** Per bound of `config.bounds` (null = ∞): the continuation's sampled accuracy. */
  after: { epoch: number[]; accuracy: number[]; status: "ok" | "diverged" }[] | null;
}

/** The read-out L1 bounds of Fig 8C; null = ∞ (no bound). */
export const FIG8C_BOUNDS: (number | null)[] = [0.1, 0.5, 1, 3, null];

/** The DCDT task of the Fig 8C intervention (§2.5). */
const FIG8C_TASK: WorkingMemorySpec = {
  name: "dcdt",
  inputMs: 10,
  delayMs: 50,
  responseMs: 50,
  trialsPerType: 10,
  noiseSigma: 1e-3,
  rateSigma: 0.1,
};

function grid(scale: Scale) {
  return byScale({
    quick: { seeds: 3, phaseEpochs: 1000, sampleEvery: 50 },
    paper: { seeds: 100, phaseEpochs: 10_000, sampleEvery: 200 },
  }, scale);
}

/** The Fig 8C intervention sweep. */
export const sweep: SweepDefinition<Fig8cPoint, Fig8cSummary> = {
  name: "fig8c-readout",
  description: "Fig 8C: full-rank DCDT, Adam lr 0.1, read-out L1 norm bounded to c after phase 1",
  points: (scale) => Array.from({ length: grid(scale).seeds }, (_, seed) => ({ seed })),
  config(scale) {
    const g = grid(scale);
    return {
      model: { kind: "fullRank" },
      task: FIG8C_TASK,
      optimizer: "adam",
      lr: 0.1,
      phaseEpochs: g.phaseEpochs,
      sampleEvery: g.sampleEvery,
      bounds: FIG8C_BOUNDS,
    };
  },
  run(point, config) {
    const every = config.sampleEvery as number, epochs = config.phaseEpochs as number;
    const first = train({
      model: { kind: "fullRank" },
      task: config.task as WorkingMemorySpec,
      seed: point.seed,
      lr: config.lr as number,
      epochs,
      optimizer: { name: "adam" },
      record: { every, weightNorm: false },
    });
    const sampled = (h: { epoch: number[]; accuracy: number[] }) => {
      const idx = h.epoch.flatMap((e, i) => (e % every === 0 ? [i] : []));
      return { epoch: idx.map((i) => h.epoch[i]), accuracy: idx.map((i) => h.accuracy[i]) };
    };
    if (first.status !== "ok") {
      return { status: first.status, before: sampled(first.history), after: null };
    }
    const runs = (config.bounds as (number | null)[]).map((c) =>
      continuation(first, { readoutL1: c, epochs })
    );
    const after = trainEnsemble({ epochs }, runs);
    return {
      status: first.status,
      before: sampled(first.history),
      after: after.map((a) => ({ ...sampled(a.history), status: a.status })),
    };
  },
};
