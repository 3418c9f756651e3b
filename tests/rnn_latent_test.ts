// Latent flow of low-rank RNNs (docs/ghost-mechanism.md §2.4): SVD basis, exact latent dynamics.
import assert from "node:assert/strict";
import { Rng } from "../lib/random.ts";
import { latentBasis, latentCoordinates, latentFlow, latentFlowGrid } from "../lib/dynamics/mod.ts";
import { compile, forward, initParams, unpackParams } from "../lib/rnn/mod.ts";

Deno.test("latentBasis: M P = (S_l S_r)ᵀ, P Pᵀ = I, Σσ² = ‖W‖_F², σ descending", () => {
  const rng = new Rng(4);
  for (const [N, K] of [[20, 2], [15, 3], [8, 1]]) {
    const Sl = rng.normals(N * K), Sr = rng.normals(K * N);
    const B = latentBasis(Sl, Sr, N, K);
    let fro = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        let w = 0; // W[i][j] = (S_l S_r)[j][i]
        for (let k = 0; k < K; k++) w += Sl[j * K + k] * Sr[k * N + i];
        let mp = 0;
        for (let k = 0; k < K; k++) mp += B.M[i * K + k] * B.P[k * N + j];
        assert.ok(Math.abs(w - mp) < 1e-12, `N=${N} K=${K} (${i}, ${j})`);
        fro += w * w;
      }
    }
    for (let a = 0; a < K; a++) {
      for (let c = 0; c < K; c++) {
        let d = 0;
        for (let i = 0; i < N; i++) d += B.P[a * N + i] * B.P[c * N + i];
        assert.ok(Math.abs(d - (a === c ? 1 : 0)) < 1e-12);
      }
    }
    assert.ok(Math.abs(B.sigma.reduce((s, v) => s + v * v, 0) - fro) < 1e-9 * fro);
    for (let k = 1; k < K; k++) assert.ok(B.sigma[k - 1] >= B.sigma[k]);
  }
  // N = K = 2, S_l = I: W = S_rᵀ = [[3, 4], [0, 5]]ᵀ has singular values √45, √5
  const s2 = latentBasis([1, 0, 0, 1], [3, 0, 4, 5], 2, 2).sigma;
  assert.ok(Math.abs(s2[0] - Math.sqrt(45)) < 1e-12 && Math.abs(s2[1] - Math.sqrt(5)) < 1e-12);
});

Deno.test("latent dynamics are exact: κ_{t+1} − κ_t = α F(κ_t) along a low-rank RNN trajectory", () => {
  const N = 30;
  const model = { kind: "lowRank" as const, N, K: 2 };
  const task = { name: "delayed-activation" as const, T: 8 }; // no input, no noise
  const comp = compile(model, task);
  const P = unpackParams(comp.layout, initParams(comp.model, comp.layout, 5));
  const rng = new Rng(6);
  const r0 = Array.from({ length: N }, () => Math.tanh(rng.normal({ std: 0.5 })));
  const f = forward(model, task, P, { r0 });
  const B = latentBasis(P.S_l, P.S_r, N, 2);
  const kap = latentCoordinates(B, f.trajectory);
  const S = comp.task.steps;
  assert.equal(kap.length, 2 * (S + 1));
  let moved = 0;
  for (let t = 0; t < S; t++) {
    const F = latentFlow(B, P.b, [kap[2 * t], kap[2 * t + 1]]);
    for (let k = 0; k < 2; k++) {
      const d = kap[2 * (t + 1) + k] - kap[2 * t + k];
      moved += Math.abs(d);
      assert.ok(Math.abs(d - 0.5 * F[k]) < 1e-12, `t=${t} k=${k}: ${d} vs ${0.5 * F[k]}`);
    }
  }
  assert.ok(moved > 1e-3, "the trajectory should move");
  const g = latentFlowGrid(B, P.b, { min: -1, max: 1, n: 5 });
  assert.deepEqual(g.kappa, [-1, -0.5, 0, 0.5, 1]);
  const F = latentFlow(B, P.b, [0.5, -1]);
  assert.ok(Math.abs(g.F1[0 * 5 + 3] - F[0]) < 1e-15 && Math.abs(g.F2[3] - F[1]) < 1e-15);
  assert.throws(
    () => latentBasis([1, 2], [1, 2, 3], 2, 1),
    /S_r must have K\*N = 2 entries, got 3/,
  );
});
