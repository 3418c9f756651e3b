// The slow-point toolbox of lib/dynamics/ on systems with known answers
// (docs/ghost-mechanism.md §1.1, §2.1, §2.4, §2.7).
import assert from "node:assert/strict";
import { Rng } from "../lib/random.ts";
import {
  classifySlowPoint,
  dedupSlowPoints,
  type DynamicalSystem,
  findSlowPoints,
  linearSystem,
  pca,
  saddleNodeSystem,
  sampleStarts,
  slowPointSystem,
  spectrum,
  speed,
  speedGradient,
  speedHessian,
  symmetricEigenvalues,
  tanhSystem,
} from "../lib/dynamics/mod.ts";
import { rankOneFlow } from "../lib/rnn/flow.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

Deno.test("saddle-node normal form: a ghost at 0 with speed r and passage π/√r for r > 0", () => {
  for (const r of [1e-4, 1e-2, 0.5]) {
    const sys = saddleNodeSystem(r);
    const starts = Float64Array.from([-1, -0.3, 0.2, 0.9, 2]);
    const res = findSlowPoints(sys, starts);
    assert.equal(res.points.length, 1, `r = ${r}: one point`);
    const p = res.points[0];
    assert.equal(p.kind, "ghost");
    close(p.x[0], 0, 1e-6 * Math.sqrt(r), "location");
    close(p.speed, r, 1e-9 * r, "speed ‖F‖ = r");
    assert.equal(p.count, starts.length);
    close(p.reduction.a, 1, 1e-9, "a");
    close(p.reduction.b, r, 1e-12, "b");
    close(p.passageTime!, Math.PI / Math.sqrt(r), 1e-9 * Math.PI / Math.sqrt(r), "passage");
  }
});

Deno.test("saddle-node normal form: stable −√−r and unstable +√−r for r < 0", () => {
  const r = -0.25;
  const res = findSlowPoints(saddleNodeSystem(r), Float64Array.from([-2, -0.6, 0.4, 1.5, 3]));
  assert.equal(res.points.length, 2);
  const [a, b] = [...res.points].sort((p, q) => p.x[0] - q.x[0]);
  close(a.x[0], -0.5, 1e-12, "stable");
  close(b.x[0], 0.5, 1e-12, "unstable");
  assert.equal(a.kind, "stable");
  assert.equal(b.kind, "unstable");
  close(a.eigRe[0], -1, 1e-12, "λ = 2x");
  assert.equal(a.passageTime, undefined);
});
