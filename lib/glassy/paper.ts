/**
 * The paper-scale configurations run by `deno task glassy:paper` (`tools/glassy_paper.ts`) and
 * checked by `tests/glassy_results_test.ts` (`docs/glassy-dynamics.md` §5–7). One home, so that the
 * committed result files can be compared with the configuration the tool would run now.
 *
 * @module
 */

/** Data selection (the reference script's: 80 chorales from 100, all test chorales, 43–96). */
export const PAPER_DATA = { firstChorale: 100, nChorales: 80, low: 43, high: 96 };

/** The learning-time grid [inferred: the paper's grid is not in the sources]. */
export const PAPER_LEARNING = {
  data: PAPER_DATA,
  /** Defaults of the reference script (η0 = 0.0004, warm-up 5000, mbs 300, seed 42). */
  train: {
    eta0: 0.0004,
    warmupSteps: 5000,
    batchSize: 300,
    orthInterval: 200,
    recordInterval: 500,
    seed: 42,
  },
  /** Steps per (d, w) run (τ ≈ 40.5). */
  steps: 100_000,
  /** Runs in the order they are produced: d = 2 first (the reference default w = 70 first). */
  grid: [
    { depth: 2, widths: [70, 40, 100, 30, 50, 60, 80, 120, 20] },
    { depth: 1, widths: [40, 60, 80, 100, 120, 160] },
    { depth: 3, widths: [20, 30, 40, 50, 60, 80] },
    { depth: 4, widths: [20, 30, 40, 50, 60, 80] },
  ],
};

/** The aging grid [inferred]: d = 2, an under-, a near-critical and an over-parametrised width. */
export const PAPER_AGING = {
  data: PAPER_DATA,
  train: PAPER_LEARNING.train,
  depth: 2,
  widths: [20, 50, 120],
  /**
   * τ_w ≈ 4.1, 8.9, 19.3, 39.3 (τ = 1.2732 + 0.0004 (s − 5000)), each aged 4 τ_w. Multiples of the
   * orth interval, so that M is re-orthogonalised at the first aging step as in the reference.
   */
  waitSteps: [12_000, 24_000, 50_000, 100_000],
  agingFactor: 4,
  noiseInterval: 2000,
  recordInterval: 500,
};
