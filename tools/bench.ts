/**
 * `deno task bench [--only NAME]` — runs `deno bench` over bench/*_bench.ts, then every side-by-side
 * comparison script bench/*_compare.ts (each prints its own `name: value` lines), one after the
 * other so they never compete for the cores. `--only rnn` limits both to files starting with
 * `rnn`. Scripts run with the permissions in {@linkcode BENCH_FLAGS}; a script that needs more
 * should say so in its docs and the task line be extended.
 *
 * @module
 */

import { ROOT } from "./prereq.ts";

/** Permissions given to bench files and comparison scripts. */
export const BENCH_FLAGS = [
  "--allow-read=.,../shared/data",
  "--allow-write=build,data",
  "--allow-run=/usr/bin/python3",
  "--allow-env=GHOSTLAB_*",
  "--allow-sys",
];

async function files(suffix: string, only?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${ROOT}/bench`)) {
    if (e.isFile && e.name.endsWith(suffix) && (!only || e.name.startsWith(only))) {
      out.push(`bench/${e.name}`);
    }
  }
  return out.sort();
}

async function deno(args: string[]): Promise<number> {
  const st = await new Deno.Command("deno", {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return st.code;
}

async function main(argv: string[]): Promise<number> {
  const i = argv.indexOf("--only");
  const only = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && !only) {
    console.error("bench: --only needs a file-name prefix, e.g. --only rnn");
    return 2;
  }
  let failed = 0;
  const benches = await files("_bench.ts", only);
  if (benches.length) {
    console.log(`== deno bench ${benches.join(" ")}`);
    if (await deno(["bench", ...BENCH_FLAGS, ...benches]) !== 0) failed++;
  }
  const scripts = await files("_compare.ts", only);
  for (const script of scripts) {
    console.log(`== ${script}`);
    if (await deno(["run", ...BENCH_FLAGS, script]) !== 0) {
      console.error(`bench: ${script} failed`);
      failed++;
    }
  }
  if (!benches.length && !scripts.length) console.log("bench: no bench files found");
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
