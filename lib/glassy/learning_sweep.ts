/**
 * The sweep `glassy-learning` (`docs/glassy-dynamics.md` §5, §7: learning curves over a (d, w)
 * grid, the data of τ_L(ε), 1/τ_L vs w and w_c): one point per (d, w), the summary is the run's
 * {@linkcode LearningCurve}. Run it like the ghost paper's sweeps — `deno task sweep
 * glassy-learning --scale paper [--shard i/n]`, or the Slurm array script — with config-hashed
 * records in `data/results/glassy-learning.jsonl`; a run saves its trainer state every minute
 * (`lib/sweep/checkpoint.ts`) and its curve so far to the progress sidecar, so an interrupted run
 * continues where it stopped.
 *
 * @module
 */

import { SweepConfigError, type SweepDefinition } from "../sweep/mod.ts";
import { contextCheckpoints, type LearningCurve, runLearningCurve } from "./experiments.ts";
import { type GlassyLearningConfig, glassyLearningConfig, sweepData } from "./paper.ts";

/** One run of the learning-time grid. */
export interface GlassyLearningPoint extends Record<string, unknown> {
  depth: number;
  width: number;
  seed: number;
  /** Present for grid entries that evaluate the test loss exactly at records (Eq. (4.7.1)). */
  testStates?: "exact";
  /** Present for grid entries with their own run length instead of the config's `steps` (reruns). */
  steps?: number;
}

/** The learning-time grid over (d, w). */
export const sweep: SweepDefinition<GlassyLearningPoint, LearningCurve> = {
  name: "glassy-learning",
  description: "glassy F1–F3: learning curves of deep tanh RNNs on the JSB chorales over (d, w)",
  points(scale) {
    const c = glassyLearningConfig(scale);
    return c.grid.flatMap((g) => {
      if (g.steps !== undefined && !(Number.isInteger(g.steps) && g.steps >= 1)) {
        throw new SweepConfigError(
          `glassy-learning grid entry d = ${g.depth}, w = ${g.widths.join(", ")}: steps must be ` +
            `an integer >= 1, got ${g.steps}`,
        );
      }
      return g.widths.flatMap((width) =>
        c.seeds.map((seed) => ({
          depth: g.depth,
          width,
          seed,
          ...(g.testStates ? { testStates: g.testStates } : {}),
          ...(g.steps !== undefined ? { steps: g.steps } : {}),
        }))
      );
    });
  },
  // the simd engine runs each step on two threads
  threadsPerRun: 2,
  config: (scale) => glassyLearningConfig(scale),
  // widths can be added to the ladder without making the finished runs stale
  gridKeys: ["grid", "seeds"],
  // the grid entries after the first d = 2 ladder evaluate the test loss exactly at records, and
  // the longer reruns carry their own run length
  optionalParams: { testStates: "string", steps: "number" },
  async run(point, config, context) {
    const c = config as GlassyLearningConfig;
    const data = await sweepData(c.data);
    const { steps, ...train } = point;
    return await runLearningCurve(data, { ...c.train, ...train }, steps ?? c.steps, {
      engine: c.engine,
      checkpoint: context && contextCheckpoints(context, `d${point.depth} w${point.width}`),
    });
  },
};
