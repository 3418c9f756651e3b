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

Deno.test("linear systems: the fixed point −A⁻¹b, eigenvalues, stable / saddle / spiral", () => {
  const cases: { A: number[]; b: number[]; eig: [number, number][]; kind: string }[] = [
    { A: [-1, 2, 0, -3], b: [1, 3], eig: [[-1, 0], [-3, 0]], kind: "stable" },
    { A: [1, 0, 0, -2], b: [-1, 4], eig: [[1, 0], [-2, 0]], kind: "saddle" },
    { A: [-0.5, 2, -2, -0.5], b: [0.3, -0.1], eig: [[-0.5, 2], [-0.5, -2]], kind: "stable" },
    { A: [2, 1, 0, 3], b: [1, 1], eig: [[3, 0], [2, 0]], kind: "unstable" },
  ];
  for (const { A, b, eig, kind } of cases) {
    const res = findSlowPoints(linearSystem(A, b), Float64Array.from([5, -4, 0.1, 0.2, -3, 7]));
    assert.equal(res.points.length, 1);
    const p = res.points[0];
    assert.equal(p.count, 3);
    assert.equal(p.kind, kind);
    // A x + b = 0
    close(A[0] * p.x[0] + A[1] * p.x[1] + b[0], 0, 1e-12, "residual 1");
    close(A[2] * p.x[0] + A[3] * p.x[1] + b[1], 0, 1e-12, "residual 2");
    eig.forEach(([re, im], k) => {
      close(p.eigRe[k], re, 1e-12, `Re λ${k}`);
      close(p.eigIm[k], im, 1e-12, `Im λ${k}`);
    });
  }
});

Deno.test("2-D system x' = x − x³, y' = −y: three fixed points with known eigenvalues", () => {
  const sys: DynamicalSystem = {
    dim: 2,
    label: "pitchfork",
    flow: (x, out = new Float64Array(2)) => {
      out[0] = x[0] - x[0] ** 3;
      out[1] = -x[1];
      return out;
    },
    jacobian: (x, out = new Float64Array(4)) => {
      out.set([1 - 3 * x[0] ** 2, 0, 0, -1]);
      return out;
    },
  }; // no flowCurvature: exercises the Gauss–Newton Hessian and the finite-difference reduction
  const starts: number[] = [];
  for (const x of [-1.6, -0.9, -0.2, 0.15, 0.8, 1.4]) for (const y of [-1, 0.5]) starts.push(x, y);
  const res = findSlowPoints(sys, starts);
  const pts = [...res.points].sort((a, b) => a.x[0] - b.x[0]);
  assert.deepEqual(pts.map((p) => p.kind), ["stable", "saddle", "stable"]);
  assert.equal(pts.reduce((s, p) => s + p.count, 0), starts.length / 2);
  [-1, 0, 1].forEach((x0, i) => {
    close(pts[i].x[0], x0, 1e-10, "x");
    close(pts[i].x[1], 0, 1e-10, "y");
  });
  assert.deepEqual(pts[0].eigRe.map((v) => Math.round(v * 1e9) / 1e9), [-1, -2]);
  assert.deepEqual(pts[1].eigRe.map((v) => Math.round(v * 1e9) / 1e9), [1, -1]);
});

Deno.test("2-D ghost: x' = x² + r, y' = −y has a ghost at 0, slow direction e₁, passage π/√r", () => {
  const r = 0.01;
  const sys = tanhLessGhost(r);
  const res = findSlowPoints(sys, [0.7, 0.3, -0.5, -1, 0.2, 2]);
  assert.equal(res.points.length, 1);
  const p = res.points[0];
  assert.equal(p.kind, "ghost");
  close(Math.abs(p.slowDirection[0]), 1, 1e-9, "slow direction");
  close(p.passageTime!, Math.PI / Math.sqrt(r), 1e-6, "passage");
  // the same point with a fixed-point tolerance above its speed is a (marginal) fixed point
  const asFixed = classifySlowPoint(sys, p.x, { fixedPointTol: 1 });
  assert.notEqual(asFixed.kind, "ghost");
  assert.equal(asFixed.passageTime, undefined);
});

function tanhLessGhost(r: number): DynamicalSystem {
  return {
    dim: 2,
    label: "2-D saddle-node",
    flow: (x, out = new Float64Array(2)) => {
      out[0] = x[0] * x[0] + r;
      out[1] = -x[1];
      return out;
    },
    jacobian: (x, out = new Float64Array(4)) => {
      out.set([2 * x[0], 0, 0, -1]);
      return out;
    },
    flowCurvature: (_x, w, out = new Float64Array(4)) => {
      out.set([2 * w[0], 0, 0, 0]);
      return out;
    },
  };
}

/** A full-rank tanh RNN whose bias plants a fixed point at xStar: b = atanh(x*) − Wᵀx*. */
function plantedRnn(N: number, seed: number, gain: number) {
  const rng = new Rng(seed);
  const W = Array.from(rng.normals(N * N), (v) => (gain * v) / Math.sqrt(N));
  const xStar = Array.from(rng.uniforms(N, -0.6, 0.6));
  const b = xStar.map((x, j) => {
    let z = 0;
    for (let i = 0; i < N; i++) z += xStar[i] * W[i * N + j];
    return Math.atanh(x) - z;
  });
  return { W, b, xStar, rng };
}

Deno.test("full-rank RNN with a planted fixed point: found, its eigenvalues those of J(x*)", () => {
  const N = 30;
  for (const gain of [0.5, 1.8]) {
    const { W, b, xStar, rng } = plantedRnn(N, 11, gain);
    const sys = slowPointSystem({ kind: "fullRank", params: { W, b } });
    const starts = sampleStarts(xStar, N, 8, 0.05, rng);
    const res = findSlowPoints(sys, starts, { visited: xStar });
    const p = res.points[0];
    assert.ok(p.x.every((v, i) => Math.abs(v - xStar[i]) < 1e-10), `gain ${gain}: location`);
    assert.ok(p.q < 1e-20);
    assert.ok(p.distanceToVisited! < 1e-10);
    // eigenvalues of J = −I + diag(1 − x*²) Wᵀ directly
    const J = new Array(N * N);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        J[i * N + j] = (1 - xStar[i] ** 2) * W[j * N + i] - (i === j ? 1 : 0);
      }
    }
    const sp = spectrum(J, N);
    sp.re.forEach((v, k) => close(p.eigRe[k], v, 1e-9, `Re λ${k}`));
    const expected = sp.re.every((v) => v < 0) ? "stable" : "saddle";
    assert.equal(p.kind, expected, `gain ${gain}`);
  }
});

Deno.test("Jacobian, speed gradient and Hessian = finite differences for every model kind", () => {
  const rng = new Rng(21);
  const N = 12, K = 3;
  const systems = [
    slowPointSystem({
      kind: "rankOne",
      params: { m: rng.normals(N), n: rng.normals(N).map((v) => v / 2), b: rng.normals(N) },
    }),
    slowPointSystem({
      kind: "rankK",
      K,
      params: { m: rng.normals(N * K), n: rng.normals(K * N).map((v) => v / 3), b: rng.normals(N) },
    }),
    slowPointSystem({
      kind: "lowRank",
      K: 2,
      input: 0.7,
      params: {
        S_l: rng.normals(N * 2),
        S_r: rng.normals(2 * N),
        b: rng.normals(N),
        W_in: rng.normals(N),
      },
    }),
    slowPointSystem({
      kind: "fullRank",
      input: -0.4,
      params: { W: rng.normals(N * N).map((v) => v / 2), b: rng.normals(N), W_in: rng.normals(N) },
    }),
    saddleNodeSystem(0.3),
  ];
  for (const sys of systems) {
    const n = sys.dim, x = rng.normals(n).map((v) => 0.5 * v), h = 1e-6;
    const J = sys.jacobian(x), g = speedGradient(sys, x), H = speedHessian(sys, x);
    let scale = 1;
    for (let j = 0; j < n; j++) {
      const xp = Float64Array.from(x), xm = Float64Array.from(x);
      xp[j] += h;
      xm[j] -= h;
      const Fp = sys.flow(xp), Fm = sys.flow(xm);
      for (let i = 0; i < n; i++) {
        scale = Math.max(scale, Math.abs(J[i * n + j]));
        close(J[i * n + j], (Fp[i] - Fm[i]) / (2 * h), 1e-7 * scale, `${sys.label} J[${i},${j}]`);
      }
      close(
        g[j],
        (speed(sys, xp) - speed(sys, xm)) / (2 * h),
        1e-6 * (1 + Math.abs(g[j])),
        `${sys.label} ∇q`,
      );
      const gp = speedGradient(sys, xp), gm = speedGradient(sys, xm);
      for (let i = 0; i < n; i++) {
        const fd = (gp[i] - gm[i]) / (2 * h);
        close(H[i * n + j], fd, 1e-6 * (1 + Math.abs(fd)), `${sys.label} H[${i},${j}]`);
      }
    }
  }
});

Deno.test("slowPointSystem flows: rank-one = rankOneFlow, low rank = −κ + P tanh(Mκ + b + W_in u)", () => {
  const rng = new Rng(5);
  const N = 10;
  const m = rng.normals(N), n = rng.normals(N), b = rng.normals(N);
  const one = slowPointSystem({ kind: "rankOne", params: { m, n, b } });
  for (const k of [-2, 0.3, 4]) {
    close(one.flow([k])[0], rankOneFlow(m, n, b, [k])[0], 0, "rank one");
  }
  // full-rank with W = S_l S_r, rates r: P F_full(r) = F_latent(P r) for the latent coordinates
  const S_l = rng.normals(N * 2), S_r = rng.normals(2 * N), W_in = rng.normals(N), u = 0.4;
  const W = new Array(N * N).fill(0);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < 2; k++) W[i * N + j] += S_l[i * 2 + k] * S_r[k * N + j];
    }
  }
  const low = slowPointSystem({ kind: "lowRank", K: 2, input: u, params: { S_l, S_r, b, W_in } });
  const full = slowPointSystem({ kind: "fullRank", input: u, params: { W, b, W_in } });
  const r = rng.normals(N).map((v) => 0.3 * v);
  const kap = low.toState(r);
  const Ff = full.flow(r), Fl = low.flow(kap), PF = low.toState(Ff);
  close(PF[0], Fl[0], 1e-12, "κ₁");
  close(PF[1], Fl[1], 1e-12, "κ₂");
});

Deno.test("spectrum: right and left eigenvector residuals, biorthogonality, complex pairs", () => {
  const rng = new Rng(8);
  for (const n of [1, 3, 8, 25]) {
    const A = rng.normals(n * n);
    const s = spectrum(A, n);
    let right = 0, left = 0, bio = 0;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let ar = 0, ai = 0, lr = 0, li = 0;
        for (let j = 0; j < n; j++) {
          ar += A[i * n + j] * s.rightRe[j * n + k];
          ai += A[i * n + j] * s.rightIm[j * n + k];
          lr += A[j * n + i] * s.leftRe[j * n + k]; // Aᵀ conj(u) = λ conj(u)
          li -= A[j * n + i] * s.leftIm[j * n + k];
        }
        const vr = s.rightRe[i * n + k], vi = s.rightIm[i * n + k];
        right = Math.max(
          right,
          Math.hypot(ar - (s.re[k] * vr - s.im[k] * vi), ai - (s.re[k] * vi + s.im[k] * vr)),
        );
        const ur = s.leftRe[i * n + k], ui = -s.leftIm[i * n + k];
        left = Math.max(
          left,
          Math.hypot(lr - (s.re[k] * ur - s.im[k] * ui), li - (s.re[k] * ui + s.im[k] * ur)),
        );
      }
      for (let l = 0; l < n; l++) {
        let re = 0, im = 0; // u_kᴴ v_l
        for (let i = 0; i < n; i++) {
          const ur = s.leftRe[i * n + k], ui = -s.leftIm[i * n + k];
          const vr = s.rightRe[i * n + l], vi = s.rightIm[i * n + l];
          re += ur * vr - ui * vi;
          im += ur * vi + ui * vr;
        }
        bio = Math.max(bio, Math.hypot(re - (k === l ? 1 : 0), im));
      }
    }
    assert.ok(right < 1e-11 && left < 1e-10 && bio < 1e-10, `n=${n}: ${right} ${left} ${bio}`);
    for (let k = 1; k < n; k++) assert.ok(s.re[k - 1] >= s.re[k]);
    assert.ok(Math.abs(s.im.reduce((a, v) => a + v, 0)) < 1e-12, "conjugate pairs");
  }
  assert.deepEqual(symmetricEigenvalues([2, 1, 1, 2], 2).map((v) => Math.round(v * 1e12) / 1e12), [
    1,
    3,
  ]);
});

Deno.test("dedup merges points within the tolerance and sums their counts", () => {
  const sys = saddleNodeSystem(-1);
  const a = classifySlowPoint(sys, [-1]), b = classifySlowPoint(sys, [-1 + 1e-9]);
  const c = classifySlowPoint(sys, [1]);
  const merged = dedupSlowPoints([{ ...a, count: 2 }, { ...b, count: 3 }, c], 1e-6);
  assert.equal(merged.length, 2);
  assert.deepEqual(merged.map((p) => p.count).sort(), [1, 5]);
  assert.equal(dedupSlowPoints([a, b, c], 1e-12).length, 3);
});

Deno.test("outliers far from the visited states are excluded; unconverged starts are re-run", () => {
  const sys = saddleNodeSystem(-1); // fixed points ±1
  const visited = [-1.2, -1.1, -0.9, -0.8];
  const res = findSlowPoints(sys, [-1.05, 3], { visited, outlierDistance: 0.5 });
  assert.equal(res.points.length, 1);
  close(res.points[0].x[0], -1, 1e-12, "kept");
  assert.equal(res.outliers.length, 1);
  close(res.outliers[0].x[0], 1, 1e-12, "outlier");
  assert.ok(res.outliers[0].distanceToVisited! > 1.5);
  const once = findSlowPoints(sys, [40], { maxIters: 2, rerunOutliers: false });
  const again = findSlowPoints(sys, [40], { maxIters: 2 });
  assert.equal(once.candidates[0].stop, "maxIters");
  assert.equal(once.candidates[0].iterations, 2);
  assert.equal(again.candidates[0].iterations, 4);
  assert.ok(again.candidates[0].q < once.candidates[0].q);
});

Deno.test("sampleStarts: visited rows plus N(0, jitter²)", () => {
  const states = Float64Array.from({ length: 40 }, (_, i) => i);
  const s0 = sampleStarts(states, 4, 6, 0, new Rng(1));
  for (let s = 0; s < 6; s++) {
    const row = Array.from(s0.subarray(s * 4, s * 4 + 4));
    assert.ok(row[0] % 4 === 0 && row.every((v, k) => v === row[0] + k), `row ${row}`);
  }
  const sj = sampleStarts([0, 0], 2, 4000, 0.1, new Rng(2));
  const sd = Math.sqrt(sj.reduce((a, v) => a + v * v, 0) / sj.length);
  close(sd, 0.1, 0.005, "jitter sd");
});

Deno.test("pca: components of a planted plane, explained variance, projection", () => {
  const rng = new Rng(9);
  const dim = 6, count = 400, states = new Float64Array(count * dim);
  const e1 = [1, 1, 0, 0, 0, 0].map((v) => v / Math.SQRT2), e2 = [0, 0, 1, 0, 0, 0];
  for (let s = 0; s < count; s++) {
    const a = 3 * rng.normal(), c = rng.normal();
    for (let j = 0; j < dim; j++) {
      states[s * dim + j] = 5 + a * e1[j] + c * e2[j] + 1e-3 * rng.normal();
    }
  }
  const p = pca(states, dim, 3);
  const dot = (u: number[], k: number) =>
    u.reduce((s, v, j) => s + v * p.components[k * dim + j], 0);
  close(Math.abs(dot(e1, 0)), 1, 1e-5, "PC1 = e1");
  close(Math.abs(dot(e2, 1)), 1, 1e-5, "PC2 = e2");
  assert.ok(p.explained[0] > 0.85 && p.explained[0] + p.explained[1] > 0.9999);
  const sc = p.project(states.subarray(0, dim));
  close(
    sc[0],
    dot(Array.from(states.subarray(0, dim), (v, j) => v - p.mean[j]), 0),
    1e-12,
    "projection",
  );
});

Deno.test("bad input: shapes, non-finite states, tolerances ≤ 0, unknown kinds name the argument", () => {
  const sys = saddleNodeSystem(0.1);
  assert.throws(
    () => findSlowPoints(linearSystem([1, 0, 0, 1], [0, 0]), [1, 2, 3]),
    /starts.*dim = 2/,
  );
  assert.throws(() => findSlowPoints(sys, [NaN]), /starts\[0\] must be a finite number/);
  assert.throws(
    () => findSlowPoints(sys, [1], { qTol: 0 }),
    /opts.qTol must be a finite number > 0/,
  );
  assert.throws(() => findSlowPoints(sys, [1], { dedupTol: -1 }), /opts.dedupTol/);
  assert.throws(
    () => findSlowPoints(sys, [1], { maxIters: 0 }),
    /opts.maxIters must be an integer >= 1/,
  );
  assert.throws(() => sys.flow([Infinity]), /x\[0\] must be a finite number/);
  assert.throws(() => sampleStarts([1, 2, 3], 2, 5, 0, new Rng(1)), /states must be row-major/);
  assert.throws(
    () => sampleStarts([1, 2], 2, 5, -1, new Rng(1)),
    /jitter must be a finite number >= 0/,
  );
  assert.throws(
    () => tanhSystem({ units: 3, dim: 2, M: [1, 2, 3], P: null, c: [0, 0, 0] }),
    /M must have units×dim = 6 entries/,
  );
  assert.throws(
    () => slowPointSystem({ kind: "fullRank", params: { W: [1, 2, 3], b: [0, 0] } }),
    /params.W must have N×N = 4 entries/,
  );
  assert.throws(
    () => slowPointSystem({ kind: "fullRank", input: 1, params: { W: [1, 0, 0, 1], b: [0, 0] } }),
    /needs params.W_in/,
  );
  // deno-lint-ignore no-explicit-any
  assert.throws(() => slowPointSystem({ kind: "nope" } as any), /unknown model kind "nope"/);
  assert.throws(() => pca([1, 2, 3, 4], 2, 3), /k must be an integer in \[1, dim = 2\]/);
  assert.throws(() => spectrum([1, 2, 3], 2), /A must have n×n = 4 entries/);
});
