/**
 * Ghost timing (lib/experiments/ghost_timing.ts, fig4.ts): on a quick rank-2 DCDT training run a
 * ghost near the trajectories is detected before the loss falls below half its plateau, both
 * measured from the run's own data; the latent slow-point search finds a planted fixed point.
 */

import assert from "node:assert/strict";
import { latentGhostTiming, pathBottleneck } from "../lib/experiments/ghost_timing.ts";
import { fig4Options, latentSlowPoints } from "../lib/experiments/fig4.ts";

Deno.test("rank-2 DCDT: the ghost appears before the abrupt loss drop", () => {
  const o = fig4Options("dcdt", { epochs: 12000, trialsPerType: 2, checkpoints: [], every: 1 });
  const g = latentGhostTiming(o, { every: 250, grid: { min: -5, max: 5, n: 81 } });
  assert.ok(g.dropEpoch !== null, "the loss never fell below half its plateau");
  assert.ok(g.ghostEpoch !== null, "no ghost near the trajectories");
  assert.ok(g.ghostEpoch < g.dropEpoch, `ghost at ${g.ghostEpoch}, drop at ${g.dropEpoch}`);
  // the drop is real: the loss at the end is below half the plateau, the plateau above 0.2
  assert.ok(g.plateau > 0.2, `plateau ${g.plateau}`);
});

Deno.test("latent slow points: a planted stable fixed point, exact eigenvalues", () => {
  // M = 0 ⇒ F(κ) = −κ + P tanh(b): one stable fixed point at P tanh(b), J = −I
  const N = 4, b = [0.5, -0.2, 0.1, 0.3];
  const P = [1, 0, 0.5, 0, 0, 1, 0, -0.5];
  const basis = { N, K: 2, sigma: [0, 0], M: new Array(N * 2).fill(0), P };
  const want = [0, 1].map((k) => b.reduce((s, bi, i) => s + P[k * N + i] * Math.tanh(bi), 0));
  const { points } = latentSlowPoints(basis, b, { grid: { min: -2, max: 2, n: 41 } });
  assert.equal(points.length, 1);
  assert.equal(points[0].kind, "stable");
  assert.ok(Math.hypot(points[0].kappa[0] - want[0], points[0].kappa[1] - want[1]) < 1e-8);
  assert.deepEqual(points[0].eigRe.map((v) => Math.round(v * 1e9) / 1e9), [-1, -1]);
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
  assert.throws(() => pathBottleneck({ m: [1], n: [1, 2], b: [0] }, 0), /same length/);
  assert.throws(() => pathBottleneck(p, 0, { fixedTol: 0 }), /fixedTol/);
});
