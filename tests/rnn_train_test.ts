// Engine properties (docs/ghost-mechanism.md §2, issue 3): exact κ-reduction, optimisers vs a PyTorch reference,
// ensembles = one-by-one, determinism, divergence, flows, named argument errors.
import assert from "node:assert/strict";
import { Rng } from "../lib/random.ts";
import {
  Adam,
  compile,
  continuation,
  countSignChanges,
  forward,
  initParams,
  isStuck,
  lossAndGrad,
  lowRankFrobenius,
  makeOptimizer,
  rankOneFlow,
  Sgd,
  tanh,
  train,
  trainEnsemble,
  type TrainOptions,
  unpackParams,
} from "../lib/rnn/mod.ts";
import { gemmABt } from "../lib/rnn/kernels.ts";
import { logspace } from "../lib/numeric.ts";
import { zeroOutputLoss } from "../lib/tasks/mod.ts";
import { Arena, wasmGemmAvailable } from "../lib/rnn/gemm_wasm.ts";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

Deno.test("rank-one κ-reduction equals the full N-dimensional simulation (§2.1)", () => {
  const N = 100, T = 20, alpha = 0.5;
  const comp = compile({ kind: "rankOne", N }, { name: "delayed-activation", T });
  const p = initParams(comp.model, comp.layout, 40);
  const rng = new Rng(1);
  for (let i = 0; i < N; i++) {
    p[i] *= 4; // m: strong enough that κ moves and crosses the threshold
    p[2 * N + i] = rng.normal({ std: 0.3 });
  }
  const P = unpackParams(comp.layout, p);
  // plain N-dim simulation, independent of the engine
  let x = new Array(N).fill(-0.3);
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
  const kap: number[] = [];
  for (let t = 0; t < 2 * T; t++) {
    const k = dot(P.n, x);
    x = x.map((xi, i) => (1 - alpha) * xi + alpha * Math.tanh(P.m[i] * k + P.b[i]));
    kap.push(dot(P.n, x));
  }
  // put the read-out threshold in the middle of the κ range so that the outputs vary
  const th = (Math.max(...kap) + Math.min(...kap)) / 2;
  const c = 8 / (Math.max(...kap) - Math.min(...kap));
  const outs = kap.map((k) => sigmoid(c * (k - th)));
  const loss = outs.reduce((s, o, t) => s + (o - (t >= T ? 1 : 0)) ** 2 / T, 0);
  const model = { kind: "rankOne" as const, N, confidence: c, threshold: th };
  const ours = lossAndGrad(model, { name: "delayed-activation", T }, P);
  assert.ok(Math.abs(ours.loss - loss) < 1e-12, `${ours.loss} vs ${loss}`);
  for (let t = 0; t < 2 * T; t++) assert.ok(Math.abs(ours.outputs[t] - outs[t]) < 1e-12);
  assert.ok(Math.max(...outs) - Math.min(...outs) > 0.1, "outputs should vary");
  // default c = 10, θ = 1 as well
  const d = lossAndGrad({ kind: "rankOne", N }, { name: "delayed-activation", T }, P);
  d.outputs.forEach((o, t) => assert.ok(Math.abs(o - sigmoid(10 * (kap[t] - 1))) < 1e-12));
});

Deno.test("rank-K κ-reduction equals the full N-dimensional simulation (§2.3)", () => {
  for (const K of [1, 4, 12]) rankKvsFull(K);
});

function rankKvsFull(K: number) {
  const N = 50, T = 10, alpha = 0.5;
  const model = { kind: "rankK" as const, N, K }, task = { name: "delayed-activation" as const, T };
  const comp = compile(model, task);
  const P = unpackParams(comp.layout, initParams(comp.model, comp.layout, 9));
  P.m = P.m.map((v) => 3 * v);
  P.b = P.b.map((_, i) => 0.2 * Math.sin(i));
  let x = new Array(N).fill(-0.3);
  let loss = 0;
  const outs: number[] = [];
  for (let t = 0; t < 2 * T; t++) {
    const xm = Array.from(
      { length: K },
      (_, k) => x.reduce((s, v, i) => s + v * P.m[i * K + k], 0),
    );
    x = x.map((xi, j) => {
      let pre = P.b[j];
      for (let k = 0; k < K; k++) pre += xm[k] * P.n[k * N + j];
      return (1 - alpha) * xi + alpha * Math.tanh(pre);
    });
    const o = sigmoid(x.reduce((s, v, i) => s + v * P.W_out[i], 0) + P.b_out[0]);
    outs.push(o);
    loss += (o - (t >= T ? 1 : 0)) ** 2 / T;
  }
  const ours = lossAndGrad(model, task, P);
  assert.ok(Math.abs(ours.loss - loss) < 1e-12, `${ours.loss} vs ${loss}`);
  for (let t = 0; t < 2 * T; t++) assert.ok(Math.abs(ours.outputs[t] - outs[t]) < 1e-12);
}

Deno.test("rank-one flow: κ_{t+1} − κ_t = α F(κ_t) along the trajectory; sign changes", () => {
  const N = 30;
  const res = train({
    model: { kind: "rankOne", N },
    task: { name: "delayed-activation", T: 5 },
    seed: 2,
    lr: 0.01,
    epochs: 1,
    record: { states: [0] },
  });
  const kap = res.states[0].trajectory;
  const P = res.checkpoints.length ? res.checkpoints[0].params : null;
  assert.equal(P, null);
  const comp = compile({ kind: "rankOne", N }, { name: "delayed-activation", T: 5 });
  const p = unpackParams(comp.layout, initParams(comp.model, comp.layout, 2));
  const F = rankOneFlow(p.m, p.n, p.b, kap.slice(0, -1));
  for (let t = 0; t < F.length; t++) assert.ok(Math.abs(kap[t + 1] - kap[t] - 0.5 * F[t]) < 1e-13);
  assert.equal(countSignChanges([1, 0.5, -1, -2, 3]), 2);
  const fp = train({
    model: { kind: "rankOne", N },
    task: { name: "delayed-activation", T: 5 },
    seed: 2,
    lr: 0.01,
    epochs: 3,
    record: { flowSignChanges: true, flowAt: [0, 1, 2] },
  });
  assert.deepEqual(fp.history.flowSignChanges, fp.flows.map((f) => countSignChanges(f.F)));
  assert.ok(fp.history.flowSignChanges[0] >= 1, "F(κ) = −κ + … has at least one zero");
  assert.deepEqual(logspace(-3, 0, 4).map((v) => +v.toPrecision(12)), [0.001, 0.01, 0.1, 1]);
});

Deno.test("SGD and Adam steps equal a PyTorch 1.13 float64 reference", () => {
  const grads = [[0.1, -0.3, 2.0, 0.0], [-0.5, 0.25, 1.5, 1e-3], [0.2, 0.2, -4.0, -2.0]];
  // torch.optim.SGD(lr=0.05), Adam(lr=0.05), Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
  // p0 = [1, -2, 0.5, 3], float64
  const ref = {
    sgd: [[0.995, -1.985, 0.4, 3.0], [1.02, -1.9975, 0.325, 2.99995], [
      1.01,
      -2.0075,
      0.525,
      3.09995,
    ]],
    adam: [
      [0.9500000049999995, -1.9500000016666665, 0.45000000025, 3.0],
      [0.9799177132761671, -1.9480939000538, 0.40087124645501204, 2.962793684866845],
      [0.9897774594371396, -1.9613517708167236, 0.4078474057845984, 2.994719987267636],
    ],
    adam2: [
      [0.990000099999, -1.9900000333332222, 0.4900000049999975, 3.0],
      [0.996456627155298, -1.9902013143691655, 0.48025078925957415, 2.992173964437486],
      [0.9982183397543114, -1.9935709624515312, 0.4825320391528194, 2.9992342380026407],
    ],
  };
  const cases: [keyof typeof ref, () => Sgd | Adam, number][] = [
    ["sgd", () => new Sgd(), 0.05],
    ["adam", () => new Adam(4), 0.05],
    ["adam2", () => new Adam(4, { beta1: 0.8, beta2: 0.99, eps: 1e-6 }), 0.01],
  ];
  for (const [name, mk, lr] of cases) {
    const opt = mk();
    const p = Float64Array.from([1, -2, 0.5, 3]);
    grads.forEach((g, s) => {
      opt.step(p, Float64Array.from(g), lr);
      for (let i = 0; i < 4; i++) {
        assert.ok(Math.abs(p[i] - ref[name][s][i]) <= 1e-14, `${name} step ${s} [${i}]: ${p[i]}`);
      }
    });
  }
  // first Adam step by hand: p − lr·g/(|g| + ε)
  const p = Float64Array.from([1]);
  new Adam(1).step(p, Float64Array.from([0.3]), 0.1);
  assert.ok(Math.abs(p[0] - (1 - 0.1 * 0.3 / (0.3 + 1e-8))) < 1e-15);
});

Deno.test("Adam state round-trips: resumed training equals uninterrupted training", () => {
  const base: TrainOptions = {
    model: { kind: "lowRank", N: 20 },
    task: { name: "dmts", noiseSigma: 0.01, rateSigma: 0.3 },
    seed: 4,
    lr: 1e-3,
    epochs: 30,
    optimizer: { name: "adam" },
  };
  const full = train(base);
  const a = train({ ...base, epochs: 12 });
  const b = train({
    ...base,
    epochs: 18,
    init: { params: a.final.params, optimizer: a.final.optimizer, epoch: 12 },
  });
  assert.deepEqual(b.final.params, full.final.params);
  assert.deepEqual([...a.history.loss, ...b.history.loss], full.history.loss);
});

const ENSEMBLE_BASE = {
  model: { kind: "fullRank" as const, N: 16 },
  task: { name: "dcdt" as const, noiseSigma: 0.01, rateSigma: 0.1 },
  epochs: 40,
  record: { every: 3, checkpoints: [0, 39], states: [10] },
};

Deno.test("ensemble training equals one-by-one training exactly (seeds × learning rates)", () => {
  const runs = [{ seed: 1, lr: 0.01 }, { seed: 2, lr: 0.01 }, { seed: 1, lr: 0.3 }, {
    seed: 3,
    lr: 1.5,
  }];
  const ens = trainEnsemble(ENSEMBLE_BASE, runs);
  assert.equal(ens.length, 4);
  runs.forEach((r, i) => assert.deepEqual(ens[i], train({ ...ENSEMBLE_BASE, ...r })));
  // rank-one ensemble with runs of different lengths
  const ro = {
    model: { kind: "rankOne" as const, N: 20 },
    task: { name: "delayed-activation" as const },
  };
  const e2 = trainEnsemble({ ...ro, epochs: 25 }, [{ seed: 5, lr: 0.1 }, {
    seed: 6,
    lr: 0.2,
    epochs: 7,
  }]);
  assert.deepEqual(e2[1], train({ ...ro, seed: 6, lr: 0.2, epochs: 7 }));
  assert.deepEqual(e2[0], train({ ...ro, seed: 5, lr: 0.1, epochs: 25 }));
});

Deno.test("same seed ⇒ identical results; another seed ⇒ different results", () => {
  const o: TrainOptions = { ...ENSEMBLE_BASE, seed: 8, lr: 0.05 };
  const a = train(o), b = train(structuredClone(o));
  assert.deepEqual(a, b);
  const c = train({ ...o, seed: 9 });
  assert.notDeepEqual(a.history.loss, c.history.loss);
  assert.deepEqual(JSON.parse(JSON.stringify(a)), a, "result is plain JSON data");
});

Deno.test("a huge learning rate ends as 'diverged' with its history kept", () => {
  const r = train({
    model: { kind: "rankOne" },
    task: { name: "delayed-activation" },
    seed: 3,
    lr: 1e200,
    epochs: 50,
  });
  assert.equal(r.status, "diverged");
  assert.equal(r.divergedAt, 1);
  assert.equal(r.epochsRun, 1);
  assert.equal(r.history.loss.length, 1);
  assert.ok(Number.isFinite(r.history.loss[0]));
  const ok = train({
    model: { kind: "rankOne" },
    task: { name: "delayed-activation" },
    seed: 3,
    lr: 0.003,
    epochs: 5,
  });
  assert.equal(ok.status, "ok");
  assert.equal(ok.divergedAt, null);
});

Deno.test("training lowers the loss (full-rank DCDT and delayed activation)", () => {
  const a = train({
    model: { kind: "fullRank", N: 30 },
    task: { name: "dcdt", inputMs: 30, delayMs: 80, responseMs: 50 },
    seed: 1,
    lr: 0.1,
    epochs: 300,
    record: { every: 299 },
  });
  assert.ok(a.history.loss.at(-1)! < 0.3 * a.history.loss[0], `${a.history.loss}`);
  assert.ok(a.history.accuracy.at(-1)! > a.history.accuracy[0]);
  const b = train({
    model: { kind: "fullRank", N: 30 },
    task: { name: "delayed-activation" },
    seed: 1,
    lr: 0.05,
    epochs: 500,
    record: { every: 499 },
  });
  assert.ok(b.history.loss.at(-1)! < 0.1 * b.history.loss[0], `${b.history.loss}`);
});

Deno.test("records: norms, checkpoints, states, flows, readout L1 bound", () => {
  const r = train({
    model: { kind: "rankOne", N: 20 },
    task: { name: "delayed-activation", T: 5 },
    seed: 1,
    lr: 0.01,
    epochs: 10,
    record: {
      every: 4,
      checkpoints: [0, 9],
      flowAt: [3],
      flowEvery: 5,
      flowGrid: { min: -2, max: 2, n: 5 },
    },
  });
  assert.deepEqual(r.history.epoch, [0, 4, 8, 9]);
  assert.deepEqual(r.flows.map((f) => f.epoch), [0, 3, 5]);
  assert.deepEqual(r.flowKappa, [-2, -1, 0, 1, 2]);
  const p0 = r.checkpoints[0].params;
  assert.deepEqual(r.flows[0].F, rankOneFlow(p0.m, p0.n, p0.b, [-2, -1, 0, 1, 2]));
  const nm = Math.hypot(...p0.m), nn = Math.hypot(...p0.n);
  assert.ok(Math.abs(r.history.recWeightNorm[0] - nm * nn) < 1e-12);
  // low-rank Frobenius norm via the trace identity vs the explicit product
  const rng = new Rng(3), N = 7, K = 3;
  const A = rng.normals(N * K), B = rng.normals(K * N);
  let s = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let v = 0;
      for (let k = 0; k < K; k++) v += A[i * K + k] * B[k * N + j];
      s += v * v;
    }
  }
  assert.ok(Math.abs(lowRankFrobenius(A, B, N, K) - Math.sqrt(s)) < 1e-12);
  // Fig 8C: ‖W_out‖₁ = c before each forward pass
  const c = train({
    model: { kind: "fullRank", N: 12 },
    task: { name: "dcdt" },
    seed: 1,
    lr: 0.1,
    epochs: 3,
    readoutL1: 0.5,
    record: { checkpoints: [2] },
  });
  const l1 = c.checkpoints[0].params.W_out.reduce((a, v) => a + Math.abs(v), 0);
  assert.ok(Math.abs(l1 - 0.5) < 1e-12);
});

Deno.test("invalid arguments throw named errors with the valid range", () => {
  const da = { name: "delayed-activation" as const };
  const t = (o: Partial<TrainOptions>, re: RegExp) =>
    assert.throws(
      () =>
        train(
          {
            model: { kind: "rankOne" },
            task: da,
            seed: 0,
            lr: 0.1,
            epochs: 1,
            ...o,
          } as TrainOptions,
        ),
      re,
    );
  t({ lr: 0 }, /lr must be a finite number > 0, got 0/);
  t({ lr: -1 }, /lr must be a finite number > 0/);
  t({ epochs: -3 }, /epochs must be an integer >= 0, got -3/);
  t({ seed: 1.5 }, /seed must be an integer in \[0, 2\^32\)/);
  t({ model: { kind: "rankOne", N: 0 } }, /N must be an integer >= 1, got 0/);
  t(
    { model: { kind: "rankK", N: 10, K: 11 } },
    /K \(rank\) must be an integer in \[1, 10\], got 11/,
  );
  t(
    { model: { kind: "lowRank", N: 10, K: 0 }, task: { name: "dcdt" } },
    /K \(rank\) must be an integer in \[1, 10\], got 0/,
  );
  t({ model: { kind: "rankOne", alpha: 1.5 } }, /alpha must be in \(0, 1\], got 1.5/);
  t(
    { model: { kind: "bogus" } as never },
    /unknown model kind "bogus"; valid: rankOne, rankK, fullRank, lowRank/,
  );
  t(
    { task: { name: "nope" } as never },
    /unknown task "nope"; valid: delayed-activation, dcdt, dmts/,
  );
  t({ task: { name: "dcdt" } }, /model rankOne runs only the delayed-activation task/);
  t({ task: { name: "delayed-activation", T: 0 } }, /T must be an integer >= 1, got 0/);
  t(
    { model: { kind: "fullRank" }, task: { name: "dcdt", inputMs: 12 } },
    /inputMs must be a multiple of dtMs=5 ms, got 12/,
  );
  t({ optimizer: { name: "rmsprop" } as never }, /unknown optimizer "rmsprop"; valid: sgd, adam/);
  t({ readoutL1: 0 }, /readoutL1 must be > 0/);
  t({ readoutL1: 1 }, /readoutL1 needs a model with W_out, got rankOne/);
  t(
    { init: { params: { m: [1, 2, 3] } } },
    /parameter "m" must have 100 entries \(shape 100\), got 3/,
  );
  t({ init: { params: { W: [1] } } }, /unknown parameter "W"; valid: m, n, b/);
  t(
    { record: { flowAt: [1] }, model: { kind: "rankK", K: 2 } },
    /flowAt\/flowEvery\/flowSignChanges need model kind rankOne/,
  );
  t({ optimizer: { name: "adam", beta1: 1 } }, /beta1 must be in \[0, 1\), got 1/);
  assert.throws(
    () => makeOptimizer({ name: "sgd" }, 3, { name: "adam", step: 1, m: [], v: [] }),
    /optimizer state is for "adam"/,
  );
  assert.throws(
    () => trainEnsemble({ epochs: 1 }, [{ seed: 1, lr: 0.1 }]),
    /run 0 of the ensemble has no model or task/,
  );
  t({ record: { windows: [[5, 2]] } }, /record.windows\[0\]\[1\] must be an integer >= 5, got 2/);
  t({ record: { every: -1 } }, /record.every must be an integer >= 0, got -1/);
  assert.throws(
    () => lossAndGrad({ kind: "fullRank", N: 5 }, { name: "dcdt" }, {}, { r0: [1, 2] }),
    /r0 must have 10 entries, got 2/,
  );
});

Deno.test("gemmABt equals naive A·Bᵀ for all remainder shapes", () => {
  const rng = new Rng(12);
  for (const [nA, nB, len] of [[1, 1, 1], [2, 4, 3], [3, 5, 7], [5, 9, 2], [4, 8, 16], [7, 3, 5]]) {
    const A = rng.normals(nA * len + 3), B = rng.normals(nB * len + 2);
    const ldc = nB + 1;
    const C = new Float64Array(nA * ldc + 1).fill(NaN);
    gemmABt(A, 3, nA, B, 2, nB, len, C, 1, ldc);
    for (let a = 0; a < nA; a++) {
      for (let b = 0; b < nB; b++) {
        let s = 0;
        for (let k = 0; k < len; k++) s += A[3 + a * len + k] * B[2 + b * len + k];
        assert.ok(Math.abs(C[1 + a * ldc + b] - s) < 1e-12, `${nA}×${nB}×${len} (${a}, ${b})`);
      }
    }
  }
});

Deno.test("WebAssembly SIMD gemm equals the JS kernel; forward() matches lossAndGrad()", () => {
  assert.ok(wasmGemmAvailable(), "WebAssembly SIMD should be available in Deno");
  const rng = new Rng(13);
  for (
    const [nA, nB, len] of [[1, 1, 1], [2, 4, 3], [3, 5, 7], [5, 9, 2], [2, 100, 100], [
      100,
      100,
      64,
    ]]
  ) {
    const ar = new Arena([nA * len + 3, nB * len + 2, nA * (nB + 1) + 1]);
    assert.ok(ar.wasm);
    const A = ar.take(0), B = ar.take(1), C = ar.take(2);
    A.v.set(rng.normals(A.v.length));
    B.v.set(rng.normals(B.v.length));
    C.v.fill(NaN);
    ar.gemm(A, 3, nA, B, 2, nB, len, C, 1, nB + 1);
    const ref = new Float64Array(C.v.length).fill(NaN);
    gemmABt(A.v, 3, nA, B.v, 2, nB, len, ref, 1, nB + 1);
    for (let i = 1; i < ref.length; i++) {
      if (Number.isNaN(ref[i])) assert.ok(Number.isNaN(C.v[i]), "gemm wrote outside C");
      else assert.ok(Math.abs(ref[i] - C.v[i]) < 1e-12 * len, `${nA}×${nB}×${len} [${i}]`);
    }
  }
  const model = { kind: "fullRank" as const, N: 10 }, task = { name: "dmts" as const };
  const comp = compile(model, task);
  const P = unpackParams(comp.layout, initParams(comp.model, comp.layout, 1));
  const f = forward(model, task, P), lg = lossAndGrad(model, task, P);
  assert.equal(f.loss, lg.loss);
  assert.deepEqual(f.outputs, lg.outputs);
  assert.deepEqual(f.shape, [comp.task.steps + 1, 4, 10]);
  assert.equal(f.trajectory.length, (comp.task.steps + 1) * 40);
});

Deno.test("engine tanh: |tanh − Math.tanh| ≤ 5e-16, saturates to ±1, NaN stays NaN", () => {
  const rng = new Rng(21);
  for (let i = 0; i < 100_000; i++) {
    const x = rng.uniformIn(-30, 30) * (i % 3 === 0 ? 0.01 : 1);
    assert.ok(Math.abs(tanh(x) - Math.tanh(x)) <= 5e-16, `x = ${x}`);
  }
  assert.equal(tanh(1000), 1);
  assert.equal(tanh(-1000), -1);
  assert.equal(tanh(Infinity), 1);
  assert.equal(tanh(-Infinity), -1);
  assert.ok(Number.isNaN(tanh(NaN)));
  assert.equal(tanh(0), 0);
});

Deno.test("recording windows, chosen epochs and the final evaluation of the last parameters", () => {
  const base: TrainOptions = {
    model: { kind: "rankOne" },
    task: { name: "delayed-activation", T: 20 },
    seed: 3,
    lr: 0.02,
    epochs: 60,
  };
  const full = train({ ...base, record: { every: 1 } });
  const sparse = train({
    ...base,
    record: { every: 0, at: [7, 19], windows: [[40, 45]], finalEval: true },
  });
  assert.deepEqual(sparse.history.epoch, [7, 19, 40, 41, 42, 43, 44, 59]);
  for (const [i, e] of sparse.history.epoch.entries()) {
    assert.equal(sparse.history.loss[i], full.history.loss[e]);
    assert.equal(sparse.history.gradNorm[i], full.history.gradNorm[e]);
  }
  // the final evaluation equals history row 60 of a run one epoch longer
  const longer = train({ ...base, epochs: 61, record: { every: 1 } });
  const f = sparse.finalEval!;
  assert.equal(f.epoch, 60);
  assert.equal(f.loss, longer.history.loss[60]);
  assert.equal(f.accuracy, longer.history.accuracy[60]);
  assert.equal(f.gradNorm, longer.history.gradNorm[60]);
  assert.equal(f.recGradNorm, longer.history.recGradNorm[60]);
  assert.equal(full.finalEval, null);
});

Deno.test("sign changes at chosen epochs equal those of the saved flows", () => {
  const r = train({
    model: { kind: "rankOne" },
    task: { name: "delayed-activation", T: 20 },
    seed: 40,
    lr: 0.02,
    epochs: 30,
    record: { every: 0, signChangesAt: [0, 29], flowAt: [0, 29] },
  });
  assert.deepEqual(r.signChanges.map((s) => s.epoch), [0, 29]);
  r.signChanges.forEach((s, i) => assert.equal(s.count, countSignChanges(r.flows[i].F)));
  assert.ok(r.signChanges[0].count >= 1, "F = −κ + … has at least one zero on [−15, 15]");
});

Deno.test("ensemble members sharing a seed share each epoch's draws: the same numbers as one by one", () => {
  // Fig 8C's shape: noisy DCDT, Adam, continuations of one run with different read-out bounds,
  // plus a second seed and a member that starts at another epoch (the draws must not be mixed up)
  const base: TrainOptions = {
    model: { kind: "fullRank", N: 12 },
    task: { name: "dcdt", trialsPerType: 3, noiseSigma: 1e-2, rateSigma: 0.1 },
    seed: 3,
    lr: 0.02,
    epochs: 15,
    optimizer: { name: "adam" },
    record: { every: 1, weightNorm: false },
  };
  const first = train(base);
  const other = train({ ...base, seed: 4 });
  const runs = [
    continuation(first, { readoutL1: 0.5 }),
    continuation(other, { readoutL1: 0.5 }),
    continuation(first, { readoutL1: null }),
    continuation(train({ ...base, epochs: 12 }), { readoutL1: 1 }), // seed 3, epochs 12…26
    continuation(other, { readoutL1: 3 }),
    continuation(first, { readoutL1: 3 }),
  ];
  const together = trainEnsemble({ epochs: 15 }, runs);
  runs.forEach((r, i) => {
    const alone = train(r);
    assert.deepEqual(together[i].history, alone.history, `member ${i}`);
    assert.deepEqual(together[i].final.params, alone.final.params, `member ${i}`);
  });
  assert.notDeepEqual(together[0].history.loss, together[2].history.loss);
});

Deno.test("two-phase continuation = one uninterrupted run; ensembles may differ in c", () => {
  const base: TrainOptions = {
    model: { kind: "rankOne" },
    task: { name: "delayed-activation", T: 20 },
    seed: 5,
    lr: 0.05,
    epochs: 40,
    optimizer: { name: "adam" },
  };
  const whole = train({ ...base, epochs: 70 });
  const first = train(base);
  const second = train(continuation(first, { epochs: 30 }));
  assert.deepEqual(second.history.epoch[0], 40);
  assert.deepEqual(second.history.loss, whole.history.loss.slice(40));
  assert.deepEqual(second.final.params, whole.final.params);
  // changed confidence in phase 2: members of one ensemble with different c = one by one
  const cs = [0.1, 1, 10];
  const phase2 = cs.map((c) => continuation(first, { model: { kind: "rankOne", confidence: c } }));
  const together = trainEnsemble({ epochs: 10 }, phase2.map((o) => ({ ...o, epochs: 10 })));
  cs.forEach((_, i) => {
    const alone = train({ ...phase2[i], epochs: 10 });
    assert.deepEqual(together[i].history.loss, alone.history.loss);
  });
  assert.notDeepEqual(together[0].history.loss, together[2].history.loss);
  // learnable confidence reset to 1 in phase 2
  const conf = train({ ...base, model: { kind: "rankOne", trainConfidence: true } });
  const reset = continuation(conf, { params: { c: [1] }, epochs: 1 });
  assert.deepEqual(reset.init?.params?.c, [1]);
  const diverged = { ...first, status: "diverged" as const, divergedAt: 3 };
  assert.throws(() => continuation(diverged, {}), /cannot continue a run that ended "diverged"/);
});

Deno.test("isStuck: learned once, then at most chance accuracy over the window", () => {
  const h = (acc: number[]) => ({
    epoch: acc.map((_, i) => i),
    loss: acc.map(() => 1),
    accuracy: acc,
    gradNorm: acc.map(() => 0),
    recGradNorm: acc.map(() => 0),
    recWeightNorm: [],
    flowSignChanges: [],
  });
  assert.equal(isStuck(h([0.5, 0.9, 0.5, 0.5]), 2, 4), true);
  assert.equal(isStuck(h([0.5, 0.5, 0.5, 0.5]), 2, 4), false); // never learned
  assert.equal(isStuck(h([0.5, 0.9, 0.5, 0.6]), 2, 4), false); // not stuck in the window
  assert.throws(() => isStuck(h([0.5]), 2, 4), /no recorded epoch in \[2, 4\)/);
});

Deno.test("zeroOutputLoss = the engine's loss of an all-zero output", () => {
  assert.equal(zeroOutputLoss({ name: "delayed-activation", T: 20 }), 1);
  const dmts = { name: "dmts" as const, inputMs: 30, delayMs: 80, responseMs: 50 };
  // 2 of 4 trial types have target 1 over the 10 response steps of 38
  assert.ok(Math.abs(zeroOutputLoss(dmts) - (2 * 10) / (4 * 38)) < 1e-15);
  // a full-rank net whose read-out is exactly 0 (tanh read-out, W_out = b_out = 0) on DCDT
  const dcdt = { name: "dcdt" as const };
  const N = 4;
  const z = lossAndGrad({ kind: "fullRank", N }, dcdt, {
    W_out: new Array(N).fill(0),
    b_out: [0],
  });
  assert.ok(Math.abs(z.loss - zeroOutputLoss(dcdt)) < 1e-15, `${z.loss}`);
});
