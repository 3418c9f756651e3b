/**
 * Cost of the Fig 6B rank sweep at paper scale (docs/ghost-mechanism.md §2.3, §3 Figure 6:
 * K ∈ {1, 2, 3, 4, 5, 10, 30, 50, 100} × lr ∈ logspace(−3, 0, 10) × 10 seeds × 500 000 epochs),
 * measured on this machine. For every K it times, side by side in this process, seconds per
 * member-epoch of
 *
 * - `batched`: one batched job of the sweep (its `batchSize`, 8 networks), `trainEnsemble` with the
 *   sweep's kernel (four rank-K SGD members per f32x4 lane group in the fused WebAssembly kernel,
 *   `lib/rnn/rankk_wasm.ts`);
 * - `f64`: the same job in the float64 kernel (two members per f64x2 lane pair, the JS-driven
 *   engine's numbers);
 * - `unfused`: the same job with `trainEnsemble(…, { fused: false })`, every epoch on the
 *   JS-driven engine (the engine before the fused kernels: the "before" number);
 * - `single`: the 8 networks trained one by one (`Trainer.step`, as `train`).
 *
 * Windows of the three alternate (so that load changes hit all of them alike); each number is the
 * fastest of four windows, in wall-clock time and in process CPU time (CPU time is what a run costs
 * when it has a core to itself; wall time includes waiting for the shared cores). Prints
 * `name: value` lines, among them `rank_sweep_batched_speedup_K*` = single / batched,
 * `rank_sweep_f32_speedup_K*` = f64 / batched and
 *
 *   rank_sweep_paper_estimate_h = Σ_K (s/epoch at K) × 100 runs × 500 000 epochs / cores / 3600
 *
 * for the batched job (and `…_f64_h`, `…_unfused_h`, `…_cpu_h` variants). cores =
 * `navigator.hardwareConcurrency`; the estimate assumes the sweep's workers scale linearly, and
 * counts every run to the last epoch although diverged runs stop early. Also times Fig 8C's phase
 * 2 (five read-out bounds continuing one run, which share each epoch's noise draws) against every
 * member drawing its own: `fig8c_phase2_member_epoch_s`, `…_unshared`,
 * `fig8c_phase2_shared_draws_speedup`. Prints the load average before and after.
 *
 * Run: `deno run --allow-read=. --allow-sys bench/sweep_compare.ts [--seconds 0.5] [--ks 1,100]`
 * (also run by `deno task bench`)
 *
 * @module
 */

import process from "node:process";
import { continuation, train, trainEnsemble, Trainer, type TrainOptions } from "../lib/rnn/mod.ts";
import { rankKKernelAvailable } from "../lib/rnn/rankk_wasm.ts";
import { FIG6B_LRS, FIG6B_RANKS, sweep } from "../lib/experiments/fig6b_rank.ts";
import { FIG8C_BOUNDS, sweep as fig8c } from "../lib/experiments/fig8c_readout.ts";
import type { WorkingMemorySpec } from "../lib/tasks/mod.ts";

const arg = (name: string) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
};
const WINDOW = Number(arg("--seconds") ?? 0.5);
const KS = arg("--ks")?.split(",").map(Number) ?? FIG6B_RANKS;
const MEMBERS = sweep.batchSize ?? 10;
const WINDOWS = 4;
const cfg = sweep.config("paper");
const KERNEL = cfg.kernel as "f32x4" | "f64x2";
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

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function loadavg(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  } catch {
    return "unavailable (needs --allow-sys)";
  }
}

type Variant = (epochs: number) => void;

/** Epochs per window so that one call of f takes at least WINDOW/4 s. */
function calibrate(f: Variant): number {
  let epochs = 20;
  for (;;) {
    const t0 = performance.now();
    f(epochs);
    if ((performance.now() - t0) / 1000 > WINDOW / 4) return epochs;
    epochs *= 4;
  }
}

/** Fastest of WINDOWS alternating windows: seconds per member-epoch (wall, CPU) per variant. */
function timeSideBySide(variants: Record<string, Variant>) {
  const epochs = Object.fromEntries(Object.entries(variants).map(([k, f]) => [k, calibrate(f)]));
  const best = Object.fromEntries(
    Object.keys(variants).map((k) => [k, { wall: Infinity, cpu: Infinity }]),
  );
  for (let w = 0; w < WINDOWS; w++) {
    for (const [k, f] of Object.entries(variants)) {
      const t0 = performance.now(), c0 = cpuSeconds();
      f(epochs[k]);
      const n = epochs[k] * MEMBERS;
      best[k].wall = Math.min(best[k].wall, (performance.now() - t0) / 1000 / n);
      best[k].cpu = Math.min(best[k].cpu, (cpuSeconds() - c0) / n);
    }
  }
  return best;
}

const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
const hours = (s: number) => (s * RUNS_PER_K * PAPER_EPOCHS / cores / 3600).toFixed(1);
console.log(`rank_sweep_loadavg_start: ${loadavg()}`);
console.log(`rank_sweep_fused_kernel: ${rankKKernelAvailable(KERNEL)} (${KERNEL})`);
console.log(`rank_sweep_job_members: ${MEMBERS}`);
const total = { batched: 0, f64: 0, unfused: 0, batchedCpu: 0, f64Cpu: 0, unfusedCpu: 0 };
for (const K of KS) {
  const job = (e: number) => Array.from({ length: MEMBERS }, (_, j) => options(K, j, e));
  const t = timeSideBySide({
    batched: (e) => void trainEnsemble({ epochs: e }, job(e), { kernel: KERNEL }),
    f64: (e) => void trainEnsemble({ epochs: e }, job(e), { kernel: "f64x2" }),
    unfused: (e) => void trainEnsemble({ epochs: e }, job(e), { fused: false }),
    single: (e) => {
      for (let j = 0; j < MEMBERS; j++) {
        const tr = new Trainer(options(K, j, e));
        while (tr.step()) { /* run */ }
      }
    },
  });
  total.batched += t.batched.wall;
  total.f64 += t.f64.wall;
  total.unfused += t.unfused.wall;
  total.batchedCpu += t.batched.cpu;
  total.f64Cpu += t.f64.cpu;
  total.unfusedCpu += t.unfused.cpu;
  console.log(`rank_sweep_epoch_s_K${K}: ${t.batched.wall.toExponential(2)}`);
  console.log(`rank_sweep_epoch_s_f64_K${K}: ${t.f64.wall.toExponential(2)}`);
  console.log(`rank_sweep_epoch_s_unfused_K${K}: ${t.unfused.wall.toExponential(2)}`);
  console.log(`rank_sweep_epoch_s_single_K${K}: ${t.single.wall.toExponential(2)}`);
  console.log(`rank_sweep_epoch_cpu_s_K${K}: ${t.batched.cpu.toExponential(2)}`);
  console.log(`rank_sweep_epoch_cpu_s_unfused_K${K}: ${t.unfused.cpu.toExponential(2)}`);
  console.log(`rank_sweep_batched_speedup_K${K}: ${(t.single.wall / t.batched.wall).toFixed(2)}`);
  console.log(
    `rank_sweep_batched_speedup_cpu_K${K}: ${(t.single.cpu / t.batched.cpu).toFixed(2)}`,
  );
  console.log(`rank_sweep_f32_speedup_K${K}: ${(t.f64.wall / t.batched.wall).toFixed(2)}`);
}
console.log(`rank_sweep_runs_per_K: ${RUNS_PER_K}`);
console.log(`rank_sweep_paper_epochs: ${PAPER_EPOCHS}`);
console.log(`rank_sweep_cores: ${cores}`);
if (KS.length === FIG6B_RANKS.length) {
  console.log(`rank_sweep_paper_estimate_f64_h: ${hours(total.f64)}`);
  console.log(`rank_sweep_paper_estimate_f64_cpu_h: ${hours(total.f64Cpu)}`);
  console.log(`rank_sweep_paper_estimate_unfused_h: ${hours(total.unfused)}`);
  console.log(`rank_sweep_paper_estimate_cpu_h: ${hours(total.batchedCpu)}`);
  console.log(`rank_sweep_paper_estimate_unfused_cpu_h: ${hours(total.unfusedCpu)}`);
  console.log(`rank_sweep_paper_estimate_h: ${hours(total.batched)}`);
}

// Fig 8C's phase 2: the five read-out bounds continue one run (one seed), so they share each
// epoch's noise draws (`Compiled.epochDraws`); against every member drawing its own.
{
  const cfg8c = fig8c.config("paper");
  const phase1 = train({
    model: { kind: "fullRank" },
    task: cfg8c.task as WorkingMemorySpec,
    seed: 0,
    lr: cfg8c.lr as number,
    epochs: 20,
    optimizer: { name: "adam" },
    record: { every: 0, weightNorm: false },
  });
  const members = (FIG8C_BOUNDS as (number | null)[]).map((c) =>
    continuation(phase1, { readoutL1: c })
  );
  const epochs = 100;
  const run = (shareDraws: boolean) => () =>
    void trainEnsemble({ epochs }, members.map((m) => ({ ...m, epochs })), { shareDraws });
  const best = { shared: Infinity, unshared: Infinity };
  for (let w = 0; w < WINDOWS; w++) {
    for (const [k, f] of [["shared", run(true)], ["unshared", run(false)]] as const) {
      const t0 = performance.now();
      f();
      best[k] = Math.min(best[k], (performance.now() - t0) / 1000 / (epochs * members.length));
    }
  }
  console.log(`fig8c_phase2_member_epoch_s: ${best.shared.toExponential(2)}`);
  console.log(`fig8c_phase2_member_epoch_s_unshared: ${best.unshared.toExponential(2)}`);
  console.log(`fig8c_phase2_shared_draws_speedup: ${(best.unshared / best.shared).toFixed(2)}`);
}
console.log(`rank_sweep_loadavg_end: ${loadavg()}`);
