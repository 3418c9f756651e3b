/**
 * `deno task reproduce [NOTEBOOK|FOLDER ...] [--out DIR] [--timeout SECONDS] [--verbose]`
 *
 * Checks the prerequisites, executes the notebooks headlessly at the current scale
 * (`GHOSTLAB_SCALE`, default quick) with tools/run_notebooks.py, then builds the static report
 * (`<out>/site/index.html`, one page per notebook). Without arguments every notebook in
 * notebooks/ runs; with arguments only those (a subset run keeps the other notebooks' earlier
 * results in the index). Exit code 1 when a notebook failed, 2 when a prerequisite is missing.
 *
 * @module
 */

import { notebookProblems, notebooksIn, problemMessage, ROOT } from "./prereq.ts";
import { buildReport } from "./report.ts";
import { runNotebooks } from "./runner.ts";

/** Parsed command line of reproduce. */
export interface ReproduceArgs {
  /** Notebooks to execute (absolute or relative paths). */
  run: string[];
  /** Notebooks listed in the report. */
  listed: string[];
  /** Output folder (executed notebooks in `<out>/notebooks`, the site in `<out>/site`). */
  out: string;
  /** Per-cell timeout in seconds, if given. */
  timeout?: number;
  /** Print per-cell progress. */
  verbose: boolean;
}

/** Parses the command line (see the module docs). */
export async function parseArgs(argv: string[]): Promise<ReproduceArgs> {
  const abs = (p: string) => p.startsWith("/") ? p : `${Deno.cwd()}/${p}`;
  const paths: string[] = [];
  let out = `${ROOT}/build`;
  let timeout: number | undefined;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--verbose" || a === "-v") verbose = true;
    else if (a === "--out") out = argv[++i] ? abs(argv[i]) : "";
    else if (a === "--timeout") {
      timeout = Number(argv[++i]);
      if (!(timeout > 0)) throw new RangeError(`--timeout must be > 0 seconds, got ${argv[i]}`);
    } else if (a.startsWith("--")) {
      throw new RangeError(
        `unknown option ${a} (valid: --out DIR, --timeout SECONDS, --verbose)`,
      );
    } else paths.push(a);
  }
  if (!out) throw new RangeError("--out needs a folder");
  const defaults = await notebooksIn(`${ROOT}/notebooks`);
  if (paths.length === 0) return { run: defaults, listed: defaults, out, timeout, verbose };
  const run: string[] = [];
  for (const p of paths) {
    const info = await Deno.stat(p).catch(() => null);
    if (info?.isDirectory) run.push(...await notebooksIn(abs(p).replace(/\/$/, "")));
    else if (info?.isFile && p.endsWith(".ipynb")) run.push(abs(p));
    else throw new RangeError(`not a notebook or folder of notebooks: ${p}`);
  }
  // A subset of notebooks/ keeps the whole folder in the index; other notebooks list themselves.
  const inProject = run.every((p) => defaults.includes(p));
  return { run, listed: inProject ? defaults : run, out, timeout, verbose };
}

/** Runs the pipeline; returns the process exit code. */
export async function reproduce(argv: string[]): Promise<number> {
  let args: ReproduceArgs;
  try {
    args = await parseArgs(argv);
  } catch (e) {
    console.error(`reproduce: ${(e as Error).message}`);
    return 2;
  }
  const problems = await notebookProblems();
  if (problems.length) {
    console.error(problemMessage("deno task reproduce", problems));
    return 2;
  }
  if (args.run.length === 0) {
    console.error("reproduce: no notebooks to run (notebooks/ is empty)");
    return 2;
  }
  const executedDir = `${args.out}/notebooks`;
  const status = await runNotebooks({
    notebooks: args.run,
    outDir: executedDir,
    timeout: args.timeout,
    args: args.verbose ? ["--verbose"] : [],
    inherit: true,
  });
  let entries;
  try {
    entries = await buildReport({
      notebooks: args.listed,
      executedDir,
      siteDir: `${args.out}/site`,
    });
  } catch (e) {
    console.error(`reproduce: the report could not be built: ${(e as Error).message}`);
    return 1;
  }
  const rel = `${args.out}/site/index.html`.replace(`${ROOT}/`, "");
  console.log(`report: ${rel} (${entries.length} notebooks)`);
  return status.code === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await reproduce(Deno.args));
