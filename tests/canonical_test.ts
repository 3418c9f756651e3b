import assert from "node:assert/strict";
import { linspace, logspace } from "../lib/numeric.ts";
import {
  alphaCritical,
  alphaSweep,
  analyticGradient,
  analyticLoss,
  batchedGradientDescent,
  canonicalTask,
  criticalAlphaFigure,
  crossingTime,
  eulerCrossingTime,
  finiteCriticalAlphaFigure,
  fitLogLog,
  flow,
  flowPoints,
  ghostPointsFigure,
  gradientDescent,
  gridGradient,
  interactiveGhostFigure,
  measureCriticalAlpha,
  measureSimulatedCriticalAlpha,
  measureTravelTime,
  noLearningBoundary,
  passageTimeStudy,
  rhoStep,
  rStar,
  simulatedCriticalAlphaLaw,
  simulatedLandscape,
  simulatedLoss,
  simulatedLossAndGradient,
  simulatedTrapping,
  simulateTrial,
  spreadStarts,
  stuckFraction,
  sweepFigure,
  trappedFractionFigure,
  tStar,
} from "../lib/canonical/mod.ts";

function close(a: number, b: number, tol: number, msg = ""): void {
  assert.ok(Math.abs(a - b) <= tol, `${msg} |${a} − ${b}| = ${Math.abs(a - b)} > ${tol}`);
}

Deno.test("r*, zone boundary, α_c and t* take the spec's values", () => {
  close(rStar(100), 2.4674011e-4, 1e-10);
  close(noLearningBoundary(100), 6.1685028e-5, 1e-11);
  close(alphaCritical(100), 9.1321e-10, 1e-14);
  close(alphaCritical(100, { normalized: true }), 9.1321e-8, 1e-12);
  close(tStar(rStar(100)), 100, 1e-9);
  assert.equal(tStar(0), Infinity);
  assert.equal(tStar(-1), Infinity);
  // Derivation check (§1.6): from r → r*⁺ one step at α_c lands exactly on r*/4.
  const T = 73;
  const rs = rStar(T);
  const land = rs - alphaCritical(T) * analyticGradient(rs * (1 + 1e-12), T);
  close(land / (rs / 4), 1, 1e-9);
});

Deno.test("Figure 1: fixed points ±√0.5 for r = −0.5, a ghost and no root for r = +0.5", () => {
  const neg = flowPoints(-0.5);
  close(neg.stable as number, -Math.sqrt(0.5), 1e-15);
  close(neg.unstable as number, Math.sqrt(0.5), 1e-15);
  close(flow(neg.stable as number, -0.5), 0, 1e-15);
  close(flow(neg.unstable as number, -0.5), 0, 1e-15);
  assert.equal(neg.ghost, null);
  const pos = flowPoints(0.5);
  assert.equal(pos.ghost, 0);
  assert.equal(pos.stable, null);
  assert.equal(flow(0, 0.5), 0.5);
  // No root: f > 0 on a fine grid over [−1, 1], minimum at the ghost.
  const f = linspace(-1, 1, 2001).map((x) => flow(x, 0.5));
  assert.ok(Math.min(...f) >= 0.5);
  const fig = ghostPointsFigure();
  assert.ok(fig.data.length >= 5);
});

Deno.test("analytic landscape: 0 at r*, 1 − 1/√2 at 2r*, 1 on the plateau r ≤ r*/4", () => {
  for (const T of [50, 100, 400]) {
    const rs = rStar(T);
    close(analyticLoss(rs, T, { normalized: true }), 0, 1e-12);
    close(analyticLoss(2 * rs, T, { normalized: true }), 1 - 1 / Math.SQRT2, 1e-12);
    for (const r of [rs / 4, rs / 8, 0, -rs]) {
      assert.equal(analyticLoss(r, T, { normalized: true }), 1);
      assert.equal(analyticLoss(r, T), T);
    }
    // Continuity at the zone boundary.
    close(analyticLoss(rs / 4 * (1 + 1e-9), T, { normalized: true }), 1, 1e-6);
  }
});

Deno.test("analytic landscape matches the Euler simulation at high confidence", () => {
  const T = 100;
  const rs = rStar(T);
  const grid = linspace(-rs, 2 * rs, 61);
  for (const [dt, tol] of [[0.1, 0.01], [0.01, 0.002]]) {
    const sim = simulatedLandscape(grid, { T, c: 20, dt });
    let worst = 0;
    grid.forEach((r, i) => {
      worst = Math.max(worst, Math.abs(sim.loss[i] - analyticLoss(r, T, { normalized: true })));
    });
    assert.ok(worst < tol, `dt = ${dt}: max |sim − analytic| = ${worst}`);
  }
  // Lower confidence smooths and lowers the plateau (Fig 2 expectation).
  const low = simulatedLoss(rs / 8, { T, c: 0.1, normalized: true });
  assert.ok(low < 0.8 && low > 0.3, `c = 0.1 plateau ${low}`);
});

Deno.test("analytic gradient equals finite differences of the analytic loss", () => {
  for (const T of [30, 100]) {
    const rs = rStar(T);
    for (const f of [0.3, 0.6, 0.95, 1.1, 2, 7]) {
      const r = f * rs;
      const h = r * 1e-7;
      for (const normalized of [false, true]) {
        const fd =
          (analyticLoss(r + h, T, { normalized }) - analyticLoss(r - h, T, { normalized })) /
          (2 * h);
        const g = analyticGradient(r, T, { normalized });
        close(g / fd, 1, 1e-6, `T=${T} r=${f}r* normalized=${normalized}`);
      }
    }
    assert.equal(analyticGradient(0.2 * rs, T), 0);
    assert.equal(analyticGradient(-rs, T), 0);
    // The gradient does not vanish at the minimum: |dL/dr| = 2T³/π² (oscillatory minimum).
    close(Math.abs(analyticGradient(rs, T)) / (2 * T ** 3 / Math.PI ** 2), 1, 1e-12);
  }
});

Deno.test("adjoint gradient of the simulated loss equals central finite differences", () => {
  const rs = rStar(100);
  const cases: { c: number; f: number; noise?: number }[] = [
    { c: 0.1, f: 0.1 },
    { c: 0.1, f: 1.3 },
    { c: 1, f: 0.5 },
    { c: 1, f: 0.9 },
    { c: 1, f: 3 },
    { c: 2, f: 1.5 },
    { c: 0.5, f: -0.5 },
    { c: 1, f: 0.8, noise: 0.05 },
  ];
  for (const { c, f, noise } of cases) {
    const r = f * rs;
    const opts = { c, noise, seed: 7 };
    const { gradient } = simulatedLossAndGradient(r, opts);
    const h = Math.abs(r) * 1e-6;
    const fd = (simulatedLoss(r + h, opts) - simulatedLoss(r - h, opts)) / (2 * h);
    close(gradient / fd, 1, 1e-4, `c=${c} r=${f}r* noise=${noise}`);
  }
  // Normalisation divides both loss and gradient by T.
  const a = simulatedLossAndGradient(0.7 * rs, { c: 1 });
  const b = simulatedLossAndGradient(0.7 * rs, { c: 1, normalized: true });
  close(b.gradient * 100 / a.gradient, 1, 1e-12);
});

Deno.test("gridGradient matches numpy.gradient and differentiates a quadratic exactly inside", () => {
  const x = linspace(0, 2, 5);
  const g = gridGradient(x.map((v) => v * v), 0.5);
  assert.deepEqual(g, [0.5, 1, 2, 3, 3.5]);
  assert.throws(() => gridGradient([1], 0.1), /y must have at least 2 samples/);
});

Deno.test("blow-up time t*(r) and threshold crossing agree with simulation", () => {
  for (const r of [1e-4, rStar(100), 0.01, 1, 50]) {
    // Exact-flow integration from 0 to 1e6 equals the closed form, ≈ t* − 1e-6.
    const t = measureTravelTime(r, 0, 1e6);
    close(t / crossingTime(r, 1e6), 1, 1e-8, `r=${r}`);
    close(t / tStar(r), 1, 1e-5, `r=${r}`);
    // Fine Euler steps reproduce the threshold-crossing time arctan(x*/√r)/√r.
    const dt = 1e-3 / Math.sqrt(r) / 10;
    close(eulerCrossingTime(r, { dt, threshold: 10 }) / crossingTime(r, 10), 1, 2e-3, `r=${r}`);
  }
  // At r = r*, T = 100: t_c = 99.90 vs t* = 100 (docs/ghost-mechanism.md §1.2); the paper's Δt = 0.1 is within 1 %.
  close(crossingTime(rStar(100)), 99.9, 0.001);
  close(eulerCrossingTime(rStar(100)) / 99.9, 1, 0.01);
  assert.equal(crossingTime(-0.1), Infinity);
  assert.equal(measureTravelTime(-0.1, -1, 1), Infinity);
  const st = passageTimeStudy(logspace(-4, 2, 7));
  assert.ok(st.maxRelDevPassage < 1e-4, `passage deviation ${st.maxRelDevPassage}`);
});

Deno.test("Euler trial: x0 = 0, targets switch after T/Δt, clipping at 1e6", () => {
  const tr = simulateTrial(rStar(100) * 4, { c: 1 });
  assert.equal(tr.x.length, 2001);
  assert.equal(tr.target[1000], 0);
  assert.equal(tr.target[1001], 1);
  assert.equal(Math.max(...tr.x), 1e6);
  assert.equal(canonicalTask().steps, 2000);
  const { loss } = simulatedLossAndGradient(rStar(100) * 4, { c: 1 });
  close(tr.loss, loss, 1e-9);
});

Deno.test("gradient descent: α = 1e-10 learns, α = 1e-9 ends in the no-learning zone", () => {
  const T = 100;
  const ok = gradientDescent({ T, alpha: 1e-10, epochs: 3000 });
  const bad = gradientDescent({ T, alpha: 1e-9, epochs: 3000 });
  assert.ok(!ok.stuck && ok.loss.at(-1)! < 0.05, `α = 1e-10 final loss ${ok.loss.at(-1)}`);
  assert.ok(ok.loss[0] > 0.5);
  assert.ok(bad.stuck && bad.loss.at(-1) === 1);
  // The simulated-loss gradient (c = 1) gives the same qualitative outcome.
  const okSim = gradientDescent({ T, alpha: 1e-10, epochs: 3000, gradient: "simulated" });
  const badSim = gradientDescent({ T, alpha: 1e-9, epochs: 3000, gradient: "simulated" });
  assert.ok(!okSim.stuck && okSim.loss.at(-1)! < 0.05);
  assert.ok(badSim.stuck && badSim.loss.at(-1)! > 0.99);
  // Batched runs reproduce single runs exactly.
  const b = batchedGradientDescent({
    T,
    alpha: [1e-10, 1e-9],
    r0: [10 * rStar(T), 10 * rStar(T)],
    epochs: 3000,
    recordEpochs: [0, 1000, 3000],
  });
  assert.equal(b.r[1][0], ok.r[1000]);
  assert.equal(b.r[2][0], ok.r[3000]);
  assert.equal(b.r[2][1], bad.r[3000]);
  assert.deepEqual(b.stuck, [false, true]);
});

Deno.test("scale invariance: GD in ρ = r/r* depends only on α/α_c", () => {
  for (const T of [20, 100, 500]) {
    const rs = rStar(T);
    const h = gradientDescent({ T, alpha: 0.7 * alphaCritical(T), r0: 6 * rs, epochs: 200 });
    let rho = 6;
    for (let e = 0; e <= 200; e++) {
      close(h.r[e] / rs, rho, 1e-9 * Math.max(1, rho));
      rho = rhoStep(rho, 0.7);
    }
  }
});

Deno.test("sharp transition at α_c: 0.95α_c never enters the zone, 1.05α_c always ends there", () => {
  for (const T of [50, 100, 400]) {
    const r0 = spreadStarts(T, 40);
    assert.ok(r0.every((r) => r > rStar(T) && r <= 10 * rStar(T) * (1 + 1e-12)));
    const below = batchedGradientDescent({
      T,
      alpha: r0.map(() => 0.95 * alphaCritical(T)),
      r0,
      epochs: 20000,
    });
    assert.ok(
      below.stuckEpoch.every((e) => e === null),
      `T=${T}: a run below α_c entered the zone`,
    );
    assert.equal(stuckFraction(T, 1.05 * alphaCritical(T), { r0, epochs: 20000 }), 1);
  }
});

Deno.test("measured critical α follows α_c ∝ T^-5 (T^-4 for the normalised loss)", () => {
  const Ts = [25, 50, 100, 200, 400];
  const opts = { r0: undefined, epochs: 5000, relTol: 1e-3 };
  const m = Ts.map((T) => measureCriticalAlpha(T, opts));
  for (const x of m) {
    assert.ok(x.alpha > 0.95 * x.analytic && x.alpha < 1.1 * x.analytic, `T=${x.T}`);
    assert.ok(x.lo < x.hi);
  }
  const fit = fitLogLog(Ts, m.map((x) => x.alpha));
  close(fit.exponent, -5, 0.02);
  const mn = Ts.map((T) => measureCriticalAlpha(T, { ...opts, normalized: true }));
  close(fitLogLog(Ts, mn.map((x) => x.alpha)).exponent, -4, 0.02);
  const fig = criticalAlphaFigure(m, alphaCritical, fit);
  assert.equal(fig.data.length, 3);
});

Deno.test("Fig 2d sweep: same seed ⇒ same numbers; cliff to L/T = 1 above α_c", () => {
  const opts = {
    alphas: logspace(-11, -8, 12),
    starts: 4,
    epochs: 3000,
    recordEpochs: [1000, 3000],
  };
  const a = alphaSweep({ ...opts, seed: 3 });
  const b = alphaSweep({ ...opts, seed: 3 });
  const c = alphaSweep({ ...opts, seed: 4 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.mean, c.mean);
  assert.equal(a.mean.length, 2);
  assert.equal(a.mean[0].length, 12);
  // Above ~1.1 α_c every start ends stuck with loss 1; far below α_c none does.
  a.alphas.forEach((al, i) => {
    if (al > 1.1 * a.alphaCritical) {
      assert.equal(a.stuckFraction[i], 1);
      assert.equal(a.mean[1][i], 1);
    }
    if (al < 0.95 * a.alphaCritical) assert.equal(a.stuckFraction[i], 0);
  });
  const fig = sweepFigure(a);
  assert.equal(fig.data.length, 2);
});

Deno.test("interactive figure has one slider step per r", () => {
  const rs = [-0.5, -0.1, 0, 0.1, 0.5];
  const fig = interactiveGhostFigure(rs);
  const sliders = fig.layout.sliders as { steps: unknown[] }[];
  assert.equal(sliders[0].steps.length, rs.length);
});

Deno.test("invalid arguments throw errors naming the argument and range", () => {
  assert.throws(() => rStar(0), /T must be a finite number > 0, got 0/);
  assert.throws(() => rStar(-1), /T must be/);
  assert.throws(() => alphaCritical(NaN), /T must be/);
  assert.throws(() => simulateTrial(0.1, { dt: 0 }), /dt must be a finite number > 0/);
  assert.throws(() => simulateTrial(0.1, { dt: 500 }), /dt must be <= 2T/);
  assert.throws(() => simulateTrial(0.1, { c: -1 }), /c must be a finite number > 0/);
  assert.throws(() => simulateTrial(0.1, { noise: -0.1 }), /noise must be a finite number >= 0/);
  assert.throws(() => simulateTrial(0.1, { seed: 1.5 }), /seed must be an integer/);
  assert.throws(() => simulateTrial(Infinity), /r must be a finite number/);
  assert.throws(() => analyticLoss(NaN, 100), /r must be a finite number/);
  assert.throws(() => analyticGradient(1e-4, -5), /T must be/);
  assert.throws(() => crossingTime(0.1, 0, 1), /xStar must be > x0/);
  assert.throws(() => gradientDescent({ alpha: 0 }), /alpha must be a finite number > 0/);
  assert.throws(() => gradientDescent({ alpha: 1e-10, epochs: -1 }), /epochs must be an integer/);
  assert.throws(
    () => batchedGradientDescent({ alpha: [1e-10], r0: [1, 2], epochs: 10 }),
    /r0 must have the same length as alpha/,
  );
  assert.throws(
    () => batchedGradientDescent({ alpha: [1e-10], r0: [1], epochs: 10, recordEpochs: [11] }),
    /recordEpochs entries must be integers in \[0, 10\]/,
  );
  assert.throws(() => alphaSweep({ starts: 0 }), /starts must be an integer >= 1/);
  assert.throws(() => fitLogLog([1, 2], [1, -1]), /y\[1\] must be a finite number > 0/);
  assert.throws(() => measureTravelTime(1, 1, 0), /to must be > from/);
});

Deno.test("early exit of the adjoint pass is bit-for-bit the full Euler loop", () => {
  // Noise 1e-300 changes no state bit (|√Δt·ε·ξ| is below every state's ulp for r ≠ 0) but disables
  // the early exit, so the two calls run the short and the full loop on the same trajectory.
  for (const T of [10, 100]) {
    for (const c of [0.01, 0.5, 1, 5, 20]) {
      for (const f of [-0.5, 0.1, 0.3, 0.9, 1, 1.5, 10]) {
        const r = f * rStar(T);
        const fast = simulatedLossAndGradient(r, { T, c });
        const full = simulatedLossAndGradient(r, { T, c, noise: 1e-300, seed: 1 });
        assert.equal(fast.loss, full.loss, `loss T=${T} c=${c} r=${f}r*`);
        assert.equal(fast.gradient, full.gradient, `gradient T=${T} c=${c} r=${f}r*`);
      }
    }
  }
});

Deno.test("fitLogLog: exponent, prefactor and the residual standard error of a worked example", () => {
  const exact = fitLogLog([1, 2, 4, 8], [3, 3 / 32, 3 / 1024, 3 / 32768]);
  close(exact.exponent, -5, 1e-12);
  close(exact.prefactor, 3, 1e-12);
  close(exact.exponentSE, 0, 1e-7);
  // log x = 0, 1, 2 and log y = 0, 1, 3: slope 3/2, residuals (1/6, −1/3, 1/6), SE = √(1/12).
  const f = fitLogLog([1, Math.E, Math.E ** 2], [1, Math.E, Math.E ** 3]);
  close(f.exponent, 1.5, 1e-12);
  close(f.exponentSE, Math.sqrt(1 / 12), 1e-12);
  assert.ok(Number.isNaN(fitLogLog([1, 2], [1, 2]).exponentSE));
});

Deno.test("finite confidence c = 1 (Euler Δt = 0.1, exact adjoint): α* ∝ T^p with |p + 5| ≤ 0.5", () => {
  const Ts = [25, 50, 100, 200];
  const law = simulatedCriticalAlphaLaw(Ts, { c: 1, bootstrap: 200 });
  assert.ok(
    Math.abs(law.fit.exponent + 5) <= 0.5,
    `fitted exponent ${law.fit.exponent} (bootstrap 95 % ${law.bootstrap.exponent})`,
  );
  const [lo, hi] = law.bootstrap.exponent;
  assert.ok(lo <= hi && Number.isFinite(lo) && Number.isFinite(hi));
  for (const m of law.measurements) {
    // The bracket search: lo < α* < hi, and every evaluation at or below lo is under 1/2 (first
    // crossing); every decrease of the fraction along α is reported, and nothing else.
    assert.ok(m.lo < m.alpha && m.alpha < m.hi && m.hi / m.lo - 1 <= 0.02, `T=${m.T}`);
    const ev = m.evaluations;
    for (const e of ev) if (e.alpha <= m.lo) assert.ok(e.fraction < 0.5, `T=${m.T} α=${e.alpha}`);
    assert.ok(ev.find((e) => e.alpha === m.hi)!.fraction >= 0.5);
    const drops = ev.slice(1).filter((e, k) => e.fraction < ev[k].fraction).map((e) => e.alpha);
    assert.deepEqual(m.nonMonotone.map((s) => s.alphaTo), drops);
    // The criterion itself: at hi at least half of the runs stay in the zone for the last quarter.
    const again = simulatedTrapping(m.T, m.hi, { c: 1 });
    assert.deepEqual(again, ev.find((e) => e.alpha === m.hi)!.trapped);
  }
  const fig = trappedFractionFigure(law.measurements);
  assert.deepEqual(
    fig.data.map((d) => (d.x as number[]).length),
    law.measurements.map((m) => m.evaluations.length),
  );
  assert.equal(finiteCriticalAlphaFigure([law], alphaCritical).data.length, 3);
});

Deno.test("finite-c arguments: c <= 0, an empty T list and a trapped lower bracket end are named errors", () => {
  assert.throws(
    () => simulatedCriticalAlphaLaw([25, 50], { c: 0 }),
    /c must be a finite number > 0/,
  );
  assert.throws(
    () => simulatedCriticalAlphaLaw([25, 50], { c: -1 }),
    /c must be a finite number > 0/,
  );
  assert.throws(() => simulatedCriticalAlphaLaw([], { c: 1 }), /Ts must be a non-empty array/);
  assert.throws(() => simulatedCriticalAlphaLaw([25], { c: 1 }), /Ts must hold at least 2/);
  assert.throws(() => measureSimulatedCriticalAlpha(25, { c: NaN }), /c must be a finite number/);
  assert.throws(() => simulatedTrapping(25, 1e-7, { c: 1, tailFraction: 0 }), /tailFraction/);
  assert.throws(
    () => measureSimulatedCriticalAlpha(10, { c: 1, bracket: [3, 30], scanPoints: 2, starts: 4 }),
    /already trapped at the lower end .* lower bracket\[0\]/,
  );
});

Deno.test("finite c → analytic α_c as c grows, once Δt resolves the read-out (Δt = 0.01/c, T = 10)", () => {
  // At the reference Δt = 0.1 one Euler step near x* = 10 moves x by Δt·x*² = 10, wider than the
  // read-out 1/c, and α*/α_c is not monotone in c (notebook 02). With c·Δt fixed the read-out is
  // resolved and the measured α* must approach the c → ∞ value.
  const dist = [0.5, 1, 2].map((c) => {
    const m = measureSimulatedCriticalAlpha(10, { c, task: { dt: 0.01 / c } });
    return Math.abs(Math.log(m.ratio));
  });
  assert.ok(dist[0] > dist[1] && dist[1] > dist[2], `|log α*/α_c| = ${dist}`);
  assert.ok(dist[2] < Math.log(1.05), `c = 2: |log α*/α_c| = ${dist[2]}`);
});
