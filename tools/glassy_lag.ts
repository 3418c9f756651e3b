/**
 * `deno task glassy:lag [--depth d] [--width w] [--steps n]` — how far the authors' relaxed test
 * loss is from the exact one (docs/glassy-dynamics.md §4.7, Eq. (4.7.1)) at the paper's settings
 * (data, η, minibatch and records of `glassyLearningConfig("paper")`, seed 42): trains the first
 * `n` steps (default d = 2, w = 20, 12 000 steps, past the 5000-step warm-up) and prints both test
 * losses every 2000 steps and the largest difference over all records. This is the tolerance
 * within which the `glassy-learning` runs with `testStates: "exact"` record the authors' test
 * loss. Needs the chorales (`GHOSTLAB_JSB_PATH` or the data/ cache); about 1–2 min.
 *
 * @module
 */

import { glassyLearningConfig, sweepData } from "../lib/glassy/paper.ts";
import { testLossLag } from "../lib/glassy/experiments.ts";
import { requireInteger } from "../lib/validate.ts";

/** Parses the options and prints the measurement. */
export async function main(args: string[]): Promise<void> {
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    if (i < 0) return dflt;
    const v = Number(args[i + 1]);
    requireInteger(name, v, 1);
    return v;
  };
  const known = new Set(["--depth", "--width", "--steps"]);
  for (let i = 0; i < args.length; i += 2) {
    if (!known.has(args[i])) {
      throw new RangeError(`unknown option ${args[i]} (use --depth, --width, --steps)`);
    }
  }
  const depth = opt("--depth", 2), width = opt("--width", 20), steps = opt("--steps", 12_000);
  const cfg = glassyLearningConfig("paper");
  const data = await sweepData(cfg.data);
  const t0 = performance.now();
  const lag = await testLossLag(
    data,
    { ...cfg.train, depth, width, seed: cfg.seeds[0] },
    steps,
    cfg.engine,
  );
  console.log("step  relaxed test loss  exact test loss  exact − relaxed (bits/unit)");
  lag.step.forEach((s, k) => {
    if (s % 2000 === 0 || k === lag.step.length - 1) {
      const d = lag.exact[k] - lag.relaxed[k];
      console.log(
        `${String(s).padStart(6)}  ${lag.relaxed[k].toFixed(6)}  ${lag.exact[k].toFixed(6)}  ${
          d.toExponential(2)
        }`,
      );
    }
  });
  console.log(
    `glassy_test_lag_max: ${lag.maxLag.toExponential(2)} at step ${lag.maxLagStep} ` +
      `(d = ${depth}, w = ${width}, ${steps} ` +
      `steps, ${lag.step.length} records, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`glassy:lag: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}
