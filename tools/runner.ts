/**
 * Deno-side wrapper of the headless notebook runner (tools/run_notebooks.py).
 *
 * @module
 */

import { python, ROOT } from "./prereq.ts";
import type { RunResult } from "./report.ts";

/** Options for {@linkcode runNotebooks}. */
export interface RunOptions {
  /** Notebook files or folders. */
  notebooks: string[];
  /** Folder for executed notebooks and result files (default build/notebooks). */
  outDir?: string;
  /** Per-cell timeout in seconds. */
  timeout?: number;
  /** Further runner options, e.g. `["--verbose"]`. */
  args?: string[];
  /** Extra environment for the runner and the kernel. */
  env?: Record<string, string>;
  /** Print the runner's output as it comes (default false: capture it). */
  inherit?: boolean;
}

/** What {@linkcode runNotebooks} returns. */
export interface RunOutcome {
  /** Exit code of the runner (0 all passed, 1 a notebook failed, 2 usage error). */
  code: number;
  /** Captured stdout (empty when inherited). */
  stdout: string;
  /** Captured stderr (empty when inherited). */
  stderr: string;
}

/** Executes notebooks headlessly with the Deno kernel (see tools/run_notebooks.py). */
export async function runNotebooks(opts: RunOptions): Promise<RunOutcome> {
  const args = [
    `${ROOT}/tools/run_notebooks.py`,
    "--out-dir",
    opts.outDir ?? `${ROOT}/build/notebooks`,
  ];
  if (opts.timeout !== undefined) {
    if (!(opts.timeout > 0)) throw new RangeError(`timeout must be > 0 s, got ${opts.timeout}`);
    args.push("--timeout", String(opts.timeout));
  }
  const mode = opts.inherit ? "inherit" : "piped";
  const out = await new Deno.Command(python(), {
    args: [...args, ...(opts.args ?? []), ...opts.notebooks],
    cwd: ROOT,
    env: opts.env,
    stdin: "null",
    stdout: mode,
    stderr: mode,
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: opts.inherit ? "" : dec.decode(out.stdout),
    stderr: opts.inherit ? "" : dec.decode(out.stderr),
  };
}

/** Reads the runner's result file for a notebook (`<outDir>/<name>.result.json`). */
export async function readResult(outDir: string, notebook: string): Promise<RunResult> {
  const name = notebook.replace(/^.*\//, "").replace(/\.ipynb$/, "");
  return JSON.parse(await Deno.readTextFile(`${outDir}/${name}.result.json`));
}
