/**
 * Ghost timing (lib/experiments/ghost_timing.ts, fig4.ts): on a quick rank-2 DCDT training run a
 * ghost near the trajectories is detected before the loss falls below half its plateau, both
 * measured from the run's own data; the latent slow-point search finds a planted fixed point.
 */

import assert from "node:assert/strict";
import {
  latentGhostTiming,
  PAPER_TIMING,
  pathBottleneck,
  summariseTiming,
  type TimingOutcome,
  timingStudy,
  type TimingStudyConfig,
  type TimingSummary,
} from "../lib/experiments/ghost_timing.ts";
import { configHash, readResultFile, resultsPath, roundDeep } from "../lib/sweep/results.ts";
import { fig4Options, latentSlowPoints, latentSystem } from "../lib/experiments/fig4.ts";
import { train } from "../lib/rnn/mod.ts";

Deno.test("rank-2 DCDT: the ghost appears before the abrupt loss drop", () => {
  const o = fig4Options("dcdt", { epochs: 20000, trialsPerType: 5, checkpoints: [], every: 1 });
  const g = latentGhostTiming(o, { every: 500, stopAfter: 1 });
  assert.ok(g.dropEpoch !== null, "the loss never fell below half its plateau");
  assert.ok(g.ghostEpoch !== null, "no ghost near the trajectories");
  assert.ok(g.ghostEpoch < g.dropEpoch, `ghost at ${g.ghostEpoch}, drop at ${g.dropEpoch}`);
  // the plateau is the high-loss phase, and no ghost was near the trajectories at its end
  assert.ok(g.plateau > 0.3, `plateau ${g.plateau}`);
  assert.equal(g.records.find((r) => r.epoch === 500)?.ghostsNear, 0);
});

Deno.test("ghost timing: the ghost epoch is located to the epoch, as live training sees it", () => {
  const every = 500;
  const o = (seed: number, epochs = 20000) =>
    fig4Options("dcdt", { epochs, trialsPerType: 5, checkpoints: [], every: 1, seed });
  const fine = latentGhostTiming(o(1), { every, stopAfter: 1 });
  const coarse = latentGhostTiming(o(1), { every, stopAfter: 1, refine: false });
  assert.equal(fine.dropEpoch, coarse.dropEpoch);
  assert.ok(coarse.ghostEpoch !== null && fine.ghostEpoch !== null);
  const g = fine.ghostEpoch;
  assert.ok(
    g > coarse.ghostEpoch - every && g <= coarse.ghostEpoch,
    `${g} vs ${coarse.ghostEpoch}`,
  );
  assert.ok(g > 500, `ghost epoch ${g} at the start of the search: nothing located`);
  const at = (e: number) => fine.records.find((r) => r.epoch === e)!;
  assert.ok(at(g).ghostsNear > 0);
  assert.equal(at(g - 1).ghostsNear, 0);
  // the replayed epochs are the epochs training saw: analyse g − 1 and g live
  for (const e of [g - 1, g]) {
    const live = latentGhostTiming(o(1, e + 1), { every: e, refine: false });
    const r = live.records.find((x) => x.epoch === e)!;
    assert.equal(r.refined, false);
    assert.equal(r.loss, at(e).loss);
    assert.equal(r.ghostsNear, at(e).ghostsNear);
    assert.equal(r.distance, at(e).distance);
  }
  // a drop with no ghost before it: every epoch of the last gap was searched
  const none = latentGhostTiming(o(2), { every, stopAfter: 1 });
  assert.ok(none.dropEpoch !== null && none.ghostEpoch === null);
  const gap = none.records.filter((r) => r.refined).map((r) => r.epoch);
  const start = Math.floor(none.dropEpoch / every) * every;
  assert.deepEqual(gap, Array.from({ length: none.dropEpoch - start }, (_, i) => start + 1 + i));
  assert.ok(none.records.every((r) => r.epoch < 500 || r.ghostsNear === 0));
});

Deno.test("timing summary: a drop without a ghost counts against the claim", () => {
  const t = (seed: number, ghostEpoch: number | null, dropEpoch: number | null): TimingOutcome => ({
    seed,
    plateau: 0.46,
    ghostEpoch,
    dropEpoch,
    lead: ghostEpoch !== null && dropEpoch !== null ? dropEpoch - ghostEpoch : null,
    lastEpoch: dropEpoch ?? 99_999,
    lastLoss: dropEpoch === null ? 0.4 + seed / 100 : 0.1,
    refined: 0,
  });
  const s = summariseTiming([
    t(0, 100, 900),
    t(1, 950, 900),
    t(2, null, 700),
    t(3, 800, 800),
    t(4, null, null),
    t(5, 600, null),
  ]);
  const { fractionInterval, ...counts } = s;
  // the 95 % Wilson interval of 1/4 (standard tables: 0.046–0.699)
  assert.ok(Math.abs(fractionInterval!.lo - 0.0456) < 1e-3, `${fractionInterval!.lo}`);
  assert.ok(Math.abs(fractionInterval!.hi - 0.6994) < 1e-3, `${fractionInterval!.hi}`);
  assert.deepEqual(counts, {
    seeds: 6,
    dropped: 4,
    ghostBefore: 1,
    ghostAtDrop: 1,
    ghostAfter: 1,
    noGhost: 1,
    fractionGhostFirst: 0.25,
    leads: [-50, 0, 800],
    neverDropped: 2,
    neverDroppedLastLoss: [0.44, 0.45],
  });
  assert.ok(Number.isNaN(summariseTiming([]).fractionGhostFirst));
  assert.equal(summariseTiming([]).fractionInterval, null);
});

Deno.test("latent slow points of a trained rank-2 net: fixed points are roots, ghosts are not", () => {
  const o = fig4Options("dcdt", {
    epochs: 3001,
    trialsPerType: 2,
    checkpoints: [3000],
    every: 100,
  });
  const res = train(o);
  const params = res.checkpoints[0].params;
  const points = latentSlowPoints(params);
  assert.ok(points.length > 0);
  const sys = latentSystem(params);
  for (const p of points) {
    const F = sys.flow(p.x);
    const sp = Math.hypot(F[0], F[1]);
    if (p.kind === "ghost") assert.ok(sp > 1e-5, `ghost speed ${sp}`);
    else assert.ok(sp < 1e-6, `${p.kind} speed ${sp}`);
  }
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
  assert.throws(() => pathBottleneck({ m: [1], n: [1, 2], b: [0] }, 0), /params.n must have N = 1/);
  assert.throws(() => pathBottleneck(p, 0, { fixedTol: 0 }), /fixedTol/);
});

Deno.test("committed ghost-timing results: config hash, partial flag, seed 0 recomputed", async () => {
  const file = await readResultFile<TimingStudyConfig, TimingSummary[]>(
    resultsPath("ghost-timing.json"),
  );
  if (file === null) return; // not produced yet (deno task ghost:timing)
  assert.equal(file.configHash, await configHash(file.config));
  assert.deepEqual(file.config, PAPER_TIMING);
  assert.equal(file.partial, file.results.length < file.config.seeds);
  const first = file.results.find((t) => t.seed === 0);
  if (!first) return;
  const [again] = await timingStudy({ ...file.config, seeds: 1 });
  assert.deepEqual(roundDeep(again), roundDeep(first));
});
