/**
 * Side-by-side epoch timings: our float64 RNN engine vs PyTorch (bench/rnn_torch.py, Debian's
 * python3-torch) on the same models (docs/ghost-mechanism.md §2.1, §2.5, issue 3 benchmark). Prints
 * `name: value` lines:
 *
 * - `rank_one_epoch_s` — rank-one RNN, N = 100, delayed activation T = 20 (40 steps), one SGD step;
 * - `full_rank_dcdt_epoch_s` — full-rank RNN, N = 100, DCDT 6+16+10 = 32 steps, batch 2, one SGD step;
 * - `rank_k5_epoch_s`, `rank_k100_epoch_s`, `full_rank_delayed_activation_epoch_s`,
 *   `low_rank_dmts_epoch_s` — extra engine-only timings (DMTS 6+16+6+10, batch 4, noise, Adam);
 * - `*_torch_1t_epoch_s`, `*_torch_<n>t_epoch_s` and `*_ratio_1t`, `*_ratio_<n>t` (torch / ours)
 *   when `/usr/bin/python3` can import torch (otherwise `torch: unavailable`).
 *
 * Run: `deno run --allow-read=. --allow-run=/usr/bin/python3 bench/rnn_compare.ts [--seconds 3]`
 *
 * @module
 */

import { compile, Trainer, type TrainOptions } from "../lib/rnn/mod.ts";

const arg = (name: string, dflt: string) => {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : dflt;
};
const seconds = Number(arg("seconds", "3"));

/**
 * Seconds per epoch of a long-running trainer after a warm-up: the minimum over 8 equal time
 * windows of the mean epoch time (robust to other processes on a shared machine; the PyTorch
 * script measures the same way).
 */
function secondsPerEpoch(opts: Omit<TrainOptions, "epochs">, sec: number): number {
  const t = new Trainer({ ...opts, epochs: 1e9, record: { every: 1_000_000, weightNorm: false } });
  for (let i = 0; i < 500; i++) t.step();
  let best = Infinity;
  for (let w = 0; w < 8; w++) {
    let n = 0, el = 0;
    const t0 = performance.now();
    while (el < (sec * 1000) / 8 || n < 10) {
      for (let i = 0; i < 10; i++) t.step();
      n += 10;
      el = performance.now() - t0;
    }
    best = Math.min(best, el / 1000 / n);
  }
  return best;
}

const cases: [string, Omit<TrainOptions, "epochs">][] = [
  ["rank_one", {
    model: { kind: "rankOne", N: 100 },
    task: { name: "delayed-activation", T: 20 },
    seed: 0,
    lr: 0.003,
  }],
  ["full_rank_dcdt", {
    model: { kind: "fullRank", N: 100 },
    task: { name: "dcdt", inputMs: 30, delayMs: 80, responseMs: 50, trialsPerType: 1 },
    seed: 0,
    lr: 0.01,
  }],
  ["rank_k5", {
    model: { kind: "rankK", N: 100, K: 5 },
    task: { name: "delayed-activation", T: 20 },
    seed: 0,
    lr: 0.01,
  }],
  ["rank_k100", {
    model: { kind: "rankK", N: 100, K: 100 },
    task: { name: "delayed-activation", T: 20 },
    seed: 0,
    lr: 0.01,
  }],
  ["full_rank_delayed_activation", {
    model: { kind: "fullRank", N: 100 },
    task: { name: "delayed-activation", T: 20 },
    seed: 0,
    lr: 0.01,
  }],
  ["low_rank_dmts", {
    model: { kind: "lowRank", N: 100, K: 2 },
    task: {
      name: "dmts",
      inputMs: 30,
      delayMs: 80,
      responseMs: 50,
      noiseSigma: 0.01,
      rateSigma: 0.3,
    },
    seed: 0,
    lr: 1e-4,
    optimizer: { name: "adam" },
  }],
];

compile(cases[0][1].model, cases[0][1].task); // validate before timing
const ours: Record<string, number> = {};
for (const [name, opts] of cases) {
  ours[name] = secondsPerEpoch(opts, seconds);
  console.log(`${name}_epoch_s: ${ours[name].toExponential(3)}`);
}

const cores = navigator.hardwareConcurrency ?? 1;
const threads = cores > 1 ? `1,${cores}` : "1";
const script = new URL("./rnn_torch.py", import.meta.url).pathname;
try {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [script, "--threads", threads, "--seconds", String(seconds)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim().split("\n").at(-1));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  for (const line of lines) {
    const r = JSON.parse(line) as Record<string, number>;
    const th = r.threads;
    for (const name of ["rank_one", "full_rank_dcdt"]) {
      const v = r[`${name}_epoch_s`];
      console.log(`${name}_torch_${th}t_epoch_s: ${v.toExponential(3)}`);
      console.log(`${name}_ratio_${th}t: ${(v / ours[name]).toFixed(1)}`);
    }
  }
} catch (e) {
  console.log(`torch: unavailable (${e instanceof Error ? e.message : e})`);
}
