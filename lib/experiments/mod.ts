/**
 * The figure protocols of the ghost paper's RNN sweeps (docs/ghost-mechanism.md §3 Figures 4–8),
 * one module per sweep, each exporting its {@linkcode SweepDefinition} as `sweep`, and the registry
 * of every sweep of the project (also the glassy paper's `glassy-learning` and `glassy-aging`,
 * declared in `lib/glassy/`). `SWEEPS` maps
 * every sweep name to its module URL so the sweep CLI and its workers can load any sweep by name; notebooks import a
 * protocol's helpers from its own module (e.g. `@lib/experiments/fig6b_rank.ts`).
 *
 * @module
 */

/** Sweep name → URL of the module that exports it as `sweep`. */
export const SWEEPS: Record<string, string> = {
  "fig4-fig5": new URL("./fig4.ts", import.meta.url).href,
  "fig6a-rank-one": new URL("./fig6a_lr.ts", import.meta.url).href,
  "fig6a-full-rank": new URL("./fig6a_full_rank.ts", import.meta.url).href,
  "fig6b-rank": new URL("./fig6b_rank.ts", import.meta.url).href,
  "fig7-lr": new URL("./fig7_lr.ts", import.meta.url).href,
  "fig8b-confidence": new URL("./fig8b_confidence.ts", import.meta.url).href,
  "fig8c-readout": new URL("./fig8c_readout.ts", import.meta.url).href,
  "glassy-learning": new URL("../glassy/learning_sweep.ts", import.meta.url).href,
  "glassy-aging": new URL("../glassy/aging_sweep.ts", import.meta.url).href,
};
