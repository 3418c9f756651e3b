// Helpers shared by the test files.

/** The shared copy of the chorale data beside the project (CI and developers). */
export const SHARED_JSB = new URL("../../shared/data/jsb-chorales-quarter.json", import.meta.url)
  .pathname;

/**
 * Absolute path of a local `jsb-chorales-quarter.json` (from `GHOSTLAB_JSB_PATH`, else
 * `../shared/data/`), or null when neither exists: tests that need the real data are then skipped.
 */
export function jsbPath(): string | null {
  for (const p of [Deno.env.get("GHOSTLAB_JSB_PATH"), SHARED_JSB]) {
    if (!p) continue;
    try {
      Deno.statSync(p);
      return p.startsWith("/") ? p : `${Deno.cwd()}/${p}`; // absolute: the kernel runs in notebooks/
    } catch { /* next */ }
  }
  return null;
}
