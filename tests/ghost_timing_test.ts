/**
 * Ghost timing (lib/experiments/ghost_timing.ts, fig4.ts): on a quick rank-2 DCDT training run a
 * ghost near the trajectories is detected before the loss falls below half its plateau, both
 * measured from the run's own data; the latent slow-point search finds a planted fixed point.
 */

import assert from "node:assert/strict";
import {
  latentGhostTiming,
  PAPER_TIMING,
  pathBottleneck,
  timingStudy,
  type TimingStudyConfig,
  type TimingSummary,
} from "../lib/experiments/ghost_timing.ts";
import { configHash, readResultFile, resultsPath, roundDeep } from "../lib/sweep/results.ts";
import { fig4Options, latentSlowPoints, latentSystem } from "../lib/experiments/fig4.ts";
import { train } from "../lib/rnn/mod.ts";

Deno.test("rank-2 DCDT: the ghost appears before the abrupt loss drop", () => {
  const o = fig4Options("dcdt", { epochs: 20000, trialsPerType: 5, checkpoints: [], every: 1 });
  const g = latentGhostTiming(o, { every: 500, stopAfter: 1 });
  assert.ok(g.dropEpoch !== null, "the loss never fell below half its plateau");
  assert.ok(g.ghostEpoch !== null, "no ghost near the trajectories");
  assert.ok(g.ghostEpoch < g.dropEpoch, `ghost at ${g.ghostEpoch}, drop at ${g.dropEpoch}`);
  // the plateau is the high-loss phase, and no ghost was near the trajectories at its end
  assert.ok(g.plateau > 0.3, `plateau ${g.plateau}`);
  assert.equal(g.records.find((r) => r.epoch === 500)?.ghostsNear, 0);
});

Deno.test("latent slow points of a trained rank-2 net: fixed points are roots, ghosts are not", () => {
  const o = fig4Options("dcdt", {
    epochs: 3001,
    trialsPerType: 2,
    checkpoints: [3000],
    every: 100,
  });
  const res = train(o);
  const params = res.checkpoints[0].params;
  const points = latentSlowPoints(params);
  assert.ok(points.length > 0);
  const sys = latentSystem(params);
  for (const p of points) {
    const F = sys.flow(p.x);
    const sp = Math.hypot(F[0], F[1]);
    if (p.kind === "ghost") assert.ok(sp > 1e-5, `ghost speed ${sp}`);
    else assert.ok(sp < 1e-6, `${p.kind} speed ${sp}`);
  }
});

Deno.test("path bottleneck: a 1-unit flow with a known ghost; bad input is named", () => {
  const p = { m: [1], n: [1.2], b: [0] };
  // F(κ) = −κ + 1.2 tanh κ has fixed points at 0 and ±0.9…: the path from −0.5 to 1 is blocked
  assert.equal(pathBottleneck(p, -0.5).kind, "fixed-point");
  // a constant second unit (m = 0) lifts F by 0.3: F = −κ + 1.2 tanh κ + 0.3
  const q = { m: [1, 0], n: [1.2, 0.3 / Math.tanh(1)], b: [0, 1] };
  const bn = pathBottleneck(q, -3, { threshold: 0.6 }); // F > 0 on [−3, 0.6]
  assert.equal(bn.kind, "ghost");
  // F' = −1 + 1.2 sech²κ = 0 ⇒ κ_g = −acosh(√1.2), the local minimum of F on the way up
  const kg = -Math.acosh(Math.sqrt(1.2));
  assert.ok(Math.abs(bn.kappa - kg) < 1e-9, `${bn.kappa}`);
  assert.ok(Math.abs(bn.speed - (-kg + 1.2 * Math.tanh(kg) + 0.3)) < 1e-12);
  // b = F''/2 = −1.2 tanh(κ_g) sech²(κ_g); passage time π/√(ab)
  const b = -1.2 * Math.tanh(kg) * (1 - Math.tanh(kg) ** 2);
  assert.ok(Math.abs(bn.passageTime - Math.PI / Math.sqrt(bn.speed * b)) < 1e-9);
  assert.throws(() => pathBottleneck({ m: [1], n: [1, 2], b: [0] }, 0), /params.n must have N = 1/);
  assert.throws(() => pathBottleneck(p, 0, { fixedTol: 0 }), /fixedTol/);
});

Deno.test("committed ghost-timing results: config hash, partial flag, seed 0 recomputed", async () => {
  const file = await readResultFile<TimingStudyConfig, TimingSummary[]>(
    resultsPath("ghost-timing.json"),
  );
  if (file === null) return; // not produced yet (deno task ghost:timing)
  assert.equal(file.configHash, await configHash(file.config));
  assert.deepEqual(file.config, PAPER_TIMING);
  assert.equal(file.partial, file.results.length < file.config.seeds);
  const first = file.results.find((t) => t.seed === 0);
  if (!first) return;
  const [again] = await timingStudy({ ...file.config, seeds: 1 });
  assert.deepEqual(roundDeep(again), roundDeep(first));
});
