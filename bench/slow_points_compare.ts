/**
 * The slow-point toolbox vs the reference procedure (docs/ghost-mechanism.md §2.7), side by side on
 * the same starts. A full-rank N = 100 network is trained on DCDT with lib/rnn (Fig 5 DCDT
 * settings: seed 3, SGD lr 1e-2, 3000 epochs, σ_noise 1e-2, σ_fr 0.1); its visited states are the
 * rates of 22 trials per type (seeded initial rates, no noise), and 1000 of them, drawn with
 * `sampleStarts` (seed 1, no jitter), are the starts. Prints `name: value` lines:
 *
 * - `slow_points_s` — `findSlowPoints` (damped Newton, dedup, outliers, classification) on all
 *   1000 starts, with the distinct points and their classes;
 * - with Debian's python3-torch: `slow_points_torch_s` (bench/slow_points_torch.py: Adam lr 1e-2 ×
 *   5000 iterations + one Newton step per start, float32, 2 threads), the ratio, and the agreement:
 *   for each torch end point the nearest toolbox point, the share within 0.1 (Euclidean, full
 *   space) and the largest distance.
 *
 * Run: `deno run --allow-read=. --allow-write=build --allow-run=/usr/bin/python3 bench/slow_points_compare.ts [--iters 5000]`
 *
 * @module
 */

import { findSlowPoints, sampleStarts, slowPointSystem } from "../lib/dynamics/mod.ts";
import { Rng } from "../lib/random.ts";
import { forward, train } from "../lib/rnn/mod.ts";

const arg = (name: string, dflt: string) => {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : dflt;
};
const iters = Number(arg("iters", "5000"));

const N = 100;
const task = { name: "dcdt" as const, trialsPerType: 1, noiseSigma: 1e-2, rateSigma: 0.1 };
const model = { kind: "fullRank" as const, N };
const net = train({ model, task, seed: 3, lr: 1e-2, epochs: 3000, record: { every: 3000 } });
const params = net.final.params;
const visitTask = { ...task, trialsPerType: 22, noiseSigma: 0 };
const rng = new Rng(7);
const r0 = Array.from({ length: 44 * N }, () => Math.tanh(0.1 * rng.normal()));
const system = slowPointSystem({ kind: "fullRank", params: { W: params.W, b: params.b } });
const visited = system.toState(forward(model, visitTask, params, { r0 }).trajectory);
const starts = sampleStarts(visited, N, 1000, 0, new Rng(1));
console.log(
  `network: loss ${net.history.loss.at(-1)!.toExponential(2)}, accuracy ${
    net.history.accuracy.at(-1)!.toFixed(3)
  }; ${visited.length / N} visited states, 1000 starts`,
);

const t0 = performance.now();
const res = findSlowPoints(system, starts, { visited });
const ours = (performance.now() - t0) / 1000;
console.log(`slow_points_s: ${ours.toFixed(2)}`);
console.log(
  `slow_points: ${res.points.length} distinct (${
    res.points.map((p) => `${p.kind} ‖F‖=${p.speed.toExponential(2)} ×${p.count}`).join(", ")
  }), ${res.outliers.length} outliers, ${res.stats.iterations} iterations`,
);

const input = "build/slow_points_input.json";
await Deno.mkdir("build", { recursive: true });
await Deno.writeTextFile(
  input,
  JSON.stringify({ N, W: params.W, b: params.b, starts: Array.from(starts) }),
);
try {
  const script = new URL("./slow_points_torch.py", import.meta.url).pathname;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [
      script,
      input,
      "--threads",
      String(navigator.hardwareConcurrency ?? 1),
      "--iters",
      String(iters),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim().split("\n").at(-1));
  const t = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    seconds: number;
    adam_seconds: number;
    newton_seconds: number;
    x: number[];
    speed: number[];
  };
  console.log(
    `slow_points_torch_s: ${t.seconds.toFixed(2)} (Adam ${iters} it ${
      t.adam_seconds.toFixed(2)
    }, ` +
      `Newton step ${t.newton_seconds.toFixed(2)})`,
  );
  console.log(`slow_points_ratio: ${(t.seconds / ours).toFixed(1)}`);
  // agreement: nearest toolbox point of every torch end point
  const all = [...res.points, ...res.outliers];
  const hits = new Array(all.length).fill(0);
  let within = 0, worst = 0;
  const tol = 0.1;
  for (let s = 0; s < t.x.length / N; s++) {
    let best = Infinity, bi = -1;
    all.forEach((p, i) => {
      let d = 0;
      for (let j = 0; j < N; j++) d += (p.x[j] - t.x[s * N + j]) ** 2;
      if (d < best) [best, bi] = [d, i];
    });
    best = Math.sqrt(best);
    worst = Math.max(worst, best);
    if (best <= tol) within++;
    hits[bi]++;
  }
  const nT = t.x.length / N;
  console.log(
    `slow_points_agreement: ${within}/${nT} torch end points within ${tol} of a toolbox point ` +
      `(largest distance ${worst.toFixed(3)}); torch per toolbox point: ${
        all.map((p, i) => `${p.kind} ${hits[i]} (toolbox ${p.count})`).join(", ")
      }; torch speeds ${Math.min(...t.speed).toExponential(2)}…${
        Math.max(...t.speed).toExponential(2)
      }`,
  );
} catch (e) {
  console.log(`torch: unavailable (${e instanceof Error ? e.message : e})`);
}
