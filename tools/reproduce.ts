/**
 * `deno task reproduce [NOTEBOOK|FOLDER ...] [--set NB:name=value ...] [--out DIR]
 * [--timeout SECONDS] [--jobs N] [--verbose]`
 *
 * Checks the prerequisites, executes the notebooks headlessly at the current scale
 * (`GHOSTLAB_SCALE`, default quick) with tools/run_notebooks.py, then builds the static report
 * (`<out>/site/index.html`, one page per notebook). Without arguments every notebook in
 * notebooks/ runs; with arguments only those (a subset run keeps the other notebooks' earlier
 * results in the index). `--set NB:name=value` overrides a knob of a notebook's parameters cell
 * (see tools/parameters.ts): checked here against the notebook's parameters at the current scale,
 * injected after that cell, recorded in the executed notebook and shown in the report. `--jobs N`
 * runs N notebooks side by side, each in its own kernel (default: the number of CPUs, or
 * `$GHOSTLAB_NOTEBOOK_JOBS`). Exit code 1
 * when a notebook failed, 2 on a usage error or when a prerequisite is missing.
 *
 * @module
 */

import { notebookProblems, notebooksIn, problemMessage, ROOT } from "./prereq.ts";
import { buildReport } from "./report.ts";
import { runNotebooks } from "./runner.ts";
import { scale } from "@lib/config.ts";
import { injectedCells, notebookParameters, type Override, parseOverride } from "./parameters.ts";

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
  /** Notebooks run side by side (`--jobs`; default: the runner's, the CPUs). */
  jobs?: number;
  /** Parameter overrides (`--set`). */
  overrides: Override[];
}

/** Parses the command line (see the module docs). */
export async function parseArgs(argv: string[]): Promise<ReproduceArgs> {
  const abs = (p: string) => p.startsWith("/") ? p : `${Deno.cwd()}/${p}`;
  const paths: string[] = [];
  let out = `${ROOT}/build`;
  let timeout: number | undefined;
  let verbose = false;
  let jobs: number | undefined;
  const overrides: Override[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--verbose" || a === "-v") verbose = true;
    else if (a === "--set") {
      if (argv[i + 1] === undefined) throw new RangeError("--set needs NOTEBOOK:name=value");
      overrides.push(parseOverride(argv[++i]));
    } else if (a.startsWith("--set=")) overrides.push(parseOverride(a.slice(6)));
    else if (a === "--out") out = argv[++i] ? abs(argv[i]) : "";
    else if (a === "--timeout") {
      timeout = Number(argv[++i]);
      if (!(timeout > 0)) throw new RangeError(`--timeout must be > 0 seconds, got ${argv[i]}`);
    } else if (a === "--jobs") {
      jobs = Number(argv[++i]);
      if (!(Number.isInteger(jobs) && jobs >= 1)) {
        throw new RangeError(`--jobs must be a whole number >= 1, got ${argv[i]}`);
      }
    } else if (a.startsWith("--")) {
      throw new RangeError(
        `unknown option ${a} (valid: --set NB:name=value, --out DIR, --timeout SECONDS, ` +
          "--jobs N, --verbose)",
      );
    } else paths.push(a);
  }
  if (!out) throw new RangeError("--out needs a folder");
  const defaults = await notebooksIn(`${ROOT}/notebooks`);
  if (paths.length === 0) {
    return { run: defaults, listed: defaults, out, timeout, verbose, jobs, overrides };
  }
  const run: string[] = [];
  for (const p of paths) {
    const info = await Deno.stat(p).catch(() => null);
    if (info?.isDirectory) run.push(...await notebooksIn(abs(p).replace(/\/$/, "")));
    else if (info?.isFile && p.endsWith(".ipynb")) run.push(abs(p));
    else throw new RangeError(`not a notebook or folder of notebooks: ${p}`);
  }
  // A subset of notebooks/ keeps the whole folder in the index; other notebooks list themselves.
  const inProject = run.every((p) => defaults.includes(p));
  return { run, listed: inProject ? defaults : run, out, timeout, verbose, jobs, overrides };
}

/** Checks `--set` overrides against the notebooks to run; the cells to inject per notebook. */
export async function injections(
  notebooks: string[],
  overrides: Override[],
): Promise<ReturnType<typeof injectedCells>> {
  const params = new Map();
  for (const path of notebooks) {
    const name = path.replace(/^.*\//, "").replace(/\.ipynb$/, "");
    if (!overrides.some((o) => o.notebook === name)) {
      params.set(name, []);
      continue;
    }
    try {
      params.set(name, notebookParameters(JSON.parse(await Deno.readTextFile(path))));
    } catch (e) {
      throw new Error(`${name}: its parameters cell cannot take --set: ${(e as Error).message}`);
    }
  }
  return injectedCells(overrides, params, scale());
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
  const runnerArgs = args.verbose ? ["--verbose"] : [];
  if (args.jobs !== undefined) runnerArgs.push("--jobs", String(args.jobs));
  if (args.overrides.length) {
    let inject;
    try {
      inject = await injections(args.run, args.overrides);
    } catch (e) {
      console.error(`reproduce: ${(e as Error).message}`);
      return 2;
    }
    await Deno.mkdir(executedDir, { recursive: true });
    const file = `${executedDir}/.overrides.json`;
    await Deno.writeTextFile(file, JSON.stringify(Object.fromEntries(inject), null, 1));
    runnerArgs.push("--inject", file);
    for (const [nb, { overrides }] of inject) {
      console.log(`overrides for ${nb}: ${JSON.stringify(overrides)}`);
    }
  }
  const status = await runNotebooks({
    notebooks: args.run,
    outDir: executedDir,
    timeout: args.timeout,
    args: runnerArgs,
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
