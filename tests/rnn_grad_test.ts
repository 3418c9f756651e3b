// Hand-written BPTT of every model type and loss vs TF.js autodiff (float32) and central finite
// differences (float64) — docs/ghost-mechanism.md §2.1–2.5, issue 3 tests.
import assert from "node:assert/strict";
import { Rng } from "../lib/random.ts";
import { makeTask, type TaskSpec } from "../lib/tasks/mod.ts";
import {
  compile,
  initParams,
  lossAndGrad,
  type ModelSpec,
  packParams,
  unpackParams,
} from "../lib/rnn/mod.ts";
import { tfLossAndGrad } from "../lib/rnn/tfjs.ts";

interface Case {
  name: string;
  model: ModelSpec;
  task: TaskSpec;
  /** rescale parameters so that outputs are not saturated */
  tweak?: (p: Record<string, number[]>, rng: Rng) => void;
}

const short = { inputMs: 10, delayMs: 20, responseMs: 15 };
const randomizeBias = (p: Record<string, number[]>, rng: Rng) => {
  if (p.b) p.b = p.b.map(() => rng.normal({ std: 0.5 }));
};
const CASES: Case[] = [
  {
    name: "rankOne / delayed activation",
    model: { kind: "rankOne", N: 12, confidence: 2, threshold: 0.2 },
    task: { name: "delayed-activation", T: 6 },
    tweak: (p, rng) => {
      randomizeBias(p, rng);
      p.m = p.m.map((v) => 3 * v);
      p.n = p.n.map((v) => 2 * v);
    },
  },
  {
    name: "rankOne with trainable confidence",
    model: { kind: "rankOne", N: 12, confidence: 1.5, threshold: 0.1, trainConfidence: true },
    task: { name: "delayed-activation", T: 6, x0: 0.2 },
    tweak: (p, rng) => {
      randomizeBias(p, rng);
      p.m = p.m.map((v) => 3 * v);
      p.n = p.n.map((v) => 2 * v);
    },
  },
  {
    name: "rankK (K=3) / delayed activation",
    model: { kind: "rankK", N: 12, K: 3 },
    task: { name: "delayed-activation", T: 6 },
    tweak: (p, rng) => {
      randomizeBias(p, rng);
      p.m = p.m.map((v) => 2 * v);
      p.W_out = p.W_out.map((v) => 3 * v);
    },
  },
  {
    name: "rankK (K=10) / delayed activation",
    model: { kind: "rankK", N: 16, K: 10 },
    task: { name: "delayed-activation", T: 5 },
    tweak: (p, rng) => {
      randomizeBias(p, rng);
      p.m = p.m.map((v) => 2 * v);
      p.W_out = p.W_out.map((v) => 3 * v);
    },
  },
  {
    name: "fullRank / delayed activation (sigmoid after)",
    model: { kind: "fullRank", N: 12 },
    task: { name: "delayed-activation", T: 6 },
    tweak: (p, rng) => {
      randomizeBias(p, rng);
      p.W = p.W.map((v) => 2 * v);
    },
  },
  {
    name: "fullRank / DCDT (tanh before, noise, σ_fr)",
    model: { kind: "fullRank", N: 12 },
    task: { name: "dcdt", ...short, trialsPerType: 2, noiseSigma: 0.1, rateSigma: 0.3 },
  },
  {
    name: "fullRank / DMTS (sigmoid before)",
    model: { kind: "fullRank", N: 11 },
    task: { name: "dmts", ...short, rateSigma: 0.2 },
  },
  {
    name: "fullRank / DCDT read-out after",
    model: { kind: "fullRank", N: 10, readoutTiming: "after" },
    task: { name: "dcdt", ...short, noiseSigma: 0.05, rateSigma: 0.1 },
  },
  {
    name: "lowRank (K=2) / DCDT (tanh before)",
    model: { kind: "lowRank", N: 12, K: 2 },
    task: { name: "dcdt", ...short, trialsPerType: 2, noiseSigma: 0.05, rateSigma: 0.3 },
    tweak: (p) => {
      p.S_r = p.S_r.map((v) => 0.5 * v);
    },
  },
  {
    name: "lowRank (K=3) / DMTS (sigmoid before)",
    model: { kind: "lowRank", N: 12, K: 3 },
    task: { name: "dmts", ...short, noiseSigma: 0.05, rateSigma: 0.3 },
    tweak: (p) => {
      p.S_r = p.S_r.map((v) => 0.5 * v);
    },
  },
  {
    name: "lowRank / DMTS read-out after, tanh",
    model: { kind: "lowRank", N: 9, K: 2, readout: "tanh", readoutTiming: "after" },
    task: { name: "dmts", ...short, rateSigma: 0.3 },
    tweak: (p) => {
      p.S_r = p.S_r.map((v) => 0.5 * v);
    },
  },
];

function setup(c: Case, seed: number) {
  const comp = compile(c.model, c.task);
  const rng = new Rng(seed + 100);
  const params = unpackParams(comp.layout, initParams(comp.model, comp.layout, seed));
  c.tweak?.(params, rng);
  const task = makeTask(c.task);
  const N = comp.model.N, B = task.batch;
  const r0 = task.x0 !== null
    ? new Array(B * N).fill(task.x0)
    : Array.from({ length: B * N }, () => Math.tanh(rng.normal({ std: task.rateSigma })));
  const xi = task.noiseSigma > 0
    ? Array.from({ length: task.steps * B * N }, () => rng.normal({ std: task.noiseSigma }))
    : undefined;
  return { comp, params, r0, xi, task };
}

for (const c of CASES) {
  Deno.test(`BPTT = TF.js autodiff (float32): ${c.name}`, async () => {
    const { params, r0, xi } = setup(c, 7);
    const ours = lossAndGrad(c.model, c.task, params, { r0, xi });
    const tf = await tfLossAndGrad(c.model, c.task, params, r0, xi);
    assert.ok(
      Math.abs(ours.loss - tf.loss) <= 1e-5 * Math.max(1, ours.loss),
      `loss ${ours.loss} vs ${tf.loss}`,
    );
    // outputs not saturated: the test exercises real gradients
    const spread = Math.max(...ours.outputs) - Math.min(...ours.outputs);
    assert.ok(spread > 0.05, `outputs too uniform (${spread}) for a meaningful test`);
    let gmax = 0;
    for (const g of Object.values(ours.grad)) for (const v of g) gmax = Math.max(gmax, Math.abs(v));
    assert.ok(gmax > 1e-4, `gradient too small (${gmax})`);
    for (const [name, g] of Object.entries(ours.grad)) {
      const h = tf.grad[name];
      assert.equal(h.length, g.length, name);
      for (let i = 0; i < g.length; i++) {
        assert.ok(
          Math.abs(g[i] - h[i]) <= 2e-4 * gmax + 1e-3 * Math.abs(g[i]),
          `${name}[${i}]: BPTT ${g[i]} vs TF.js ${h[i]} (max |g| ${gmax})`,
        );
      }
    }
  });

  Deno.test(`BPTT = central finite differences (float64): ${c.name}`, () => {
    const { comp, params, r0, xi } = setup(c, 11);
    const ours = lossAndGrad(c.model, c.task, params, { r0, xi });
    const p = packParams(comp.layout, params);
    const r0a = Float64Array.from(r0);
    const xia = xi ? Float64Array.from(xi) : null;
    const L = (q: Float64Array) => comp.engine.run(q, null, r0a, xia);
    const flat = packParams(comp.layout, ours.grad);
    const rng = new Rng(5);
    const h = 1e-5;
    // every parameter tensor, up to 12 random entries each
    for (let t = 0; t < comp.layout.names.length; t++) {
      const off = comp.layout.offsets[t], size = comp.layout.sizes[t];
      const idx = size <= 12 ? [...Array(size).keys()] : Array.from(rng.choice(size, 12));
      for (const k of idx) {
        const q = Float64Array.from(p);
        q[off + k] = p[off + k] + h;
        const lp = L(q);
        q[off + k] = p[off + k] - h;
        const lm = L(q);
        const fd = (lp - lm) / (2 * h);
        const g = flat[off + k];
        assert.ok(
          Math.abs(fd - g) <= 1e-8 + 1e-5 * Math.abs(g),
          `${comp.layout.names[t]}[${k}]: BPTT ${g} vs FD ${fd}`,
        );
      }
    }
  });
}

Deno.test("BPTT = TF.js at paper size: full-rank DCDT N=100 and rank-K (K=5) N=100 T=20", async () => {
  for (
    const [model, task] of [
      [{ kind: "fullRank", N: 100 }, { name: "dcdt", inputMs: 30, delayMs: 80, responseMs: 50 }],
      [{ kind: "rankK", N: 100, K: 5 }, { name: "delayed-activation", T: 20 }],
    ] as [ModelSpec, TaskSpec][]
  ) {
    const comp = compile(model, task);
    const params = unpackParams(comp.layout, initParams(comp.model, comp.layout, 3));
    const r0 = new Array(comp.task.batch * comp.model.N).fill(comp.task.x0 ?? 0);
    const ours = lossAndGrad(model, task, params, { r0 });
    const tf = await tfLossAndGrad(model, task, params, r0);
    let gmax = 0;
    for (const g of Object.values(ours.grad)) for (const v of g) gmax = Math.max(gmax, Math.abs(v));
    for (const [name, g] of Object.entries(ours.grad)) {
      for (let i = 0; i < g.length; i++) {
        assert.ok(Math.abs(g[i] - tf.grad[name][i]) <= 1e-3 * gmax, `${model.kind} ${name}[${i}]`);
      }
    }
  }
});
