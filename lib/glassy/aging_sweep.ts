/**
 * The sweep `glassy-aging` (`docs/glassy-dynamics.md` §6: Δ(τ_w, τ) for several waiting times in
 * one run per width): one point per width, the summary is the run's {@linkcode AgingResult}. Run
 * with `deno task sweep glassy-aging --scale paper`; records in `data/results/glassy-aging.jsonl`,
 * resumable like `glassy-learning` (the aging trackers travel in the saved state).
 *
 * @module
 */

import type { SweepDefinition } from "../sweep/mod.ts";
import { type AgingResult, contextCheckpoints, runAging } from "./experiments.ts";
import { type GlassyAgingConfig, glassyAgingConfig, sweepData } from "./paper.ts";

/** One aging run. */
export interface GlassyAgingPoint extends Record<string, unknown> {
  width: number;
  seed: number;
}

/** The aging runs, one per width. */
export const sweep: SweepDefinition<GlassyAgingPoint, AgingResult> = {
  name: "glassy-aging",
  description:
    "glassy F4–F6: aging Δ(τ_w, τ) of the weights at an under-, near- and over-critical width",
  points(scale) {
    const c = glassyAgingConfig(scale);
    return c.widths.flatMap((width) => c.seeds.map((seed) => ({ width, seed })));
  },
  // the simd engine runs each step on two threads
  threadsPerRun: 2,
  config: (scale) => glassyAgingConfig(scale),
  // the widths are chosen from the learning ladder's w_c: changing them keeps finished runs
  gridKeys: ["widths", "seeds"],
  async run(point, config, context) {
    const c = config as GlassyAgingConfig;
    const data = await sweepData(c.data);
    return await runAging(data, {
      train: { ...c.train, depth: c.depth, width: point.width, seed: point.seed },
      waitSteps: c.waitSteps,
      agingFactor: c.agingFactor,
      noiseInterval: c.noiseInterval,
      recordInterval: c.recordInterval,
    }, {
      engine: c.engine,
      checkpoint: context && contextCheckpoints(context, `w${point.width}`),
    });
  },
};
