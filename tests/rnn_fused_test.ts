// The fused rank-K kernel of trainEnsemble (docs/ghost-mechanism.md §2.3, §5; issue 8): two networks
// per f64x2 lane, bit for bit the one-by-one numbers — records, divergence, odd member counts,
// mixed ensembles, the vector tanh, the silent-epoch bookkeeping.
import assert from "node:assert/strict";
import {
  tanh,
  TANH_EXP_TABLE,
  train,
  trainEnsemble,
  Trainer,
  type TrainOptions,
} from "../lib/rnn/mod.ts";
import { RankKKernel, rankKKernelAvailable } from "../lib/rnn/rankk_wasm.ts";
import { HEADER, hexFloat, rankKWat } from "../lib/rnn/rankk_wat.ts";
import { assemble } from "../tools/wasm.ts";
import { Rng } from "../lib/random.ts";

type Base = Parameters<typeof trainEnsemble>[0];
const oneByOne = (base: Base, runs: Partial<TrainOptions>[]) =>
  runs.map((r) => train({ ...base, ...r } as TrainOptions));

Deno.test("fused kernel is available in Deno (WebAssembly SIMD)", () => {
  assert.ok(rankKKernelAvailable());
});

Deno.test("fused rank-K ensemble = one by one, bit for bit (records, windows, checkpoints, states, finalEval)", () => {
  // odd N, K and K + 1 exercise every tail of the kernel's products
  for (const [N, K, T] of [[13, 3, 5], [12, 4, 4], [9, 1, 3], [10, 10, 3]]) {
    const base: Base = {
      model: { kind: "rankK", N, K },
      task: { name: "delayed-activation", T },
      epochs: 60,
      record: {
        every: 17,
        at: [3, 4, 40],
        windows: [[20, 23]],
        checkpoints: [0, 31],
        states: [12],
        finalEval: true,
      },
    };
    const runs = [
      { seed: 1, lr: 0.05 },
      { seed: 2, lr: 0.3 },
      { seed: 3, lr: 1, epochs: 45 },
      { seed: 4, lr: 0.01, record: { every: 0, weightNorm: false } },
      { seed: 5, lr: 0.2, epochs: 1 },
    ];
    const ens = trainEnsemble(base, runs);
    assert.deepEqual(ens, oneByOne(base, runs), `N=${N} K=${K} T=${T}`);
    assert.deepEqual(trainEnsemble(base, runs, { fused: false }), ens);
  }
});

Deno.test("fused rank-K at paper shape (N = 100, T = 20, Fig 6B records) = one by one", () => {
  for (const K of [5, 30]) {
    const base: Base = {
      model: { kind: "rankK", K },
      task: { name: "delayed-activation", T: 20 },
      epochs: 120,
      record: { every: 0, at: [0, 1, 2, 5, 11, 30, 77], weightNorm: false, finalEval: true },
    };
    const runs = [0.001, 0.01, 0.1, 1].flatMap((lr, i) => [{ seed: i, lr }]).concat([{
      seed: 9,
      lr: 0.5,
    }]);
    assert.deepEqual(trainEnsemble(base, runs), oneByOne(base, runs), `K=${K}`);
  }
});

Deno.test("fused rank-K: diverging members end as one by one and free their lane", () => {
  const base: Base = {
    model: { kind: "rankK", N: 20, K: 2 },
    task: { name: "delayed-activation", T: 5 },
    epochs: 80,
    record: { every: 0, finalEval: true },
  };
  // the huge rates overflow in epoch 1: the kernel, asked for many epochs, stops after one; the
  // freed lane then takes a run at epoch 0 beside one at epoch 2
  const runs = [
    { seed: 0, lr: 1e200 },
    { seed: 1, lr: 0.1 },
    { seed: 2, lr: 1e300 },
    { seed: 3, lr: 0.3 },
    { seed: 4, lr: 1e250 },
  ];
  const ens = trainEnsemble(base, runs);
  assert.deepEqual(ens, oneByOne(base, runs));
  assert.deepEqual(ens.map((r) => r.status), ["diverged", "ok", "diverged", "ok", "diverged"]);
  assert.deepEqual(ens.map((r) => r.divergedAt), [1, null, 1, null, 1]);
});

Deno.test("mixed ensemble: fused rank-K SGD beside Adam, rank-one, full rank = one by one", () => {
  const rk = { kind: "rankK" as const, N: 10, K: 3 }, da = { name: "delayed-activation" as const };
  const runs: Partial<TrainOptions>[] = [
    { model: rk, task: da, seed: 1, lr: 0.1 },
    { model: rk, task: da, seed: 2, lr: 0.1, optimizer: { name: "adam" } },
    { model: { kind: "rankOne", N: 10 }, task: da, seed: 3, lr: 0.1 },
    { model: rk, task: { ...da, T: 4 }, seed: 4, lr: 0.2 },
    { model: rk, task: da, seed: 5, lr: 0.05, readoutL1: 1 },
    { model: { kind: "fullRank", N: 8 }, task: da, seed: 6, lr: 0.1 },
    { model: rk, task: da, seed: 7, lr: 0.4, init: { epoch: 5 } },
  ];
  const base = { epochs: 25, record: { every: 6 } };
  assert.deepEqual(trainEnsemble(base, runs), oneByOne(base, runs));
});

/** A small rank-K SGD trainer (seed 1, lr 0.1, T = 3) with extra options. */
const smallTrainer = (N: number, K: number, extra: Partial<TrainOptions>) =>
  new Trainer({
    model: { kind: "rankK", N, K },
    task: { name: "delayed-activation", T: 3 },
    seed: 1,
    lr: 0.1,
    epochs: 30,
    ...extra,
  });

Deno.test("silentEpochs: the next epoch that records something, and nothing after the end", () => {
  const t = smallTrainer(6, 2, {
    epochs: 40,
    record: { every: 10, at: [13], windows: [[25, 27]], checkpoints: [16], states: [33] },
  });
  assert.ok(t.fusable);
  const events = [0, 10, 13, 16, 20, 25, 26, 30, 33, 39];
  for (let e = 0; e < 40; e++) {
    const next = events.find((x) => x >= e)!;
    assert.equal(t.silentEpochs(), next - e, `epoch ${e}`);
    t.step();
  }
  assert.equal(t.silentEpochs(), 0);
  assert.ok(t.done);
  assert.throws(() => t.countSilentEpochs(1), /silent/);
  assert.equal(smallTrainer(6, 2, { optimizer: { name: "adam" } }).fusable, false);
  assert.equal(smallTrainer(6, 2, { readoutL1: 1 }).fusable, false);
});

Deno.test("kernel tanh = the engine's tanh bit for bit (random, ties, clamps, ±0, ±Inf, NaN)", async () => {
  const bytes = await assemble(rankKWat());
  const mem = new WebAssembly.Memory({ initial: 16 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { mem, exp: Math.exp },
  });
  const vtanh = inst.exports.tanh as (p: number, n: number) => void;
  const f = new Float64Array(mem.buffer);
  f.set(TANH_EXP_TABLE, HEADER.TABLE / 8);
  const rng = new Rng(5);
  const xs: number[] = [
    0,
    -0,
    20,
    -20,
    20.000000000000004,
    -20.000000000000004,
    19.999999999999996,
  ];
  xs.push(30, -30, 1e300, -1e300, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1e-300, 0.5, -0.5);
  for (let i = 0; i < 20000; i++) xs.push(rng.normal({ std: 3 }), (rng.uniform() - 0.5) * 70);
  // arguments where y·64/ln2 is (nearly) half-integral: Math.round's tie rule matters
  for (let k = -3000; k <= 3000; k += 7) {
    const x = ((k + 0.5) * Math.LN2 / 64) / 2;
    xs.push(x, x * (1 + 2 ** -52), x * (1 - 2 ** -52));
  }
  while (xs.length % 4 !== 2) xs.push(1); // an odd number of pairs: both code paths run
  const p = HEADER.END;
  f.set(xs, p / 8);
  vtanh(p, xs.length / 2);
  for (let i = 0; i < xs.length; i++) {
    const want = tanh(xs[i]), got = f[p / 8 + i];
    assert.ok(Object.is(got, want), `tanh(${xs[i]}) = ${want}, kernel ${got}`);
  }
});

/** A dot product summed as the f64x2 gemm kernel does: even terms, odd terms, added, odd tail. */
function gemmDot(n: number, a: (l: number) => number, b: (l: number) => number): number {
  let e = 0, o = 0;
  const n2 = n & ~1;
  for (let l = 0; l < n2; l += 2) {
    e += a(l) * b(l);
    o += a(l + 1) * b(l + 1);
  }
  let s = e + o;
  if (n & 1) s += a(n - 1) * b(n - 1);
  return s;
}

Deno.test("kernel products = the gemm kernel's summation order, bit for bit, every block and tail", async () => {
  const bytes = await assemble(rankKWat());
  const mem = new WebAssembly.Memory({ initial: 16 });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { mem, exp: Math.exp },
  }).exports as Record<string, (...a: number[]) => void>;
  const f = new Float64Array(mem.buffer);
  const rng = new Rng(9);
  const V = HEADER.END, M = V + 16 * 64, OUT = M + 16 * 64 * 64, OUT2 = OUT + 16 * 4096;
  f.set(rng.normals((OUT - V) / 8), V / 8);
  // lane pair i at byte address a: f[a/8 + 2i + lane]
  const at = (a: number, i: number, lane: number) => f[a / 8 + 2 * i + lane];
  for (const [L, O] of [[1, 1], [2, 3], [5, 7], [8, 4], [9, 11], [33, 2], [4, 13]]) {
    ex.gemv(V, L, M, 16 * (O + 1), O, OUT); // rows of M with a stride longer than O
    ex.gemvr(V, L, M, 16 * (L + 2), O, OUT2);
    for (let o = 0; o < O; o++) {
      for (const lane of [0, 1]) {
        const v = (l: number) => at(V, l, lane);
        const axpy = gemmDot(L, v, (l) => at(M, l * (O + 1) + o, lane));
        const row = gemmDot(L, v, (l) => at(M, o * (L + 2) + l, lane));
        assert.ok(Object.is(at(OUT, o, lane), axpy), `gemv L=${L} O=${O} o=${o}`);
        assert.ok(Object.is(at(OUT2, o, lane), row), `gemvr L=${L} O=${O} o=${o}`);
      }
    }
  }
  for (const [A, B, T] of [[1, 1, 1], [2, 2, 4], [3, 5, 7], [5, 3, 6], [4, 1, 9]]) {
    const X = V, Y = V + 16 * (A * (T + 1)); // rows of length T with one spare pair
    ex.atbt(X, 16 * (T + 1), A, Y, 16 * (T + 1), B, T, OUT, 16 * (B + 2));
    for (let a = 0; a < A; a++) {
      for (let b = 0; b < B; b++) {
        for (const lane of [0, 1]) {
          const want = gemmDot(
            T,
            (t) => at(X, a * (T + 1) + t, lane),
            (t) => at(Y, b * (T + 1) + t, lane),
          );
          assert.ok(Object.is(at(OUT, a * (B + 2) + b, lane), want), `atbt ${A}×${B}×${T}`);
        }
      }
    }
  }
});

Deno.test("hexFloat writes exact WAT floats", () => {
  assert.equal(hexFloat(1), "0x1.0000000000000p+0");
  assert.equal(hexFloat(-0.5), "-0x1.0000000000000p-1");
  assert.equal(hexFloat(0), "0x0p+0");
  assert.equal(hexFloat(5e-324), "0x0.0000000000001p-1022");
  assert.throws(() => hexFloat(NaN), /finite/);
});

Deno.test("RankKKernel.run(n) = n Trainer.step()s of each lane (parameters, loss, gradient norm)", () => {
  for (const [N, K] of [[100, 100], [7, 3], [11, 6]]) {
    const opts = (seed: number, lr: number): TrainOptions => ({
      model: { kind: "rankK", N, K },
      task: { name: "delayed-activation", T: 6 },
      seed,
      lr,
      epochs: 100,
      record: { every: 1 },
    });
    const a = new Trainer(opts(1, 0.05)), b = new Trainer(opts(2, 0.7));
    const k = new RankKKernel(a.c.model, a.c.task, a.c.layout);
    k.load(0, a.params, 0.05);
    k.load(1, b.params, 0.7);
    assert.equal(k.run(12), 12);
    for (let e = 0; e < 13; e++) a.step(), b.step();
    const pa = new Float64Array(a.params.length), pb = new Float64Array(b.params.length);
    k.store(0, pa);
    k.store(1, pb);
    assert.equal(k.run(1), 1);
    const last = k.last(), h = [a.result.history, b.result.history];
    assert.deepEqual(last.loss, h.map((x) => x.loss[12]), `loss N=${N} K=${K}`);
    assert.deepEqual(last.gradNorm, h.map((x) => x.gradNorm[12]), `grad norm N=${N} K=${K}`);
    k.store(0, pa);
    k.store(1, pb);
    assert.deepEqual([pa, pb], [a.params, b.params], `parameters N=${N} K=${K}`);
  }
});

Deno.test("RankKKernel: named errors; an empty lane never stops the other", () => {
  const t = smallTrainer(8, 2, {});
  const k = new RankKKernel(t.c.model, t.c.task, t.c.layout);
  k.load(1, t.params, 0.1);
  assert.equal(k.run(29), 29);
  const ro = new Trainer({
    model: { kind: "rankOne", N: 8 },
    task: { name: "delayed-activation" },
    seed: 1,
    lr: 0.1,
    epochs: 1,
  });
  assert.throws(() => new RankKKernel(ro.c.model, ro.c.task, ro.c.layout), /rank-K/);
});
