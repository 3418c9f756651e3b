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

/**
 * Runs the sweep CLI (`tools/sweep.ts`) as a user would: a separate process, output piped. With
 * `jsb`, the chorale file is readable and passed as `GHOSTLAB_JSB_PATH` (the glassy sweeps).
 */
export function sweepCli(args: string[], jsb?: string): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args: [
      "run",
      jsb ? `--allow-read=.,${jsb}` : "--allow-read=.",
      "--allow-write=build",
      "--allow-env=GHOSTLAB_*",
      "tools/sweep.ts",
      ...args,
    ],
    cwd: new URL("../", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: jsb ? { NO_COLOR: "1", GHOSTLAB_JSB_PATH: jsb } : { NO_COLOR: "1" },
  }).spawn();
}
