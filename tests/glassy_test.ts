// Tests of lib/glassy (spec glassy-dynamics.md): update formulas vs TF.js autodiff, polar iteration,
// loader errors, piano roll, aging Δ of a random walk, w_c / power-law fits, checkpoint resume.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs"; // registers the gradient functions used by the autodiff oracle
import { deriveSeed, Rng } from "@lib/random.ts";
import {
  type AgingResult,
  AgingTracker,
  analyseLadder,
  bracketWc,
  type ChoraleData,
  cloneParams,
  collapseMeasure,
  compareAging,
  compareCurves,
  compareDepths,
  exactState,
  extrapolateWc,
  fitCriticalWidth,
  fitPowerLaw,
  formatDepthPairs,
  formatWcBounds,
  fullConfig,
  furthestRuns,
  type GlassyParams,
  GlassyTrainer,
  haarOrthogonal,
  initialGlassyParams,
  type LearningCurve,
  learningTime,
  loadJsbChorales,
  lossBits,
  matmul,
  type NetworkState,
  orthogonalisationJumps,
  orthogonalityError,
  outerProductVarianceSum,
  parameterCount,
  pianoRoll,
  polarOrthogonal,
  powerLawReach,
  prepareChoraleData,
  referenceWc,
  runAging,
  runLearningCurve,
  sha256Hex,
  stepsToTau,
  syntheticChorales,
  testLossLag,
  transpose,
  useBackend,
  widthPhase,
} from "@lib/glassy/mod.ts";
import { jsbPath } from "./helpers.ts";

function smallData(seed = 1, low = 60, high = 71): ChoraleData {
  const ds = syntheticChorales(seed, {
    low,
    high,
    nTrain: 6,
    nTest: 3,
    minLength: 6,
    maxLength: 10,
  });
  return prepareChoraleData(ds, { low, high, firstChorale: 1, nChorales: 4 });
}

function randomize(p: ReturnType<typeof initialGlassyParams>, seed: number) {
  const rng = new Rng(seed);
  const fill = (a: Float64Array, s: number) => a.forEach((_, i) => (a[i] = s * rng.normal()));
  fill(p.W, 0.2);
  fill(p.K, 0.4);
  fill(p.J0, 0.4);
  p.J.forEach((a) => fill(a, 0.4));
  p.M.forEach((a) => fill(a, 0.4));
  fill(p.h, 0.3);
  return p;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

Deno.test("update formulas at the exact state equal −∇ℓ/T from TF.js autodiff", async () => {
  await useBackend("wasm");
  const data = smallData();
  const T = data.train.T;
  const p = randomize(initialGlassyParams(data, { depth: 2, width: 5 }, 3), 7);
  const state = exactState(p, data.train);
  const tr = await GlassyTrainer.fromState(
    data,
    { depth: 2, width: 5, batchSize: T },
    p,
    state,
  );
  const dirs = tr.updateDirections(Int32Array.from({ length: T }, (_, i) => i));
  tr.dispose();

  // Independent oracle: unrolled sequential forward pass in TF.js, ℓ in nats, autodiff.
  const { nv, w } = p;
  const v = (a: Float64Array, r: number, c: number) => tf.tensor2d(Float32Array.from(a), [r, c]);
  const inputs = [
    v(p.W, nv, nv),
    v(p.K, nv, w),
    v(p.J0, w, nv),
    v(p.J[0], w, w),
    v(p.M[0], w, w),
    v(p.M[1], w, w),
    v(p.h, nv, 1),
  ];
  const x = tf.tensor2d(Float32Array.from(data.train.x), [T, nv]);
  const s = tf.tensor2d(Float32Array.from(data.train.s), [T, nv]);
  const f = (...a: tf.Tensor[]) => {
    const vars = { W: a[0], K: a[1], J0: a[2], J1: a[3], M0: a[4], M1: a[5], h: a[6] };
    let prev0 = tf.zeros([w, 1]);
    let prev1 = tf.zeros([w, 1]);
    let loss = tf.scalar(0);
    for (let t = 0; t < T; t++) {
      if (data.train.starts[t]) {
        prev0 = tf.zeros([w, 1]);
        prev1 = tf.zeros([w, 1]);
      }
      const xt = tf.reshape(tf.slice(x, [t, 0], [1, nv]), [nv, 1]);
      const st = tf.reshape(tf.slice(s, [t, 0], [1, nv]), [nv, 1]);
      const mu0 = tf.tanh(tf.add(tf.matMul(vars.J0, xt), tf.matMul(vars.M0, prev0)));
      const mu1 = tf.tanh(tf.add(tf.matMul(vars.J1, mu0), tf.matMul(vars.M1, prev1)));
      const H = tf.add(tf.add(tf.matMul(vars.K, mu1), tf.matMul(vars.W, xt)), vars.h);
      loss = tf.add(loss, tf.sum(tf.softplus(tf.mul(-2, tf.mul(st, H)))));
      prev0 = mu0;
      prev1 = mu1;
    }
    return loss as tf.Scalar;
  };
  const [gW, gK, gJ0, gJ1, gM0, gM1, gh] = tf.grads(f)(inputs);
  const check = (name: string, ours: Float64Array, g: tf.Tensor) => {
    const ref = Array.from(g.dataSync(), (z) => -z / T);
    const err = maxAbsDiff(ours, ref);
    assert.ok(maxAbs(ref) > 1e-3, `${name}: gradient is not trivially zero`);
    assert.ok(err < 2e-4 * maxAbs(ref) + 1e-6, `${name}: max |ours − autodiff| = ${err}`);
  };
  check("W", dirs.W, gW);
  check("K", dirs.K, gK);
  check("J0", dirs.J0, gJ0);
  check("J1", dirs.J[0], gJ1);
  check("M0", dirs.M[0], gM0);
  check("M1", dirs.M[1], gM1);
  check("h", dirs.h, gh);
  tf.dispose([x, s, gW, gK, gJ0, gJ1, gM0, gM1, gh, ...inputs]);
});

/**
 * A plain float64 replay of one §4 step (docs/glassy-dynamics.md §4.4–4.7), written from the
 * formulas independently of the engines. `variant` injects one ordering mistake, to show that the
 * comparison can fail.
 */
function replayStep(
  data: ChoraleData,
  p0: GlassyParams,
  st: NetworkState,
  mTest0: Float64Array[],
  eta: number,
  cols: Int32Array,
  orth: boolean,
  variant: "authors" | "n-from-new-delta" | "mu-from-new-m" = "authors",
) {
  const { nv, w, d } = p0;
  const T = data.train.T, Tt = data.test.T;
  const x = data.train.x, s = data.train.s;
  const p = cloneParams(p0);
  const k = eta / cols.length;
  // §4.4: all directions from the held states, then the update
  const addOuter = (
    P: Float64Array,
    a: ArrayLike<number>,
    na: number,
    b: ArrayLike<number>,
    nb: number,
  ) => {
    const D = new Float64Array(na * nb);
    for (const t of cols) {
      for (let i = 0; i < na; i++) {
        for (let j = 0; j < nb; j++) D[i * nb + j] += a[t * na + i] * b[t * nb + j];
      }
    }
    return () => D.forEach((v, i) => (P[i] += k * v));
  };
  const ups = [
    addOuter(p.W, st.e, nv, x, nv),
    addOuter(p.K, st.e, nv, st.mu[d - 1], w),
    addOuter(p.J0, st.delta[0], w, x, nv),
    ...p.J.map((J, l) => addOuter(J, st.delta[l + 1], w, st.mu[l], w)),
    ...p.M.map((M, l) => addOuter(M, st.delta[l], w, st.m[l], w)),
  ];
  const dh = new Float64Array(nv);
  for (const t of cols) for (let i = 0; i < nv; i++) dh[i] += st.e[t * nv + i];
  ups.forEach((u) => u());
  dh.forEach((v, i) => (p.h[i] += k * v));
  // §4.5: relaxation of all columns
  const forward = (xs: ArrayLike<number>, ms: Float64Array[], n: number) => {
    const mu = Array.from({ length: d }, () => new Float64Array(n * w));
    for (let t = 0; t < n; t++) {
      for (let l = 0; l < d; l++) {
        for (let j = 0; j < w; j++) {
          let a = 0;
          if (l === 0) { for (let i = 0; i < nv; i++) a += p.J0[j * nv + i] * xs[t * nv + i]; }
          else for (let i = 0; i < w; i++) a += p.J[l - 1][j * w + i] * mu[l - 1][t * w + i];
          for (let i = 0; i < w; i++) a += p.M[l][j * w + i] * ms[l][t * w + i];
          mu[l][t * w + j] = Math.tanh(a);
        }
      }
    }
    return mu;
  };
  const m = st.m.map((a) => a.slice());
  const mu = forward(x, m, T);
  for (let l = 0; l < d; l++) {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < w; j++) {
        const prev = t > 0 ? mu[l][(t - 1) * w + j] : 0;
        m[l][t * w + j] = ((m[l][t * w + j] + prev) / 2) * (1 - data.train.starts[t]);
      }
    }
  }
  const muUsed = variant === "mu-from-new-m" ? forward(x, m, T) : mu;
  const H = new Float64Array(T * nv), e = new Float64Array(T * nv);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < nv; i++) {
      let a = p.h[i];
      for (let j = 0; j < w; j++) a += p.K[i * w + j] * muUsed[d - 1][t * w + j];
      for (let j = 0; j < nv; j++) a += p.W[i * nv + j] * x[t * nv + j];
      H[t * nv + i] = a;
      e[t * nv + i] = s[t * nv + i] - Math.tanh(a);
    }
  }
  const n = st.n.map((a) => a.slice());
  const nUpdate = (l: number, del: Float64Array) => {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < w; j++) {
        const next = t + 1 < T ? del[(t + 1) * w + j] : 0;
        n[l][t * w + j] = ((st.n[l][t * w + j] + next) / 2) * (1 - data.train.ends[t]);
      }
    }
  };
  if (variant !== "n-from-new-delta") { for (let l = 0; l < d; l++) nUpdate(l, st.delta[l]); }
  const delta = Array.from({ length: d }, () => new Float64Array(T * w));
  for (let l = d - 1; l >= 0; l--) {
    if (variant === "n-from-new-delta") nUpdate(l, st.delta[l]); // n_l before δ_l, as it should
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < w; j++) {
        let a = 0;
        if (l === d - 1) { for (let i = 0; i < nv; i++) a += p.K[i * w + j] * e[t * nv + i]; }
        else for (let i = 0; i < w; i++) a += p.J[l][i * w + j] * delta[l + 1][t * w + i];
        for (let i = 0; i < w; i++) a += p.M[l][i * w + j] * n[l][t * w + i];
        const u = muUsed[l][t * w + j];
        delta[l][t * w + j] = (1 - u * u) * a;
      }
    }
    if (variant === "n-from-new-delta") nUpdate(l, delta[l]); // wrong: n from the new δ
  }
  // §4.6
  if (orth) p.M = p.M.map((M) => polarOrthogonal(M, w));
  // §4.7: test columns, no averaging
  const muTest = forward(data.test.x, mTest0, Tt);
  const mTest = muTest.map((u) => {
    const out = new Float64Array(Tt * w);
    for (let t = 1; t < Tt; t++) {
      for (let j = 0; j < w; j++) out[t * w + j] = u[(t - 1) * w + j] * (1 - data.test.starts[t]);
    }
    return out;
  });
  return { p, state: { mu: muUsed, m, n, delta, H, e }, muTest, mTest };
}

for (const engine of ["simd", "tfjs-wasm"] as const) {
  Deno.test(`one full §4 step of the ${engine} engine equals a float64 replay`, async () => {
    const data = smallData(3);
    const d = 2, w = 5;
    const p = randomize(initialGlassyParams(data, { depth: d, width: w }, 4), 11);
    const rng = new Rng(12);
    const jitter = (a: Float64Array, sd: number) => a.map((v) => v + sd * rng.normal());
    const exact = exactState(p, data.train);
    // a relaxed state away from the fixed point, so that every term of the step matters
    const st: NetworkState = {
      ...exact,
      m: exact.m.map((a) => jitter(a, 0.3)),
      n: exact.n.map((a) => jitter(a, 0.3)),
      delta: exact.delta.map((a) => jitter(a, 0.3)),
    };
    const mTest0 = exactState(p, data.test).m.map((a) => jitter(a, 0.3));
    const cfg = { depth: d, width: w, batchSize: 8, eta0: 0.3, warmupSteps: 0, orthInterval: 12 };
    const tr = await GlassyTrainer.fromState(data, cfg, p, st, engine);
    mTest0.forEach((a, l) => tr.engine.write(`mTest${l}`, a));
    tr.steps = 12; // step 12 re-orthogonalises M (s % 12 = 0, s > 10)
    const cols = tr.batch(12);
    tr.step();
    const got = { p: tr.params(), state: tr.state() };
    const gotTest = Array.from({ length: d }, (_, l) => tr.engine.read(`mTest${l}`));
    tr.dispose();
    const ref = replayStep(data, p, st, mTest0, 0.3, cols, true);
    const tol = 2e-5; // float32 engine vs float64 replay, entries are O(1)
    const cmp = (name: string, a: ArrayLike<number>, b: ArrayLike<number>) => {
      const err = maxAbsDiff(a, b);
      assert.ok(err < tol * Math.max(1, maxAbs(b)), `${name}: max |engine − replay| = ${err}`);
    };
    cmp("W", got.p.W, ref.p.W);
    cmp("K", got.p.K, ref.p.K);
    cmp("J0", got.p.J0, ref.p.J0);
    cmp("J1", got.p.J[0], ref.p.J[0]);
    cmp("h", got.p.h, ref.p.h);
    for (let l = 0; l < d; l++) {
      cmp(`M${l} (orthogonalised)`, got.p.M[l], ref.p.M[l]);
      for (const k of ["mu", "m", "n", "delta"] as const) {
        cmp(`${k}${l}`, got.state[k][l], ref.state[k][l]);
      }
      cmp(`mTest${l}`, gotTest[l], ref.mTest[l]);
    }
    cmp("H", got.state.H, ref.state.H);
    cmp("e", got.state.e, ref.state.e);
    assert.ok(orthogonalityError(got.p.M[0], w) < 1e-5);
    // the comparison can fail: either ordering mistake moves δ or n far beyond the tolerance
    for (const v of ["n-from-new-delta", "mu-from-new-m"] as const) {
      const bad = replayStep(data, p, st, mTest0, 0.3, cols, true, v);
      const err = Math.max(
        maxAbsDiff(got.state.delta[0], bad.state.delta[0]),
        maxAbsDiff(got.state.n[0], bad.state.n[0]),
      );
      assert.ok(err > 100 * tol, `${v}: ${err}`);
    }
  });
}

Deno.test("the exact state is a fixed point of the §4 relaxation (η = 0 step)", async () => {
  const data = smallData(2);
  const p = randomize(initialGlassyParams(data, { depth: 2, width: 4 }, 5), 9);
  const st = exactState(p, data.train);
  const tr = await GlassyTrainer.fromState(
    data,
    { depth: 2, width: 4, batchSize: 8, warmupSteps: 10 }, // step 0 has η = sin(0)·η0 = 0
    p,
    st,
  );
  tr.step();
  const after = tr.state();
  tr.dispose();
  for (const k of ["mu", "m", "delta", "n"] as const) {
    for (let l = 0; l < 2; l++) {
      assert.ok(maxAbsDiff(after[k][l], st[k][l]) < 1e-5, `${k}[${l}] changed`);
    }
  }
  assert.ok(maxAbsDiff(after.e, st.e) < 1e-5);
  // and a relaxed (non-exact) state is not a fixed point: the check can fail
  const zeroed = { ...st, m: st.m.map((a) => a.map(() => 0)) };
  const tr2 = await GlassyTrainer.fromState(
    data,
    { depth: 2, width: 4, batchSize: 8, warmupSteps: 10 },
    p,
    zeroed,
  );
  tr2.step();
  assert.ok(maxAbsDiff(tr2.state().mu[0], st.mu[0]) > 1e-3);
  tr2.dispose();
});

Deno.test("loss in bits: ln(1 + e^{-2SH}) / ln 2 averaged; H = 0 gives 1 bit", () => {
  assert.ok(Math.abs(lossBits([0, 0], [1, -1]) - 1) < 1e-12);
  const H = [0.3, -2, 40];
  const S = [1, 1, -1];
  const ref = H.reduce((a, h, i) => a + Math.log(1 + Math.exp(-2 * S[i] * h)), 0) / (3 * Math.LN2);
  assert.ok(Math.abs(lossBits(H, S) - ref) < 1e-12);
});

Deno.test("polar iteration returns orthogonal matrices (the polar factor)", () => {
  const rng = new Rng(11);
  for (const n of [1, 7, 30]) {
    // a generic (far from orthogonal) matrix
    const a = rng.normals(n * n);
    const q = polarOrthogonal(a, n);
    assert.ok(orthogonalityError(q, n) < 1e-10, `n=${n}: QᵀQ ≠ I`);
    // polar factor: QᵀA is symmetric positive definite
    const s = matmul(transpose(q, n, n), a, n, n, n);
    for (let i = 0; i < n; i++) {
      assert.ok(s[i * n + i] > 0, "QᵀA has a positive diagonal");
      for (let j = 0; j < n; j++) assert.ok(Math.abs(s[i * n + j] - s[j * n + i]) < 1e-9);
    }
    // a near-orthogonal matrix (the training case) is projected back
    const h = haarOrthogonal(n, rng);
    assert.ok(orthogonalityError(h, n) < 1e-12, "Haar matrix is orthogonal");
    // it is the Q of G = QR with diag(R) > 0 for the Gaussian G drawn from the same stream:
    // R = QᵀG is upper triangular with a positive diagonal
    const gRng = new Rng(deriveSeed(9, n)), hRng = new Rng(deriveSeed(9, n));
    const g = gRng.normals(n * n);
    const r = matmul(transpose(haarOrthogonal(n, hRng), n, n), g, n, n, n);
    for (let i = 0; i < n; i++) {
      assert.ok(r[i * n + i] > 0, "diag(R) > 0");
      for (let j = 0; j < i; j++) assert.ok(Math.abs(r[i * n + j]) < 1e-10, "R upper triangular");
    }
    const pert = h.map((v) => v + 0.01 * rng.normal());
    assert.ok(orthogonalityError(pert, n) > 1e-4);
    const q2 = polarOrthogonal(pert, n);
    assert.ok(orthogonalityError(q2, n) < 1e-10);
    assert.ok(maxAbsDiff(q2, h) < 0.05, "stays near the unperturbed matrix");
  }
  assert.throws(() => polarOrthogonal(new Float64Array(4), 2), /non-singular/);
});

Deno.test("loader: missing file, wrong checksum and malformed JSON give clear errors", async () => {
  await Deno.mkdir("build", { recursive: true }); // the test task may only write build/ and data/
  const dir = await Deno.makeTempDir({ dir: "build", prefix: "glassy-loader-" });
  try {
    await assert.rejects(
      loadJsbChorales({ path: `${dir}/nope.json` }),
      /not found.*GHOSTLAB_JSB_PATH/s,
    );
    const env = Deno.env.get("GHOSTLAB_JSB_PATH");
    Deno.env.delete("GHOSTLAB_JSB_PATH");
    try {
      await assert.rejects(
        loadJsbChorales({ cachePath: `${dir}/cache.json`, download: false }),
        /download is disabled/,
      );
    } finally {
      if (env !== undefined) Deno.env.set("GHOSTLAB_JSB_PATH", env);
    }
    const bad = `${dir}/bad.json`;
    await Deno.writeTextFile(bad, '{"train": [[[60]]], "valid": [], "test": []}');
    await assert.rejects(loadJsbChorales({ path: bad }), /SHA-256 mismatch.*expected 2db9/s);
    const broken = new TextEncoder().encode('{"train": [[[60, 64]]], "valid": [');
    await Deno.writeFile(bad, broken);
    await assert.rejects(
      loadJsbChorales({ path: bad, sha256: await sha256Hex(broken) }),
      /not valid JSON/,
    );
    const wrongShape = new TextEncoder().encode('{"train": [[["C4"]]], "valid": [], "test": []}');
    await Deno.writeFile(bad, wrongShape);
    await assert.rejects(
      loadJsbChorales({ path: bad, sha256: await sha256Hex(wrongShape) }),
      /malformed.*train\[0\]\[0\]/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("piano roll of a known chorale and the prepared JSB data", async (t) => {
  const roll = pianoRoll([[60, 72, 79, 88], [72, 79, 88], []]);
  assert.equal(roll.length, 3 * 54);
  const on = (r: number) =>
    Array.from(roll.subarray(r * 54, r * 54 + 54)).flatMap((v, i) => v ? [i + 43] : []);
  assert.deepEqual(on(0), [60, 72, 79, 88]);
  assert.deepEqual(on(1), [72, 79, 88]);
  assert.deepEqual(on(2), []);
  assert.throws(() => pianoRoll([[30]]), /pitch 30 .* outside/);

  const path = jsbPath();
  if (path === null) {
    await t.step({ name: "JSB file (skipped: no local copy)", ignore: true, fn: () => {} });
    return;
  }
  const ds = await loadJsbChorales({ path });
  assert.deepEqual([ds.train.length, ds.valid.length, ds.test.length], [229, 76, 77]);
  assert.deepEqual(ds.train[0][0], [60, 72, 79, 88]);
  const data = prepareChoraleData(ds);
  const lens = ds.train.slice(100, 180).map((c) => c.length);
  assert.equal(data.train.T, lens.reduce((a, b) => a + b, 0) - 80);
  assert.equal(data.test.T, ds.test.reduce((a, c) => a + c.length - 1, 0));
  assert.equal(data.train.starts.reduce((a, b) => a + b, 0), 80);
  assert.equal(data.train.ends.reduce((a, b) => a + b, 0), 80);
  // normalised training inputs: mean 0, std 1; targets are the next step as ±1
  let m = 0;
  for (const v of data.train.x) m += v / data.train.x.length;
  assert.ok(Math.abs(m) < 1e-12);
  const first = pianoRoll(ds.train[100]);
  for (let i = 0; i < 54; i++) {
    assert.equal(data.train.s[i], 2 * first[54 + i] - 1, "target(0) = roll(1)");
    assert.ok(Math.abs(data.train.x[i] * data.std + data.mean - first[i]) < 1e-12);
  }
  assert.equal(parameterCount(54, 70, 2), 25176);
});

Deno.test("Δ of a pure random walk equals the number of steps since τ_w", () => {
  const P = 20000;
  const rng = new Rng(5);
  const w = rng.normals(P);
  const noiseInterval = 40;
  const tracker = new AgingTracker(w, 10, 100, noiseInterval, 10);
  for (let j = 0; j < 200; j++) {
    const s = 100 + j;
    const sigma = 1e-3 * (1 + Math.floor(j / noiseInterval)); // σ² changes between blocks
    for (let p = 0; p < P; p++) w[p] += sigma * rng.normal();
    tracker.observe(s, (j + 1) * 0.01, tracker.needsNoise(s) ? sigma * sigma : undefined, w);
  }
  const r = tracker.record;
  assert.deepEqual(r.steps, Array.from({ length: 20 }, (_, k) => 10 * k + 1));
  r.delta.forEach((d, k) => {
    const n = r.steps[k];
    assert.ok(Math.abs(d - n) < 0.05 * n + 0.1, `Δ=${d} after ${n} steps`);
  });
  // round trip through JSON keeps the state
  const again = AgingTracker.fromJSON(JSON.parse(JSON.stringify(tracker.toJSON())));
  assert.deepEqual(again.record, r);
});

Deno.test("noise variance of outer products equals the brute-force variance", () => {
  const rng = new Rng(3);
  const [T, na, nb] = [50, 4, 3];
  const A = rng.normals(T * na);
  const B = rng.normals(T * nb).map((v) => v + 0.7);
  let brute = 0;
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      const g = Array.from({ length: T }, (_, t) => A[t * na + i] * B[t * nb + j]);
      const m = g.reduce((a, b) => a + b, 0) / T;
      brute += g.reduce((a, b) => a + (b - m) ** 2, 0) / T;
    }
  }
  assert.ok(Math.abs(outerProductVarianceSum(A, B, T, na, nb) - brute) < 1e-10 * brute);
});

Deno.test("w_c fit recovers a known w_c from synthetic learning times", () => {
  const rng = new Rng(8);
  const widths = [20, 25, 30, 40, 50, 60, 80];
  for (const [eps, wc] of [[0.05, 18.5], [0.02, 23], [0.01, 26]]) {
    const tauL = widths.map((
      w,
    ) => (w > wc ? (1 + 0.01 * rng.normal()) / (0.002 * (w - wc)) : null));
    const fit = fitCriticalWidth(widths, tauL, eps);
    assert.ok(Math.abs(fit.wc - wc) < 0.5, `w_c=${fit.wc} vs ${wc}`);
    assert.ok(fit.r2 > 0.99);
  }
  const ex = extrapolateWc([0.05, 0.03, 0.02], [10, 14, 16]);
  assert.ok(Math.abs(ex.wc0 - 20) < 1e-9);
  assert.equal(learningTime([1, 2, 3], [0.5, 0.2, 0.1], 0.2), 2);
  assert.equal(learningTime([1, 2, 3], [0.5, 0.2, 0.1], 0.05), null);
  assert.throws(() => fitCriticalWidth([10, 20], [null, 3], 0.1), /need >= 2 widths/);
});

Deno.test("critical width of a ladder and the phase of a width (Eqs. 5.2.3–5.2.4)", () => {
  // L(τ) = exp(−s (w − w_c) τ): τ_L(ε) = −ln ε / (s (w − w_c)), so 1/τ_L is linear in w with
  // zero crossing w_c at every ε, and w_c(ε → 0) = w_c.
  const wc = 5;
  const tau = Array.from({ length: 20001 }, (_, k) => k * 0.005);
  const curve = (w: number, depth = 2): LearningCurve => ({
    config: { depth, width: w } as LearningCurve["config"],
    steps: tau.length,
    done: tau.length,
    step: tau.map((_, k) => k),
    tau,
    train: tau.map((t) => Math.exp(-0.2 * (w - wc) * t)),
    test: tau.map(() => 1),
  });
  const ladder = [8, 12, 16, 24, 32].map((w) => curve(w));
  const full = referenceWc(analyseLadder(ladder, 2, [0.1, 0.05, 0.02], Infinity));
  assert.ok(full !== null && Math.abs(full.wc - wc) < 0.05, JSON.stringify(full));
  assert.match(full!.source, /^w_c\(ε → 0\) = 5\.0\d \(d = 2, from 3 thresholds\)$/);
  // one threshold: w_c(ε) at that ε, said so
  const one = referenceWc(analyseLadder(ladder, 2, [0.05], Infinity));
  assert.ok(one !== null && Math.abs(one.wc - wc) < 0.05);
  assert.match(one!.source, /^w_c\(ε = 0\.05\) = .* too few thresholds/);
  // thresholds close together far from 0: w_c at the smallest ε, not a far extrapolation
  const far = referenceWc(analyseLadder(ladder, 2, [0.12, 0.11, 0.1], Infinity));
  assert.ok(far !== null && Math.abs(far.wc - wc) < 0.1, JSON.stringify(far));
  assert.match(far!.source, /^w_c\(ε = 0\.1\) = .*would reach 5\.0× the thresholds' span/);
  // no width reached ε, or no run of that depth: nothing to judge by
  assert.equal(referenceWc(analyseLadder(ladder, 2, [1e-300], Infinity)), null);
  assert.equal(referenceWc(analyseLadder(ladder, 3, [0.05], Infinity)), null);
  assert.deepEqual([4, 5, 8, 10, 10.5, 32].map((w) => widthPhase(w, 5)), [
    "under-parametrised",
    "near-critical",
    "near-critical",
    "near-critical",
    "over-parametrised",
    "over-parametrised",
  ]);
  assert.equal(widthPhase(30, 10, 4), "near-critical");
  assert.throws(() => widthPhase(8, NaN), /w_c must be finite/);
  assert.throws(() => widthPhase(8, 5, 1), /nearFactor must be > 1/);
});

Deno.test("does a ladder bracket w_c(ε)? reached / below (L∞ > ε) / undecided (Eq. 5.2.5)", () => {
  // L(τ) = L∞(w) + 0.5/τ with L∞(w) = 0.04·max(0, 6 − w), τ from 1 to 100
  const tau = Array.from({ length: 80 }, (_, k) => 10 ** (k / 39.5));
  const ladder = [16, 2, 8, 4].map((w): LearningCurve => ({
    config: { depth: 2, width: w } as LearningCurve["config"],
    steps: tau.length,
    done: tau.length,
    step: tau.map((_, k) => k),
    tau,
    train: tau.map((t) => 0.04 * Math.max(0, 6 - w) + 0.5 / t),
    test: tau.map(() => 1),
  }));
  const [loose, tight] = bracketWc(analyseLadder(ladder, 2, [0.1, 0.001], 1));
  assert.deepEqual(loose, {
    eps: 0.1,
    reached: [4, 8, 16],
    forecast: [],
    below: [2],
    undecided: [],
    brackets: true,
    lower: 2,
    upper: 4,
    interval: [2, 4],
  });
  // at ε = 0.001 nobody gets there in τ ≤ 100: the wide nets (L∞ = 0) are undecided, not below
  assert.deepEqual(tight, {
    eps: 0.001,
    reached: [],
    forecast: [],
    below: [2, 4],
    undecided: [8, 16],
    brackets: false,
    lower: 4,
    upper: null,
    interval: null,
  });
  // forecast (Eq. 5.3.2): the fits of w = 8, 16 (L∞ = 0, A = 0.5, α = 1) reach ε = 0.001 at τ = 500,
  // 5× their runs' τ — beyond a horizon of 4, within one of 6
  const a = analyseLadder(ladder, 2, [0.001], 1);
  assert.ok(a.tauEnd.every((t) => Math.abs(t - 100) < 1e-9), `${a.tauEnd}`);
  assert.deepEqual(bracketWc(a, 4)[0], tight);
  assert.deepEqual(bracketWc(a, 6)[0], {
    eps: 0.001,
    reached: [8, 16],
    forecast: [8, 16],
    below: [2, 4],
    undecided: [],
    brackets: true,
    lower: 4,
    upper: 8,
    interval: [4, 8],
  });
  for (const h of [0.5, NaN, Infinity]) {
    assert.throws(() => bracketWc(a, h), /horizon must be finite and >= 1/);
  }
  // the bracket is the critical width's evidence (Eq. 5.2.3): the midpoint at the smallest ε with one
  const ref = referenceWc(analyseLadder(ladder, 2, [0.1, 0.12, 0.001], 1));
  assert.equal(ref?.wc, 3);
  assert.match(ref!.source, /^w_c\(ε = 0\.1\) in \(2, 4\) by the widths .*midpoint 3 \(d = 2\)$/);
});

Deno.test("w_c vs depth from the ladders' bounds (Eq. 5.2.6): decreases / increases / undetermined", () => {
  // L(τ) = L∞ + 0.5/τ with L∞(w) = 0.04·max(0, c − w), τ from 1 to 100: at ε = 0.1 a width
  // reaches ε by τ = 100 iff L∞ ≤ 0.095, and is below w_c(ε) iff L∞ > 0.1
  const tau = Array.from({ length: 80 }, (_, k) => 10 ** (k / 39.5));
  const run = (depth: number, w: number, c: number): LearningCurve => ({
    config: { depth, width: w } as LearningCurve["config"],
    steps: tau.length,
    done: tau.length,
    step: tau.map((_, k) => k),
    tau,
    train: tau.map((t) => 0.04 * Math.max(0, c - w) + 0.5 / t),
    test: tau.map(() => 1),
  });
  const ladder = (depth: number, widths: number[], c: number) =>
    widths.map((w) => run(depth, w, c));
  const analyse = (runs: LearningCurve[]) =>
    compareDepths(
      [...new Set(runs.map((r) => r.config.depth))].map((d) => analyseLadder(runs, d, [0.1], 1)),
    );
  // d = 1: c = 12 → below {4, 8}, reached {12, 16}; d = 2: c = 6 → below {2}, reached {4, 8, ...}
  const dec = analyse([...ladder(2, [2, 4, 8, 16], 6), ...ladder(1, [4, 8, 12, 16], 12)]);
  assert.deepEqual(dec, [{
    eps: 0.1,
    bounds: [{ depth: 1, lower: 8, upper: 12 }, { depth: 2, lower: 2, upper: 4 }],
    pairs: [{ shallow: 1, deep: 2, relation: "decreases" }],
    verdict: "decreases",
  }]);
  assert.deepEqual(dec[0].bounds.map(formatWcBounds), ["8 < w_c < 12", "2 < w_c < 4"]);
  // the mirror image increases
  const inc = analyse([...ladder(1, [2, 4, 8, 16], 6), ...ladder(2, [4, 8, 12, 16], 12)]);
  assert.equal(inc[0].verdict, "increases");
  assert.deepEqual(inc[0].pairs, [{ shallow: 1, deep: 2, relation: "increases" }]);
  // three depths, the pairs disagreeing (down from 1 to 2, up from 2 to 3): no verdict, each pair said
  const mixed = analyse([
    ...ladder(1, [4, 8, 12, 16], 12),
    ...ladder(2, [2, 4, 8, 16], 6),
    ...ladder(3, [4, 8, 12, 16], 12),
  ]);
  assert.deepEqual(mixed[0].pairs.map((p) => p.relation), ["decreases", "increases"]);
  assert.equal(mixed[0].verdict, "undetermined");
  assert.equal(formatDepthPairs(mixed[0]), "d = 1 → 2 decreases, 2 → 3 increases");
  assert.equal(formatDepthPairs(analyse(ladder(2, [2, 4], 6))[0]), "");
  // a ladder whose every width reached ε has no lower bound: overlapping bounds do not decide
  const open = analyse([...ladder(1, [8, 12, 16], 2), ...ladder(2, [2, 4, 8, 16], 6)]);
  assert.deepEqual(open[0].bounds, [{ depth: 1, lower: null, upper: 8 }, {
    depth: 2,
    lower: 2,
    upper: 4,
  }]);
  assert.equal(open[0].verdict, "undetermined");
  assert.equal(formatWcBounds(open[0].bounds[0]), "w_c < 8");
  assert.deepEqual(open[0].pairs, [{ shallow: 1, deep: 2, relation: "unbounded" }]);
  // both depths bounded, 8 < w_c < 12 at each: the bounds overlap
  const same = analyse([...ladder(1, [4, 8, 12, 16], 12), ...ladder(2, [4, 8, 12, 16], 13)]);
  assert.deepEqual(same[0].bounds.map(formatWcBounds), ["8 < w_c < 12", "8 < w_c < 12"]);
  assert.equal(same[0].verdict, "undetermined");
  assert.deepEqual(same[0].pairs, [{ shallow: 1, deep: 2, relation: "overlapping" }]);
  // one depth alone decides nothing
  assert.equal(analyse(ladder(2, [2, 4, 8, 16], 6))[0].verdict, "undetermined");
  // a ladder that contradicts itself (w = 8 stuck above ε, w = 4 reached it) gives no bound
  const torn = analyse([run(1, 4, 4), run(1, 8, 12), ...ladder(2, [2, 4, 8, 16], 6)]);
  assert.deepEqual(torn[0].bounds[0], { depth: 1, lower: null, upper: null });
  assert.equal(torn[0].verdict, "undetermined");
  // forecast (Eq. 5.3.2): L∞ = 0.098 at d = 1, w = 12 and d = 2, w = 8 — short of ε = 0.1 by τ = 100
  // (undecided), reached at τ̂ = 0.5/0.002 = 250: runs 3× as long would separate the bounds
  const near = [...ladder(1, [8, 12, 16, 20], 14.45), ...ladder(2, [4, 8, 16], 10.45)];
  assert.deepEqual(analyse(near)[0].bounds.map(formatWcBounds), ["8 < w_c < 16", "4 < w_c < 16"]);
  assert.deepEqual(analyse(near)[0].pairs[0].relation, "overlapping");
  const ladders = [1, 2].map((d) => analyseLadder(near, d, [0.1], 1));
  assert.equal(compareDepths(ladders, 2)[0].verdict, "undetermined");
  const far = compareDepths(ladders, 3)[0];
  assert.deepEqual(far.bounds.map(formatWcBounds), ["8 < w_c < 12", "4 < w_c < 8"]);
  assert.equal(far.verdict, "decreases");
  assert.throws(() => compareDepths(ladders, 0.9), /horizon must be finite and >= 1/);
  assert.equal(formatWcBounds({ depth: 3, lower: 10, upper: null }), "w_c > 10");
  assert.equal(formatWcBounds({ depth: 3, lower: null, upper: null }), "no bound");
  assert.throws(
    () =>
      compareDepths([
        analyseLadder(ladder(1, [4], 6), 1, [0.1], 1),
        analyseLadder(ladder(2, [4], 6), 2, [0.2], 1),
      ]),
    /thresholds differ/,
  );
});

Deno.test("power-law fit recovers L∞, A, α", () => {
  const tau = Array.from({ length: 60 }, (_, k) => 10 ** (0.5 + k * 0.05));
  for (const [Linf, A, alpha] of [[0.05, 0.8, 0.7], [0, 1.5, 1.2]]) {
    const L = tau.map((t) => Linf + A * t ** -alpha);
    const f = fitPowerLaw(tau, L);
    assert.ok(Math.abs(f.alpha - alpha) < 1e-3 * alpha, `alpha ${f.alpha}`);
    assert.ok(Math.abs(f.Linf - Linf) < 1e-4, `Linf ${f.Linf}`);
    assert.ok(Math.abs(f.A - A) < 1e-3 * A);
  }
});

Deno.test("furthestRuns: one run per (d, w, seed), the furthest; in-progress runs only as extensions", () => {
  const run = (depth: number, width: number, done: number, steps: number, seed = 42) =>
    ({
      config: { depth, width, seed } as LearningCurve["config"],
      steps,
      done,
      step: [],
      tau: [],
      train: [],
      test: [],
    }) as LearningCurve;
  const a = run(2, 10, 100, 100),
    longDone = run(2, 10, 400, 400),
    longRunning = run(2, 10, 250, 400);
  const b = run(2, 20, 100, 100), fresh = run(2, 30, 50, 100), other = run(2, 10, 100, 100, 7);
  const early = run(2, 20, 60, 400); // a longer rerun not yet past the finished run
  assert.deepEqual(furthestRuns([a, b, fresh, other]), [a, b, other], "a run in progress alone");
  assert.deepEqual(furthestRuns([a, longRunning, b, early]), [longRunning, b]);
  assert.deepEqual(furthestRuns([longDone, a, longRunning]), [longDone]);
  // the ladder analysis sees one run per width
  const withCurve = (r: LearningCurve) => ({ ...r, tau: [1, 2, 3], train: [1, 0.5, 0.3] });
  assert.deepEqual(
    analyseLadder([a, longDone, b].map(withCurve), 2, [0.4], 1).widths,
    [10, 20],
  );
});

Deno.test("when a power law reaches ε (Eq. 5.3.2): τ̂ = (A/(ε − L∞))^(1/α)", () => {
  const fit = { Linf: 0.1, A: 0.8, alpha: 0.5, rmsRel: 0, n: 10, tauMin: 1 };
  const t = powerLawReach(fit, 0.3)!;
  assert.ok(Math.abs(t - 16) < 1e-12, `${t}`);
  assert.ok(Math.abs(fit.Linf + fit.A * t ** -fit.alpha - 0.3) < 1e-12);
  // a fitted curve: the forecast lands where the sampled law itself reaches ε
  const tau = Array.from({ length: 60 }, (_, k) => 10 ** (0.5 + k * 0.05));
  const f = fitPowerLaw(tau, tau.map((x) => 0.05 + 0.8 * x ** -0.7));
  const tHat = powerLawReach(f, 0.06)!;
  const exact = (0.8 / 0.01) ** (1 / 0.7);
  assert.ok(Math.abs(tHat / exact - 1) < 0.02, `${tHat} vs ${exact}`);
  assert.equal(powerLawReach(fit, 0.1), null, "the asymptote itself is never reached");
  assert.equal(powerLawReach(fit, 0.05), null);
  assert.equal(powerLawReach({ ...fit, A: -0.1 }, 0.2), 0, "a law below ε from the start");
  assert.equal(powerLawReach({ ...fit, A: 0 }, 0.05), null);
  assert.throws(() => powerLawReach(fit, NaN), /ε must be finite/);
});

Deno.test("comparing two settings' curves (Eq. 5.4.1): common τ range, loss ratio, exponents", () => {
  const curve = (tau: number[], L: (t: number) => number): LearningCurve => ({
    config: { depth: 2, width: 70 } as LearningCurve["config"],
    steps: tau.length,
    done: tau.length,
    step: tau.map((_, k) => k),
    tau,
    train: tau.map(L),
    test: tau.map((t) => 1.1 * L(t)),
  });
  const tauA = Array.from({ length: 80 }, (_, k) => 0.5 + 0.25 * k); // up to 20.25
  const tauB = Array.from({ length: 40 }, (_, k) => 0.3 + 0.4 * k); // up to 15.9
  const law = (Linf: number, A: number, alpha: number) => (t: number) => Linf + A * t ** -alpha;
  // the same law sampled differently: the range ends at the shorter curve, and they agree
  const same = compareCurves(curve(tauA, law(0.1, 0.3, 0.8)), curve(tauB, law(0.1, 0.3, 0.8)), 1);
  assert.equal(same.tauEnd, tauB.at(-1));
  assert.ok(same.curves[0].tau.at(-1)! <= same.tauEnd && same.curves[0].tau.length < tauA.length);
  assert.equal(same.curves[1].tau.length, tauB.length);
  assert.ok(
    Math.abs(same.fits[0]!.alpha - 0.8) < 0.01 && Math.abs(same.fits[1]!.alpha - 0.8) < 0.01,
  );
  assert.ok(same.alphaAgree && same.agree, JSON.stringify(same.lossRatio));
  assert.ok(Math.abs(same.minTest[1] - 1.1 * law(0.1, 0.3, 0.8)(tauB.at(-1)!)) < 1e-12);
  // twice the loss: the exponents agree, the level does not
  const level = compareCurves(curve(tauB, law(0.2, 0.6, 0.8)), curve(tauB, law(0.1, 0.3, 0.8)), 1);
  assert.ok(Math.abs(level.lossRatio - 2) < 1e-12 && level.alphaAgree && !level.agree);
  // a faster decay to the same level at τ_end: the exponents differ (0.8 vs 1.6)
  const end = tauB.at(-1)!;
  const fast = (t: number) => 0.1 + 0.3 * end ** -0.8 * (t / end) ** -1.6;
  const rate = compareCurves(curve(tauB, fast), curve(tauB, law(0.1, 0.3, 0.8)), 1);
  assert.ok(Math.abs(rate.lossRatio - 1) < 1e-12 && !rate.alphaAgree && !rate.agree);
  // too few points above tauMin: no fit, so no agreement
  const short = compareCurves(curve(tauB, fast), curve(tauB, fast), 15.6);
  assert.deepEqual([short.fits[0], short.alphaAgree, short.agree], [null, false, false]);
  assert.throws(
    () => compareCurves(curve([], fast), curve(tauB, fast), 1),
    /both curves need at least one record/,
  );
  assert.throws(
    () => compareCurves(curve([20, 21], fast), curve(tauB, fast), 1),
    /no record at τ ≤ 15\.9/,
  );
});

Deno.test("collapse measure: 0 for curves of τ/τ_w, positive otherwise", () => {
  const x = Array.from({ length: 30 }, (_, k) => 10 ** (-1 + k * 0.1));
  const collapsed = [1, 2, 4].map(() => ({ x, y: x.map((u) => 100 * u ** 0.6) }));
  assert.ok(collapseMeasure(collapsed).spread < 1e-12);
  const apart = [1, 2, 4].map((tw) => ({ x, y: x.map((u) => 100 * (u * tw) ** 0.6) }));
  const c = collapseMeasure(apart);
  assert.ok(Math.abs(c.spread - 0.6 * Math.log10(2) * Math.sqrt(2 / 3)) < 1e-9);
});

Deno.test("quick vs paper aging (Eq. (6.8.1)): verdicts of the scaling test, agreement", () => {
  // Δ = f(elapsed/τ_w)·(1 + elapsed/1000) collapses under τ/τ_w scaling except for the slow
  // elapsed-time factor, which spoils it at long times only; Δ = g(elapsed) collapses unscaled.
  const run = (width: number, delta: (elapsed: number, tauW: number) => number): AgingResult => ({
    config: { train: { depth: 2, width } } as AgingResult["config"],
    steps: 0,
    done: 0,
    learning: {} as AgingResult["learning"],
    curves: [1, 2, 4].map((tauW) => {
      const elapsed = Array.from({ length: 40 }, (_, k) => tauW * 10 ** (-2 + k * 0.1));
      return {
        tauW,
        waitSteps: 0,
        loss: [],
        steps: [],
        D: [],
        sigma2: [],
        elapsed,
        delta: elapsed.map((t) => delta(t, tauW)),
      };
    }),
  });
  const aging = run(10, (t, tw) => 100 * (t / tw) ** 0.6 * (1 + t / 1000));
  const plain = run(10, (t) => 100 * t ** 0.7);
  const same = compareAging(aging, aging);
  assert.ok(same.agree);
  assert.deepEqual(same.verdicts[0], { scalingCollapses: true, shortBetter: true });
  const c = same.collapse[0];
  assert.ok(c.scaled.spreadShort < 0.1 * c.scaled.spreadLong, JSON.stringify(c.scaled));
  const diff = compareAging(aging, plain);
  assert.equal(diff.verdicts[1].scalingCollapses, false);
  assert.ok(diff.collapse[1].elapsed.spread < 1e-9);
  assert.equal(diff.agree, false);
  assert.throws(() => compareAging(aging, run(20, (t) => t)), /differ in \(d, w\)/);
  const one = { ...aging, curves: aging.curves.slice(0, 1) };
  assert.throws(() => compareAging(one, aging), /run a needs at least 2 aging curves, got 1/);
});

Deno.test("checkpoint + resume reproduces an uninterrupted run", async () => {
  const data = smallData(4);
  const cfg = {
    depth: 2,
    width: 6,
    eta0: 0.05,
    warmupSteps: 5,
    batchSize: 10,
    recordInterval: 5,
    orthInterval: 7,
    seed: deriveSeed(1, 2),
  };
  const a = await GlassyTrainer.create(data, cfg);
  a.run(30);
  const b = await GlassyTrainer.create(data, cfg);
  b.run(13);
  const bytes = b.checkpointBytes({ note: "x" });
  b.dispose();
  const { trainer: c, extra } = await GlassyTrainer.fromCheckpoint(data, bytes);
  assert.deepEqual(extra, { note: "x" });
  c.run(17);
  assert.equal(c.steps, 30);
  assert.deepEqual(c.records.map((r) => r.train), a.records.map((r) => r.train));
  assert.deepEqual(c.weights(), a.weights());
  // M was re-orthogonalised at step 28; one small update since
  assert.ok(orthogonalityError(a.params().M[0], 6) < 0.05);
  a.dispose();
  c.dispose();
});

Deno.test("training on synthetic chorales lowers the training loss", async () => {
  const data = smallData(6);
  const tr = await GlassyTrainer.create(data, {
    depth: 2,
    width: 12,
    eta0: 0.05,
    warmupSteps: 20,
    batchSize: 16,
    recordInterval: 100,
  });
  tr.run(401);
  const r = tr.records;
  assert.ok(r.at(-1)!.train < 0.7 * r[0].train, `loss ${r[0].train} → ${r.at(-1)!.train}`);
  assert.ok(Math.abs(r.at(-1)!.tau - (0.05 * 380 + 0.05 * 20 * (2 / Math.PI))) < 0.1);
  tr.dispose();
});

Deno.test("stepsToTau: the trainer's τ first reaches the target after exactly that many steps", async () => {
  const data = smallData(6);
  const cfg = { depth: 2, width: 6, eta0: 0.05, warmupSteps: 20, batchSize: 8, recordInterval: 1 };
  const tr = await GlassyTrainer.create(data, cfg);
  tr.run(60);
  const tau = tr.records.map((r) => r.tau); // τ after steps 1, 2, …, 60
  tr.dispose();
  for (const target of [0, 0.3, 0.64, 1.5, 2.1]) {
    const n = stepsToTau(fullConfig(cfg), target);
    if (target === 0) assert.equal(n, 0);
    else {
      assert.ok(tau[n - 1] >= target, `τ after ${n} steps ${tau[n - 1]} < ${target}`);
      assert.ok(n === 1 || tau[n - 2] < target, `τ already ${tau[n - 2]} after ${n - 1} steps`);
    }
  }
  assert.throws(() => stepsToTau(fullConfig(cfg), -1), /tau must be finite and >= 0/);
  assert.throws(() => stepsToTau(fullConfig(cfg), Infinity), /tau must be finite/);
});

/** A small fast-moving run for comparing the two test modes (§4.7). */
const TEST_MODE_TRAIN = {
  depth: 2,
  width: 8,
  eta0: 0.01,
  warmupSteps: 10,
  batchSize: 12,
  recordInterval: 10,
  orthInterval: 20,
};

for (const engine of ["simd", "tfjs-wasm"] as const) {
  Deno.test(`testStates "exact" (Eq. 4.7.1) on the ${engine} engine: training and Δ unchanged, test loss near the relaxed one`, async () => {
    const data = smallData(8);
    const train = TEST_MODE_TRAIN;
    const cfg = { waitSteps: [40], agingFactor: 2, noiseInterval: 20, recordInterval: 10 };
    const relaxed = await runAging(data, { ...cfg, train }, { engine });
    const exact = await runAging(data, { ...cfg, train: { ...train, testStates: "exact" } }, {
      engine,
    });
    assert.equal(exact.config.train.testStates, "exact");
    assert.ok(!("testStates" in relaxed.config.train), "the default leaves the config unchanged");
    // the test states never feed back: weights, training losses and Δ are bit-for-bit equal
    assert.deepEqual(exact.curves, relaxed.curves);
    assert.deepEqual(exact.learning.train, relaxed.learning.train);
    // the recorded test loss is the exact pass's for the weights at the record …
    const tr = await GlassyTrainer.create(data, { ...train, testStates: "exact" }, engine);
    tr.run(31);
    const direct = lossBits(exactState(tr.params(), data.test).H, data.test.s);
    assert.equal(tr.records.at(-1)!.test, direct);
    tr.dispose();
    assert.equal(exact.learning.test[3], direct);
    // … and the relaxed states track it: after the first record the two differ by the lag only
    const lag = exact.learning.test.slice(1).map((v, k) =>
      Math.abs(v - relaxed.learning.test[k + 1])
    );
    const change = Math.abs(exact.learning.test.at(-1)! - exact.learning.test[1]);
    assert.ok(Math.max(...lag) < 1e-3, `max |exact − relaxed| = ${Math.max(...lag)}`);
    assert.ok(change > 10 * Math.max(...lag), `test loss moved ${change}, lag ${Math.max(...lag)}`);
    assert.throws(
      () => fullConfig({ ...train, testStates: "fast" as "exact" }),
      /testStates must be "relaxed" or "exact", got fast/,
    );
  });
}

Deno.test("testLossLag: the relaxed and exact test losses of one run, record by record", async () => {
  const data = smallData(8);
  const train = TEST_MODE_TRAIN;
  const lag = await testLossLag(data, train, 41);
  const relaxed = await runLearningCurve(data, train, 41);
  const exact = await runLearningCurve(data, { ...train, testStates: "exact" }, 41);
  assert.deepEqual(lag.step, relaxed.step);
  assert.deepEqual(lag.relaxed, relaxed.test, "the authors' test loss of a relaxed run");
  assert.deepEqual(lag.exact, exact.test, "the test loss a testStates: exact run records");
  const d = lag.exact.map((v, k) => Math.abs(v - lag.relaxed[k]));
  assert.equal(lag.maxLag, Math.max(...d));
  assert.ok(lag.maxLag > 0);
  await assert.rejects(
    () => testLossLag(data, { ...train, testStates: "exact" }, 10),
    /testLossLag needs the relaxed test states/,
  );
  await assert.rejects(() => testLossLag(data, train, 0), /steps/);
});

Deno.test("runAging: an interrupted and resumed run equals an uninterrupted one", async () => {
  const data = smallData(7);
  const cfg = {
    train: { depth: 1, width: 6, eta0: 0.05, warmupSteps: 5, batchSize: 10, recordInterval: 5 },
    waitSteps: [20, 40],
    agingFactor: 2,
    noiseInterval: 10,
    recordInterval: 5,
  };
  const full = await runAging(data, { ...cfg, train: { ...cfg.train, orthInterval: 20 } });
  assert.equal(full.done, 120);
  assert.equal(full.curves.length, 2);
  assert.equal(full.curves[0].steps[0], 1);
  assert.equal(full.curves[0].steps.length, 8); // 40 aging steps, a record every 5
  await Deno.mkdir("build", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: "build", prefix: "glassy-aging-" });
  try {
    const ckpt = `${dir}/a.ckpt`;
    const opts = { checkpoint: ckpt, checkpointEvery: 1000 };
    const c = { ...cfg, train: { ...cfg.train, orthInterval: 20 } };
    const part = await runAging(data, c, { ...opts, untilStep: 55 });
    assert.equal(part.done, 55);
    // a checkpoint made with another config is refused, for the training or the aging part
    await assert.rejects(
      runAging(data, { ...c, train: { ...c.train, eta0: 0.04 } }, opts),
      /different config/,
    );
    await assert.rejects(runAging(data, { ...c, agingFactor: 3 }, opts), /different config/);
    const rest = await runAging(data, c, opts);
    assert.equal(rest.done, 120);
    assert.deepEqual(rest.curves, full.curves);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assert.rejects(
    runAging(data, { ...cfg, waitSteps: [25], train: { ...cfg.train, orthInterval: 20 } }),
    /multiples of orthInterval/,
  );
  await assert.rejects(
    runAging(data, { ...cfg, waitSteps: [20], train: { ...cfg.train, warmupSteps: 30 } }),
    /waitSteps must be >= warmupSteps=30/,
  );
  await assert.rejects(
    runAging(data, { ...cfg, train: { ...cfg.train, eta0: Number.NaN } }),
    /eta0 must be a finite number > 0/,
  );
});

Deno.test("orthogonalisation jumps (Eq. 6.7.1): a synthetic Δ with known jumps and an aging rate", () => {
  // Δ grows at a slowly decaying rate r(j) = 2/(1 + j/3000) per step, plus J = 40 r(j) at every
  // step that ends with a re-orthogonalisation (every 200 steps); recorded like the quick scale
  // (every 40 steps: 0 or 1 per interval) and like the paper scale (every 500: 2 or 3)
  const orthAt = (s: number) => s % 200 === 0;
  for (const [waitSteps, every] of [[400, 40], [12_000, 500]]) {
    const steps: number[] = [], delta: number[] = [];
    let d = 0;
    for (let j = 0; j < 30 * every; j++) {
      const r = 2 / (1 + j / 3000);
      d += r + (orthAt(waitSteps + j) ? 40 * r : 0);
      if (j % every === 0) {
        steps.push(j + 1);
        delta.push(d);
      }
    }
    const o = orthogonalisationJumps({ steps, delta, waitSteps }, orthAt);
    assert.ok(o.pairs >= 5, `pairs ${o.pairs}`);
    assert.ok(Math.abs(o.jumpInSteps - 40) < 2, `every ${every}: jump ${o.jumpInSteps} steps`);
    assert.ok(o.stepRate > 0.5 && o.stepRate < 2, `rate ${o.stepRate}`);
  }
  const none = orthogonalisationJumps(
    { steps: [1, 41, 81, 121], delta: [1, 41, 81, 121], waitSteps: 400 },
    () => false,
  );
  assert.equal(none.pairs, 0);
  assert.ok(Number.isNaN(none.jumpInSteps));
  assert.throws(
    () => orthogonalisationJumps({ steps: [1], delta: [], waitSteps: 0 }, orthAt),
    /equal lengths/,
  );
});
