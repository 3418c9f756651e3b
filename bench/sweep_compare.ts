/**
 * Cost of the Fig 6B rank sweep at paper scale (docs/ghost-mechanism.md §2.3, §3 Figure 6:
 * K ∈ {1, 2, 3, 4, 5, 10, 30, 50, 100} × lr ∈ logspace(−3, 0, 10) × 10 seeds × 500 000 epochs),
 * measured on this machine. For every K: seconds per member-epoch of a batched ensemble of 10
 * networks (`trainEnsemble`, what one sweep job runs) and of the same 10 trained one by one
 * (`train`); their ratio is the batched speed-up. Prints `name: value` lines, ending with
 *
 *   rank_sweep_paper_estimate_h = Σ_K (s/epoch at K) × 100 runs × 500 000 epochs / cores / 3600
 *
 * (cores = `navigator.hardwareConcurrency`; assumes the sweep's workers scale linearly, and counts
 * every run to the last epoch although diverged runs stop early). Each timing is the fastest of
 * three windows, because the machine is shared.
 *
 * Run: `deno run --allow-read=. bench/sweep_compare.ts [--seconds 0.5]` (also run by `deno task bench`)
 *
 * @module
 */

import { trainEnsemble, Trainer, type TrainOptions } from "../lib/rnn/mod.ts";
import { FIG6B_LRS, FIG6B_RANKS, sweep } from "../lib/experiments/fig6b_rank.ts";

const i = Deno.args.indexOf("--seconds");
const WINDOW = i >= 0 ? Number(Deno.args[i + 1]) : 0.5;
const MEMBERS = 10;
const cfg = sweep.config("paper");
const PAPER_EPOCHS = cfg.epochs as number;
const RUNS_PER_K = sweep.points("paper").filter((p) => p.K === FIG6B_RANKS[0]).length;

function options(K: number, j: number, epochs: number): TrainOptions {
  return {
    model: { kind: "rankK", K },
    task: { name: "delayed-activation", T: 20 },
    seed: j,
    lr: FIG6B_LRS[j % FIG6B_LRS.length] * 0.1, // small enough that no run diverges in the window
    epochs,
    record: { every: 0, weightNorm: false },
  };
}

/** Fastest of three windows: seconds per member-epoch of `f(epochs)` training MEMBERS networks. */
function perEpoch(f: (epochs: number) => void): number {
  let epochs = 20;
  for (;;) {
    const t0 = performance.now();
    f(epochs);
    const s = (performance.now() - t0) / 1000;
    if (s > WINDOW / 4) break;
    epochs *= 4;
  }
  let best = Infinity;
  for (let w = 0; w < 3; w++) {
    const t0 = performance.now();
    f(epochs);
    best = Math.min(best, (performance.now() - t0) / 1000 / (epochs * MEMBERS));
  }
  return best;
}

const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
let total = 0;
for (const K of FIG6B_RANKS) {
  const batched = perEpoch((e) => {
    trainEnsemble({ epochs: e }, Array.from({ length: MEMBERS }, (_, j) => options(K, j, e)));
  });
  const single = perEpoch((e) => {
    for (let j = 0; j < MEMBERS; j++) {
      const t = new Trainer(options(K, j, e));
      while (t.step()) { /* run */ }
    }
  });
  total += batched;
  console.log(`rank_sweep_epoch_s_K${K}: ${batched.toExponential(2)}`);
  console.log(`rank_sweep_batched_speedup_K${K}: ${(single / batched).toFixed(2)}`);
}
console.log(`rank_sweep_runs_per_K: ${RUNS_PER_K}`);
console.log(`rank_sweep_paper_epochs: ${PAPER_EPOCHS}`);
console.log(`rank_sweep_cores: ${cores}`);
console.log(
  `rank_sweep_paper_estimate_h: ${(total * RUNS_PER_K * PAPER_EPOCHS / cores / 3600).toFixed(1)}`,
);
