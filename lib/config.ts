/**
 * Run-scale configuration shared by every notebook.
 *
 * Notebooks run at **quick** scale by default (minutes on a 2-core laptop) and at **paper** scale
 * (the paper's grids, seeds and epoch counts) when the environment variable `GHOSTLAB_SCALE=paper`
 * is set, e.g. `GHOSTLAB_SCALE=paper deno task reproduce`.
 *
 * @module
 */

/** The two run scales. */
export type Scale = "quick" | "paper";

/** Name of the environment variable that selects the scale. */
const SCALE_ENV = "GHOSTLAB_SCALE";

/**
 * The scale selected by `GHOSTLAB_SCALE` (default `"quick"`).
 *
 * @throws {Error} if the variable holds anything other than `quick` or `paper`.
 */
export function scale(): Scale {
  let v: string | undefined;
  try {
    v = Deno.env.get(SCALE_ENV);
  } catch {
    v = undefined; // no env permission: quick scale
  }
  if (v === undefined || v === "" || v === "quick") return "quick";
  if (v === "paper") return "paper";
  throw new Error(`${SCALE_ENV} must be "quick" or "paper", got "${v}"`);
}

/** Picks the quick or the paper value according to {@linkcode scale}. */
export function byScale<T>(values: { quick: T; paper: T }, s: Scale = scale()): T {
  return values[s];
}
