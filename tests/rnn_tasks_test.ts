// Trial generators (docs/ghost-mechanism.md §2.1, §2.6).
import assert from "node:assert/strict";
import { accuracy, drawEpochNoise, makeTask } from "../lib/tasks/mod.ts";
import { Rng } from "../lib/random.ts";

const at = (a: ArrayLike<number>, batch: number, b: number) =>
  Array.from({ length: a.length / batch }, (_, t) => a[t * batch + b]);

Deno.test("delayed activation: T zeros then T ones, no input, loss scale 1/T, x0 = −0.3", () => {
  const t = makeTask({ name: "delayed-activation" });
  assert.equal(t.steps, 40);
  assert.equal(t.batch, 1);
  assert.equal(t.inputDim, 0);
  assert.deepEqual(Array.from(t.targets), [...Array(20).fill(0), ...Array(20).fill(1)]);
  assert.equal(t.lossScale, 1 / 20);
  assert.equal(t.x0, -0.3);
  // accuracy: outputs all 0 → half right (the stuck state, §2.1)
  assert.equal(accuracy(t, new Array(40).fill(0.01)), 0.5);
});

Deno.test("DCDT: Fig 7 timing 6+16+10 steps, ±1 cue, ±1 response, interleaved types", () => {
  const t = makeTask({ name: "dcdt", inputMs: 30, delayMs: 80, responseMs: 50, trialsPerType: 3 });
  assert.equal(t.steps, 32);
  assert.equal(t.batch, 6);
  assert.deepEqual(Array.from(t.trialType), [0, 1, 0, 1, 0, 1]);
  const u0 = at(t.inputs, 6, 0), u1 = at(t.inputs, 6, 1), y0 = at(t.targets, 6, 0);
  assert.deepEqual(u0, [...Array(6).fill(1), ...Array(26).fill(0)]);
  assert.deepEqual(u1, [...Array(6).fill(-1), ...Array(26).fill(0)]);
  assert.deepEqual(y0, [...Array(22).fill(0), ...Array(10).fill(1)]);
  assert.deepEqual(at(t.targets, 6, 3), [...Array(22).fill(0), ...Array(10).fill(-1)]);
  assert.deepEqual(t.windows.response, [22, 32]);
  assert.equal(t.lossScale, 1 / (6 * 32));
  // ternary accuracy: perfect outputs give 1, a 0.2 output in the response counts as 0 (wrong)
  const perfect = Array.from(t.targets, (y) => 0.9 * y);
  assert.equal(accuracy(t, perfect), 1);
  perfect[31 * 6] = 0.2;
  assert.equal(accuracy(t, perfect), 1 - 1 / (6 * 32));
});

Deno.test("DMTS: 2·n_in + delay + response steps, match → 1, non-match → 0", () => {
  const t = makeTask({ name: "dmts", inputMs: 30, delayMs: 80, responseMs: 50 });
  assert.equal(t.steps, 38);
  assert.equal(t.batch, 4);
  const s = (b: number, step: number) => t.inputs[step * 4 + b];
  // (s1, s2): (+,+), (−,−), (−,+), (+,−)
  assert.deepEqual([0, 1, 2, 3].map((b) => [s(b, 0), s(b, 6 + 16)]), [[1, 1], [-1, -1], [-1, 1], [
    1,
    -1,
  ]]);
  assert.deepEqual([0, 1, 2, 3].map((b) => t.targets[37 * 4 + b]), [1, 1, 0, 0]);
  assert.equal(at(t.inputs, 4, 0).filter((v) => v !== 0).length, 12);
  assert.equal(at(t.targets, 4, 2).reduce((a, v) => a + v, 0), 0);
  assert.equal(t.accuracy, "binary");
});

Deno.test("epoch noise: r0 = tanh(N(0, σ_fr²)), ξ ~ N(0, σ²), deterministic per seed", () => {
  const t = makeTask({ name: "dcdt", noiseSigma: 0.1, rateSigma: 0.3, trialsPerType: 50 });
  const N = 100;
  const r0 = new Float64Array(t.batch * N), xi = new Float64Array(t.steps * t.batch * N);
  drawEpochNoise(t, N, new Rng(1), r0, xi);
  const atanh = Array.from(r0, Math.atanh);
  const sd = (a: number[]) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
  assert.ok(Math.abs(sd(atanh) - 0.3) < 0.01, `${sd(atanh)}`);
  assert.ok(Math.abs(sd(Array.from(xi)) - 0.1) < 0.002);
  const r1 = new Float64Array(r0.length);
  drawEpochNoise(t, N, new Rng(1), r1, new Float64Array(xi.length));
  assert.deepEqual(r1, r0);
});

Deno.test("Rng.fillNormals = normal() × scale draw by draw: same numbers, same state after", () => {
  // odd and even lengths, with and without a Box–Muller spare left by an earlier normal()
  for (const [lead, n, scale] of [[0, 1001, 0.1], [1, 1000, 1], [1, 7, -2.5], [0, 0, 3]]) {
    const a = new Rng(12345), b = new Rng(12345);
    for (let i = 0; i < lead; i++) assert.equal(a.normal(), b.normal());
    const want = Float64Array.from({ length: n }, () => a.normal() * scale);
    const got = new Float64Array(n);
    b.fillNormals(got, scale);
    assert.ok(want.every((v, i) => Object.is(v, got[i])), `lead ${lead}, n ${n}`);
    // the spare and the xoshiro state carry over identically
    for (let i = 0; i < 5; i++) assert.equal(b.normal(), a.normal());
    assert.equal(b.nextUint32(), a.nextUint32());
  }
});
