/**
 * `deno task sweep` — runs the figures' declared sweeps (lib/experiments, {@linkcode SWEEPS}) on
 * this machine or as shards of a cluster job:
 *
 * ```sh
 * deno task sweep list
 * deno task sweep <name> [--scale quick|paper] [--shard i/n] [--workers k | --cores c] [--batch n]
 *                        [--file path] [--set name=value]... [--discard-stale] [--module path]
 *                        [--checkpoint-seconds s]
 * deno task sweep merge <name> [--scale quick|paper] [--file path] [--module path]
 * deno task sweep status <name> [--scale quick|paper] [--file path] [--module path]
 * deno task sweep rehash <name> [--scale quick|paper] [--file path] [--module path]
 * deno task sweep park <name> [--scale quick|paper] [--file path] [--module path]
 * ```
 *
 * Records go to `data/results/<name>.jsonl` (paper) or `build/sweeps/<name>.quick.jsonl` (quick)
 * or `--file`; shard i/n writes `<file stem>.shard-i-of-n.jsonl` next to it; a rerun resumes, `merge` writes the main file
 * byte-identical to a single-machine run. `--module` runs a sweep declared in any module that
 * exports it as `sweep` (your own networks). Progress (runs done, rate, ETA) is one updating line
 * on a terminal and one line a minute in logs (Slurm). Exit status 2 for a bad command line or
 * sweep config (reported before any run starts), 130 when interrupted (finished runs are kept;
 * long runs that save their state — `lib/sweep/checkpoint.ts`, every `--checkpoint-seconds`,
 * default 60 — continue from their last save). `park` copies those saved states from the
 * git-ignored cache into `<file stem>.states/` next to the record file, so that a commit carries
 * them and a rerun on another machine continues the runs exactly.
 *
 * @module
 */

import { SWEEPS } from "../lib/experiments/mod.ts";
import {
  type AnySweep,
  defaultSweepFile,
  loadSweep,
  mergeSweep,
  parkedStatesDir,
  parkSweep,
  parseShard,
  rehashSweep,
  runSweepDefinition,
  shardFile,
  StaleRecordsError,
  SweepConfigError,
} from "../lib/sweep/mod.ts";
import type { Scale } from "../lib/config.ts";

const USAGE = `usage:
  deno task sweep list
  deno task sweep <name> [--scale quick|paper] [--shard i/n] [--workers k | --cores c] [--batch n]
                         [--file path] [--set name=value]... [--discard-stale] [--module path]
                         [--checkpoint-seconds s]
  deno task sweep merge <name> [--scale quick|paper] [--file path] [--module path]
  deno task sweep status <name> [--scale quick|paper] [--file path] [--module path]
  deno task sweep rehash <name> [--scale quick|paper] [--file path] [--module path]
  deno task sweep park <name> [--scale quick|paper] [--file path] [--module path]`;

interface Args {
  command: "run" | "merge" | "status" | "rehash" | "park" | "list";
  name: string;
  scale: Scale;
  shard?: string;
  workers?: number;
  cores?: number;
  batch?: number;
  file?: string;
  module?: string;
  checkpointSeconds?: number;
  set: Record<string, unknown>;
  discardStale: boolean;
}

const FLAGS_WITH_VALUE = [
  "--scale",
  "--shard",
  "--workers",
  "--cores",
  "--batch",
  "--file",
  "--set",
  "--module",
  "--checkpoint-seconds",
];

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) {
    throw new SweepConfigError(`${flag} must be an integer >= 1, got "${v}"`);
  }
  return n;
}

/** Parses the command line. @throws {SweepConfigError} naming the bad argument. */
export function parseArgs(argv: string[]): Args {
  const pos: string[] = [];
  const a: Args = { command: "run", name: "", scale: "quick", set: {}, discardStale: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      pos.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (flag === "--discard-stale") {
      a.discardStale = true;
      continue;
    }
    if (flag === "--help") throw new SweepConfigError(USAGE);
    if (!FLAGS_WITH_VALUE.includes(flag)) {
      throw new SweepConfigError(`unknown option ${flag}\n${USAGE}`);
    }
    const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new SweepConfigError(`${flag} needs a value`);
    switch (flag) {
      case "--scale":
        if (v !== "quick" && v !== "paper") {
          throw new SweepConfigError(`--scale must be quick or paper, got "${v}"`);
        }
        a.scale = v;
        break;
      case "--shard":
        parseShard(v);
        a.shard = v;
        break;
      case "--workers":
        a.workers = positiveInt(flag, v);
        break;
      case "--cores":
        a.cores = positiveInt(flag, v);
        break;
      case "--batch":
        a.batch = positiveInt(flag, v);
        break;
      case "--file":
        a.file = v;
        break;
      case "--module":
        a.module = v;
        break;
      case "--checkpoint-seconds": {
        const s = Number(v);
        if (v.trim() === "" || !(s >= 0)) {
          throw new SweepConfigError(`--checkpoint-seconds must be a number >= 0, got "${v}"`);
        }
        a.checkpointSeconds = s;
        break;
      }
      case "--set": {
        const k = v.indexOf("=");
        if (k <= 0) throw new SweepConfigError(`--set needs name=value, got "${v}"`);
        const raw = v.slice(k + 1);
        let val: unknown;
        try {
          val = JSON.parse(raw);
        } catch {
          val = raw; // a bare word is a string
        }
        a.set[v.slice(0, k)] = val;
        break;
      }
    }
  }
  if (pos[0] === "list") {
    a.command = "list";
    if (pos.length > 1) throw new SweepConfigError(`list takes no name\n${USAGE}`);
    return a;
  }
  if (["merge", "status", "rehash", "park"].includes(pos[0])) {
    a.command = pos[0] as Args["command"];
    pos.shift();
  }
  if (pos.length !== 1) {
    throw new SweepConfigError(
      pos.length === 0
        ? `which sweep?\n${USAGE}`
        : `one sweep name at a time, got ${pos.join(" ")}`,
    );
  }
  a.name = pos[0];
  return a;
}

/** Resolves a sweep name (or `--module`) to its module URL and definition. */
async function load(a: Args): Promise<{ url: string; def: AnySweep }> {
  let url: string;
  if (a.module) {
    url = /^[a-z]+:/.test(a.module) ? a.module : new URL(a.module, `file://${Deno.cwd()}/`).href;
  } else {
    const u = SWEEPS[a.name];
    if (!u) {
      throw new SweepConfigError(
        `unknown sweep "${a.name}"; known: ${Object.keys(SWEEPS).sort().join(", ")} ` +
          `(or give --module path/to/module.ts exporting \`sweep\`)`,
      );
    }
    url = u;
  }
  const mod = await import(url);
  const def = mod.sweep as AnySweep | undefined;
  if (!def || typeof def.run !== "function") {
    throw new SweepConfigError(`${url} does not export a sweep definition as \`sweep\``);
  }
  if (a.module && def.name !== a.name) {
    throw new SweepConfigError(`${a.module} declares sweep "${def.name}", not "${a.name}"`);
  }
  return { url, def };
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * A progress bar on stderr: one updating line on a terminal, otherwise (logs, Slurm) one line a
 * minute and a final line. Rate and ETA count only the runs computed in this process.
 */
export function progressBar(label: string): (done: number, total: number) => void {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const t0 = performance.now();
  let first = -1, lastPrint = -Infinity;
  return (done, total) => {
    if (first < 0) first = done;
    const now = performance.now(), el = (now - t0) / 1000;
    const fresh = done - first;
    const rate = fresh / Math.max(el, 1e-9);
    const eta = fresh > 0 ? fmtSeconds((total - done) / rate) : "?";
    const w = 24, fill = total > 0 ? Math.round((w * done) / total) : w;
    const bar = "█".repeat(fill) + "░".repeat(w - fill);
    const rateText = rate * 60 >= 1
      ? `${(rate * 60).toPrecision(3)} runs/min`
      : `${fresh > 0 ? fmtSeconds(el / fresh) : "?"}/run`;
    const line = `${label} ${bar} ${done}/${total} runs · ${rateText} · ${
      done === total ? `done in ${fmtSeconds(el)}` : `ETA ${eta}`
    }`;
    if (tty) {
      Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}${done === total ? "\n" : ""}`));
    } else if (done === total || now - lastPrint > 60_000) {
      lastPrint = now;
      Deno.stderr.writeSync(enc.encode(line + "\n"));
    }
  };
}

async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.command === "list") {
    for (const name of Object.keys(SWEEPS).sort()) {
      const def = (await import(SWEEPS[name])).sweep as AnySweep;
      console.log(
        `${name.padEnd(18)} ${String(def.points("quick").length).padStart(5)} quick / ${
          String(def.points("paper").length).padStart(5)
        } paper runs  ${def.description}`,
      );
    }
    return 0;
  }
  const { url, def } = await load(a);
  if (a.command === "status") {
    const f = a.file ?? defaultSweepFile(def.name, a.scale);
    const l = await loadSweep(def, a.scale, f);
    console.log(
      `${def.name} (${a.scale}): ${l.records.length}/${l.total} runs in ${f}${
        l.complete ? " (complete)" : " (partial)"
      }, ${l.stale} stale record(s), ${fmtSeconds(l.seconds)} of run time`,
    );
    if (l.rehashable > 0) {
      console.log(
        `  ${l.rehashable} of the stale records carry the whole-config hash (written before the ` +
          `sweep declared gridKeys): \`deno task sweep rehash ${def.name} --scale ${a.scale}\``,
      );
    }
    for (const p of l.inProgress) {
      console.log(`  in progress: ${p.key} at ${p.done}/${p.total} ${p.unit}`);
    }
    const parked = [...(await Array.fromAsync(Deno.readDir(parkedStatesDir(f))).catch(() => []))]
      .filter((e) => e.name.endsWith(".json")).length;
    if (parked > 0) console.log(`  parked states: ${parked} in ${parkedStatesDir(f)}`);
    return 0;
  }
  if (a.command === "merge") {
    const m = await mergeSweep(def, { scale: a.scale, file: a.file, overrides: a.set });
    console.log(
      `merged ${m.shards.length} shard file(s) into ${m.file}: ${m.records}/${m.total} runs${
        m.complete ? " (complete)" : " (partial)"
      }`,
    );
    return 0;
  }
  if (a.command === "park") {
    const r = await parkSweep(def, { scale: a.scale, file: a.file, overrides: a.set });
    console.log(
      r.parked + r.current === 0
        ? `${def.name} (${a.scale}): no saved states of unfinished runs to park`
        : `${r.dir}: parked ${r.parked} saved state(s), ${r.current} already current ` +
          `(${(r.bytes / 1024).toFixed(0)} KiB); commit the folder with the progress sidecar, ` +
          `and a rerun anywhere continues those runs exactly`,
    );
    return 0;
  }
  if (a.command === "rehash") {
    const r = await rehashSweep(def, { scale: a.scale, file: a.file, overrides: a.set });
    console.log(
      r.from === r.to
        ? `${def.name} declares no gridKeys: its records already carry the whole-config hash`
        : `${r.file}: moved ${r.records} record(s), ${r.timings} timing line(s), ${r.progress} ` +
          `progress line(s) and ${r.states} saved state(s) from hash ${r.from.slice(0, 12)}… ` +
          `(whole config) to ${r.to.slice(0, 12)}… (run config, without ${
            (def.gridKeys ?? []).join(", ")
          })`,
    );
    return 0;
  }
  const shard = a.shard ? parseShard(a.shard) : { index: 0, count: 1 };
  const main = a.file ?? defaultSweepFile(def.name, a.scale);
  const file = shard.count === 1 ? main : shardFile(main, shard);
  const cores = a.cores ?? navigator.hardwareConcurrency ?? 1;
  const workers = a.workers ?? Math.max(1, Math.floor(cores / (def.threadsPerRun ?? 1)));
  const stop = () => {
    console.error(`\nsweep: interrupted; finished runs are in ${file} — rerun to resume`);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const label = `${def.name} [${a.scale}${
    shard.count > 1 ? ` ${shard.index}/${shard.count}` : ""
  }]`;
  const out = await runSweepDefinition(def, {
    scale: a.scale,
    shard,
    file: main,
    workers,
    module: url,
    batchSize: a.batch,
    overrides: a.set,
    discardStale: a.discardStale,
    checkpointSeconds: a.checkpointSeconds,
    logCheckpoints: true,
    onProgress: progressBar(label),
  });
  console.log(
    `${out.file}: ${out.records.length}/${out.total} runs (${out.reused} reused, ${out.computed} computed)${
      out.complete ? "" : " — partial"
    }`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (e instanceof SweepConfigError || e instanceof StaleRecordsError) {
      console.error(`sweep: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}
