/**
 * Declared, resumable, shardable parameter sweeps (the sweep contract shared by the figure
 * protocols in `lib/experiments/`, the `deno task sweep` CLI and the notebooks).
 *
 * A figure's sweep is a {@linkcode SweepDefinition}: its runs (`points`), everything else that
 * determines the results (`config`), and a deterministic `run` returning the compact summary the
 * figure needs. {@linkcode runSweepDefinition} runs what is missing from a JSON-lines record file:
 *
 * - one record per finished run, appended as one `write` of one line (`O_APPEND`): `kill -9` loses
 *   only unfinished runs; a torn last line is ignored and repaired on the next run;
 * - records are keyed by the canonical JSON of the point **and** the hash of the sweep's config
 *   (`configHash(canonicalJson({ sweep, config }))`, leaving out the entries that only enumerate
 *   the points, {@linkcode SweepDefinition.gridKeys}): records of another config are never reused
 *   (the run stops with {@linkcode StaleRecordsError} unless told to discard them), while a grown
 *   grid keeps its finished runs;
 * - when every point of the file's share is done the file is rewritten (atomically) in the
 *   canonical order — the order of `points(scale)` — so a resumed run, an uninterrupted run and
 *   a merge of shards give byte-identical files;
 * - wall-clock seconds are measurements, not results: they go to a sidecar `<file>.timing.jsonl`
 *   (one line per run, `{ key, configHash, seconds }`) and are attached to the loaded records; a
 *   run resumed from a saved state adds the seconds recorded in that state (its earlier stretches);
 * - runs that take hours get a {@linkcode RunContext} (`checkpoint.ts`): they save their state
 *   periodically (a rerun continues them) and their summary so far with its exact coverage into
 *   the sidecar `<file>.progress.jsonl`, which {@linkcode loadSweep} reports as `inProgress`.
 *
 * @module
 */

import type { Scale } from "../config.ts";
import { canonicalJson, configHash, readTextIfExists, writeFileAtomic } from "./results.ts";
import { runInWorkers } from "./pool.ts";
import {
  clearRunStates,
  type ContextSpec,
  defaultCacheDir,
  editProgress,
  parkedStatesDir,
  type ParkOutcome,
  parkRunStates,
  progressFile,
  type ProgressRecord,
  readProgress,
  type RunContext,
  runContext,
  stateFileNames,
} from "./checkpoint.ts";

/** A figure's sweep, declared once in `lib/experiments/<figure>.ts` and exported as `sweep`. */
export interface SweepDefinition<P extends Record<string, unknown>, S> {
  /** Sweep name, e.g. `"fig6b-rank"` (lower-case letters, digits and dashes). */
  name: string;
  description: string;
  /** Every run of the sweep at this scale, in a fixed order; each P is JSON-serialisable and includes its seed. */
  points(scale: Scale): P[];
  /** Everything besides the points that determines the results (epochs, model/task settings...); hashed with the points. */
  config(scale: Scale): Record<string, unknown>;
  /**
   * Optional: config entries that only enumerate the points (e.g. `"grid"`, `"seeds"`) and do not
   * change any single run. They are left out of the config hash, so a grid can grow without making
   * the finished records stale. Records written before a
   * sweep declared them carry the whole-config hash: {@linkcode rehashSweep} moves them over.
   */
  gridKeys?: string[];
  /**
   * Optional: point parameters that only some points carry, with their JSON type (e.g.
   * `{ testStates: "string" }`): a setting introduced after some runs had finished, given to the
   * new points only, so that the finished points keep their keys and records. Every other
   * parameter must be in every point, as in point 0.
   */
  optionalParams?: Record<string, "string" | "number" | "boolean">;
  /**
   * Deterministic run of one point → the compact summary the figure needs (not whole histories).
   * A long run may use `context` (given by the runner, absent in direct calls) to save its state
   * periodically and resume from it; it must return the same summary either way.
   */
  run(point: P, config: Record<string, unknown>, context?: RunContext): S | Promise<S>;
  /** Optional: runs of one shape trained as one batched computation (same results as run() one by one). */
  runBatch?(points: P[], config: Record<string, unknown>): S[] | Promise<S[]>;
  /** Optional: which points may share one runBatch call (default: all points). */
  batchKey?(point: P): string;
  /**
   * Optional: points per runBatch call this sweep packs best (default 10; e.g. a multiple of a
   * batched kernel's lanes). The runner's `batchSize` option overrides it.
   */
  batchSize?: number;
  /**
   * Optional: threads one run keeps busy by itself (default 1). The CLI's default number of
   * workers is the machine's cores divided by this (e.g. 2 for the glassy engine's two threads).
   */
  threadsPerRun?: number;
}

/** Any sweep definition (for code that handles sweeps generically). */
// deno-lint-ignore no-explicit-any
export type AnySweep = SweepDefinition<any, any>;

/** One finished run: `key` = canonical JSON of `point`; `seconds` = wall time of the run. */
export interface SweepRecord<P = Record<string, unknown>, S = unknown> {
  key: string;
  configHash: string;
  point: P;
  summary: S;
  /**
   * Wall-clock seconds of the run over all its stretches (from the timing sidecar; NaN when
   * unknown; only the last stretch for runs resumed from a state saved without its seconds).
   */
  seconds: number;
}

/** A shard `i/n`: this process runs the points whose index is ≡ i (mod n). */
export interface Shard {
  index: number;
  count: number;
}

/** Options of {@linkcode runSweepDefinition}. */
export interface RunSweepOptions {
  /** Scale of the points and config (default `"quick"`). */
  scale?: Scale;
  /** Run only this shard (default: everything, i.e. 0/1). */
  shard?: Shard | string;
  /**
   * Main record file (JSON lines), default {@linkcode defaultSweepFile}; shard i/n (n > 1) writes
   * {@linkcode shardFile}`(file, shard)` instead, which {@linkcode mergeSweep} merges into `file`.
   */
  file?: string;
  /** Number of parallel workers (default 1 = in this thread). More than 1 needs `module`. */
  workers?: number;
  /** URL of the module that exports this definition as `sweep` (needed for workers). */
  module?: string;
  /** Points per `runBatch` call (default: the definition's `batchSize`, else 10; only with `runBatch`). */
  batchSize?: number;
  /** Config overrides (`--set name=value`): only existing names, same JSON type. */
  overrides?: Record<string, unknown>;
  /** Drop records of another config instead of stopping with {@linkcode StaleRecordsError}. */
  discardStale?: boolean;
  /** Called with (runs done, runs in this shard) at the start and after every finished run. */
  onProgress?: (done: number, total: number) => void;
  /** Stop starting new jobs once this returns true (finished runs are kept). */
  shouldStop?: () => boolean;
  /** Folder of the long runs' saved states (default {@linkcode defaultCacheDir}). */
  cacheDir?: string;
  /** Minimum seconds between two state saves of a long run (default 60). */
  checkpointSeconds?: number;
  /** Print one line on stderr per state save (default false). */
  logCheckpoints?: boolean;
}

/** What {@linkcode runSweepDefinition} returns. */
export interface SweepOutcome<P = Record<string, unknown>, S = unknown> {
  file: string;
  configHash: string;
  /** Records of this shard's points that are finished, in canonical order. */
  records: SweepRecord<P, S>[];
  /** Number of points in this shard. */
  total: number;
  /** Runs that were already in the file before this call. */
  reused: number;
  /** Runs computed by this call. */
  computed: number;
  /** True when every point of this shard is finished. */
  complete: boolean;
}

/** A bad sweep declaration, option or command line (raised before any run starts). */
export class SweepConfigError extends Error {
  override name = "SweepConfigError";
}

/** The record file holds records of a different config (a changed sweep). */
export class StaleRecordsError extends Error {
  override name = "StaleRecordsError";
}

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

/** Parses `"i/n"` (0 ≤ i < n) into a shard. @throws {SweepConfigError} naming the problem. */
export function parseShard(s: string | Shard): Shard {
  if (typeof s !== "string") {
    const { index, count } = s;
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0) {
      throw new SweepConfigError(
        `shard must have integer index >= 0 and count >= 1, got ${index}/${count}`,
      );
    }
    if (index >= count) {
      throw new SweepConfigError(
        `shard ${index}/${count}: the index must be < the count (shards are 0/${count} … ${
          count - 1
        }/${count})`,
      );
    }
    return { index, count };
  }
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) throw new SweepConfigError(`shard must look like i/n (e.g. 0/4), got "${s}"`);
  return parseShard({ index: Number(m[1]), count: Number(m[2]) });
}

/** Default record file: `data/results/<name>.jsonl` at paper scale, `build/sweeps/<name>.quick.jsonl` at quick scale. */
export function defaultSweepFile(name: string, scale: Scale): string {
  const rel = scale === "paper" ? `data/results/${name}.jsonl` : `build/sweeps/${name}.quick.jsonl`;
  return decodeURIComponent(new URL(`../../${rel}`, import.meta.url).pathname);
}

/** File of shard i/n next to `file`: `x.jsonl` → `x.shard-i-of-n.jsonl`. */
export function shardFile(file: string, shard: Shard): string {
  const base = file.endsWith(".jsonl") ? file.slice(0, -6) : file;
  return `${base}.shard-${shard.index}-of-${shard.count}.jsonl`;
}

/** The timing sidecar of a record file. */
export function timingFile(file: string): string {
  return `${file.endsWith(".jsonl") ? file.slice(0, -6) : file}.timing.jsonl`;
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function checkJsonValue(where: string, v: unknown): void {
  const t = typeof v;
  if (t === "number") {
    if (!Number.isFinite(v as number)) {
      throw new SweepConfigError(`${where} must be finite, got ${v}`);
    }
    return;
  }
  if (v === null || t === "string" || t === "boolean") return;
  if (Array.isArray(v)) return v.forEach((x, i) => checkJsonValue(`${where}[${i}]`, x));
  if (t === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x !== undefined) checkJsonValue(`${where}.${k}`, x);
    }
    return;
  }
  throw new SweepConfigError(`${where} must be plain JSON data, got ${t}`);
}

/** A sweep resolved at one scale: validated points, keys, config and its hash. */
export interface ResolvedSweep<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  scale: Scale;
  points: P[];
  keys: string[];
  config: Record<string, unknown>;
  /** Hash of the sweep name and the config without its {@linkcode SweepDefinition.gridKeys}. */
  configHash: string;
  /** Hash of the sweep name and the whole config (= configHash without gridKeys). */
  wholeConfigHash: string;
}

/**
 * Validates a definition at one scale (with config overrides) and resolves its points, record
 * keys, config and config hash. Checks: the name; a non-empty grid; plain-JSON points with the
 * same parameter names and value types in every point (an extra or missing name is an unknown
 * parameter); an integer `seed` in every point; no duplicate points; overrides only of existing
 * config names with the same JSON type.
 *
 * @throws {SweepConfigError} naming the sweep, the point and the parameter.
 */
export async function resolveSweep<P extends Record<string, unknown>>(
  def: SweepDefinition<P, unknown>,
  scale: Scale,
  overrides: Record<string, unknown> = {},
): Promise<ResolvedSweep<P>> {
  if (def === null || typeof def !== "object") {
    throw new SweepConfigError(`a sweep definition must be an object, got ${def}`);
  }
  if (typeof def.name !== "string" || !NAME_RE.test(def.name)) {
    throw new SweepConfigError(
      `sweep name must be lower-case letters, digits and dashes, got ${JSON.stringify(def.name)}`,
    );
  }
  const S = `sweep ${def.name}`;
  if (scale !== "quick" && scale !== "paper") {
    throw new SweepConfigError(`${S}: scale must be "quick" or "paper", got "${scale}"`);
  }
  for (const f of ["points", "config", "run"] as const) {
    if (typeof def[f] !== "function") throw new SweepConfigError(`${S}: ${f} must be a function`);
  }
  const points = def.points(scale);
  if (!Array.isArray(points) || points.length === 0) {
    throw new SweepConfigError(`${S} (${scale}): the grid is empty (points() returned no runs)`);
  }
  const first = points[0];
  if (first === null || typeof first !== "object" || Array.isArray(first)) {
    throw new SweepConfigError(`${S}: point 0 must be an object of parameters`);
  }
  const optional = new Map(Object.entries(def.optionalParams ?? {}));
  const names = Object.keys(first).filter((k) => !optional.has(k)).sort();
  const types = new Map([...names.map((k) => [k, jsonType(first[k])] as const), ...optional]);
  const keys: string[] = [];
  const seen = new Map<string, number>();
  points.forEach((p, i) => {
    const where = `${S}: point ${i}`;
    if (p === null || typeof p !== "object" || Array.isArray(p)) {
      throw new SweepConfigError(`${where} must be an object of parameters`);
    }
    checkJsonValue(where, p);
    for (const k of Object.keys(p)) {
      if (!types.has(k)) {
        throw new SweepConfigError(
          `${where}: unknown parameter "${k}" (the parameters of point 0 are ${names.join(", ")}${
            optional.size > 0 ? `; optional: ${[...optional.keys()].join(", ")}` : ""
          })`,
        );
      }
      if (jsonType(p[k]) !== types.get(k)) {
        throw new SweepConfigError(
          `${where}: parameter "${k}" must be of type ${types.get(k)} (${
            optional.has(k) ? "declared in optionalParams" : "as in point 0"
          }), got ${jsonType(p[k])} ${JSON.stringify(p[k])}`,
        );
      }
    }
    for (const k of names) {
      if (!(k in p)) throw new SweepConfigError(`${where}: missing parameter "${k}"`);
    }
    const seed = p.seed;
    if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0) {
      throw new SweepConfigError(`${where}: every point needs an integer seed >= 0, got ${seed}`);
    }
    const key = canonicalJson(p);
    const dup = seen.get(key);
    if (dup !== undefined) throw new SweepConfigError(`${where} duplicates point ${dup}: ${key}`);
    seen.set(key, i);
    keys.push(key);
  });
  const base = def.config(scale);
  if (base === null || typeof base !== "object" || Array.isArray(base)) {
    throw new SweepConfigError(`${S}: config() must return an object`);
  }
  checkJsonValue(`${S}: config`, base);
  const config: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in base)) {
      throw new SweepConfigError(
        `${S}: unknown config parameter "${k}"; valid: ${Object.keys(base).sort().join(", ")}`,
      );
    }
    if (jsonType(v) !== jsonType(base[k])) {
      throw new SweepConfigError(
        `${S}: config parameter "${k}" must be of type ${jsonType(base[k])} (default ${
          JSON.stringify(base[k])
        }), got ${jsonType(v)} ${JSON.stringify(v)}`,
      );
    }
    checkJsonValue(`${S}: config.${k}`, v);
    config[k] = v;
  }
  const gridKeys = def.gridKeys ?? [];
  if (!Array.isArray(gridKeys) || gridKeys.some((k) => typeof k !== "string" || !(k in base))) {
    throw new SweepConfigError(
      `${S}: gridKeys must name entries of the config (${
        Object.keys(base).sort().join(", ")
      }), got ${JSON.stringify(gridKeys)}`,
    );
  }
  const runConfig = Object.fromEntries(
    Object.entries(config).filter(([k]) => !gridKeys.includes(k)),
  );
  const hash = await configHash({ sweep: def.name, config: runConfig });
  const whole = gridKeys.length === 0 ? hash : await configHash({ sweep: def.name, config });
  return { name: def.name, scale, points, keys, config, configHash: hash, wholeConfigHash: whole };
}

interface RawRecord {
  key: string;
  configHash: string;
  point: unknown;
  summary: unknown;
}

/** Serialises one record as its file line (canonical JSON of point and summary). */
function recordLine(r: RawRecord): string {
  return `{"key":${JSON.stringify(r.key)},"configHash":${JSON.stringify(r.configHash)},"point":${
    canonicalJson(r.point)
  },"summary":${canonicalJson(r.summary)}}\n`;
}

/**
 * Reads the records of a record file (any config), in file order, later duplicates of a key
 * overriding earlier ones. A torn (partial) last line — an interrupted append — is ignored; a
 * malformed line elsewhere is an error naming the file and line.
 */
export async function readRecords(file: string): Promise<RawRecord[]> {
  const text = await readTextIfExists(file);
  if (text === null) return [];
  const lines = text.split("\n");
  const out = new Map<string, RawRecord>();
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let r: RawRecord;
    try {
      r = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return; // torn last line: that run simply reruns
      throw new Error(`${file}:${i + 1}: not a JSON record; fix or delete the line`);
    }
    if (typeof r?.key !== "string" || typeof r.configHash !== "string") {
      throw new Error(`${file}:${i + 1}: a record needs string "key" and "configHash"`);
    }
    out.delete(r.key);
    out.set(r.key, r);
  });
  return [...out.values()];
}

async function readTimings(file: string, hash: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const text = await readTextIfExists(timingFile(file));
  if (text === null) return out;
  for (const line of text.split("\n")) {
    try {
      const t = JSON.parse(line) as { key: string; configHash: string; seconds: number };
      if (t.configHash === hash) out.set(t.key, t.seconds);
    } catch { /* blank or torn line */ }
  }
  return out;
}

/** Appends text as one write (O_APPEND), so concurrent appenders never interleave a line. */
async function appendLine(file: string, text: string): Promise<void> {
  const f = await Deno.open(file, { append: true, create: true });
  try {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
  } finally {
    f.close();
  }
}

async function ensureDir(file: string): Promise<void> {
  const i = file.lastIndexOf("/");
  if (i > 0) await Deno.mkdir(file.slice(0, i), { recursive: true });
}

/** Writes the canonical file: the records of `keys` that exist, in `keys` order. */
async function writeCanonical(
  file: string,
  keys: string[],
  have: Map<string, RawRecord>,
): Promise<void> {
  let text = "";
  for (const k of keys) {
    const r = have.get(k);
    if (r) text += recordLine(r);
  }
  await writeFileAtomic(file, text);
}

function staleMessage(file: string, n: number, got: string, want: string, name: string): string {
  return `${file} holds ${n} record(s) of sweep ${name} with config hash ${got.slice(0, 12)}…, ` +
    `but the sweep's config now hashes to ${want.slice(0, 12)}… (the config or code changed): ` +
    `move the file away, pass another --file, or rerun with --discard-stale to drop them`;
}

/** Checks the records against the resolved sweep; returns the valid ones by key. */
function validRecords(
  file: string,
  rs: ResolvedSweep,
  recs: RawRecord[],
  discardStale: boolean,
): Map<string, RawRecord> {
  const known = new Set(rs.keys);
  const have = new Map<string, RawRecord>();
  const stale = recs.filter((r) => r.configHash !== rs.configHash);
  if (stale.length > 0 && !discardStale) {
    const whole = stale.every((r) => r.configHash === rs.wholeConfigHash);
    throw new StaleRecordsError(
      whole
        ? `${file} holds ${stale.length} record(s) of sweep ${rs.name} hashed with its whole ` +
          `config, grid included (written before the sweep declared gridKeys): move them to the ` +
          `run-config hash with \`deno task sweep rehash ${rs.name} --scale ${rs.scale}\``
        : staleMessage(file, stale.length, stale[0].configHash, rs.configHash, rs.name),
    );
  }
  for (const r of recs) {
    if (r.configHash !== rs.configHash) continue;
    if (!known.has(r.key)) {
      if (discardStale) continue;
      throw new StaleRecordsError(
        `${file} holds a record of sweep ${rs.name} for a point that is not in its ${rs.scale} ` +
          `grid (${r.key}); move the file away or rerun with --discard-stale to drop it`,
      );
    }
    have.set(r.key, r);
  }
  return have;
}

/** A job sent to a worker (plain data): see {@linkcode runSweepJob}. */
export interface SweepJob {
  module: string;
  points: Record<string, unknown>[];
  config: Record<string, unknown>;
  batch: boolean;
  /** Where the runs' states and progress lines go (absent: runs get no context). */
  context?: ContextSpec;
}

/**
 * Runs one job: `runBatch` on all points, or `run` on each (with its {@linkcode RunContext} when
 * `context` says where states go); returns summaries and seconds.
 */
export async function runJobWith(
  def: AnySweep,
  points: Record<string, unknown>[],
  config: Record<string, unknown>,
  batch: boolean,
  context?: ContextSpec,
): Promise<{ summaries: unknown[]; seconds: number[] }> {
  if (batch && def.runBatch) {
    const t0 = performance.now();
    const summaries = await def.runBatch(points, config);
    if (!Array.isArray(summaries) || summaries.length !== points.length) {
      throw new Error(
        `sweep ${def.name}: runBatch returned ${
          Array.isArray(summaries) ? summaries.length : typeof summaries
        } summaries for ${points.length} points`,
      );
    }
    const s = (performance.now() - t0) / 1000 / points.length;
    return { summaries, seconds: points.map(() => s) };
  }
  const summaries: unknown[] = [], seconds: number[] = [];
  for (const p of points) {
    const t0 = performance.now();
    const ctx = context ? runContext(context, canonicalJson(p), p) : undefined;
    summaries.push(await def.run(p, config, ctx));
    // a resumed run counts the stretches before its saved state too
    seconds.push(ctx ? ctx.elapsed() : (performance.now() - t0) / 1000);
  }
  return { summaries, seconds };
}

/** Worker entry: imports `job.module`, takes its exported `sweep` and runs the job. */
export async function runSweepJob(
  job: SweepJob,
): Promise<{ summaries: unknown[]; seconds: number[] }> {
  const mod = await import(job.module);
  const def = mod.sweep as AnySweep | undefined;
  if (!def || typeof def.run !== "function") {
    throw new Error(`module ${job.module} does not export a sweep definition as \`sweep\``);
  }
  return await runJobWith(def, job.points, job.config, job.batch, job.context);
}

/** URL of this module (the workers call its {@linkcode runSweepJob}). */
export const SWEEP_JOB_MODULE: string = import.meta.url;

/** Groups the missing point indices into jobs (batches of one batchKey, or single points). */
function planJobs(def: AnySweep, rs: ResolvedSweep, todo: number[], batchSize: number): number[][] {
  if (!def.runBatch) return todo.map((i) => [i]);
  const groups = new Map<string, number[]>();
  for (const i of todo) {
    const k = def.batchKey ? String(def.batchKey(rs.points[i])) : "";
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  const jobs: number[][] = [];
  for (const g of groups.values()) {
    for (let a = 0; a < g.length; a += batchSize) jobs.push(g.slice(a, a + batchSize));
  }
  return jobs;
}

/**
 * Runs every point of the sweep (or of one shard) that is not yet in the record file, appending
 * one record per finished run, then rewrites the file in canonical order when the share is
 * complete. Everything is validated before the first run starts.
 *
 * @throws {SweepConfigError} for a bad definition, scale, shard, override or option;
 * {@linkcode StaleRecordsError} when the file holds records of another config.
 */
export async function runSweepDefinition<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  opts: RunSweepOptions = {},
): Promise<SweepOutcome<P, S>> {
  const scale = opts.scale ?? "quick";
  const rs = await resolveSweep(def, scale, opts.overrides ?? {});
  const shard = parseShard(opts.shard ?? { index: 0, count: 1 });
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new SweepConfigError(`workers must be an integer >= 1, got ${workers}`);
  }
  if (workers > 1 && !opts.module) {
    throw new SweepConfigError(
      `workers > 1 needs module (the URL of the module that exports the sweep as \`sweep\`)`,
    );
  }
  const batchSize = opts.batchSize ?? def.batchSize ?? 10;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new SweepConfigError(`batchSize must be an integer >= 1, got ${batchSize}`);
  }
  const checkpointSeconds = opts.checkpointSeconds ?? 60;
  if (!(checkpointSeconds >= 0)) {
    throw new SweepConfigError(`checkpointSeconds must be a number >= 0, got ${checkpointSeconds}`);
  }
  const main = opts.file ?? defaultSweepFile(def.name, scale);
  const file = shard.count === 1 ? main : shardFile(main, shard);
  await ensureDir(file);
  const have = validRecords(file, rs, await readRecords(file), opts.discardStale ?? false);
  const context: ContextSpec = {
    cacheDir: opts.cacheDir ?? defaultCacheDir(file, def.name),
    parkedDir: parkedStatesDir(file),
    progressFile: progressFile(file),
    configHash: rs.configHash,
    seconds: checkpointSeconds,
    log: opts.logCheckpoints ?? false,
  };
  // progress lines of finished points, other configs or unknown points are obsolete
  const known = new Set(rs.keys);
  if ((await readProgress(context.progressFile)).length > 0) {
    await editProgress(
      context.progressFile,
      context.cacheDir,
      (ps) =>
        ps.filter((p) => p.configHash === rs.configHash && known.has(p.key) && !have.has(p.key)),
    );
  }
  const mine = rs.keys.map((_, i) => i).filter((i) => i % shard.count === shard.index);
  const myKeys = mine.map((i) => rs.keys[i]);
  const todo = mine.filter((i) => !have.has(rs.keys[i]));
  const reused = mine.length - todo.length;
  // Start from a clean file: valid records only, canonical order (drops discarded records and a
  // torn last line, so appends start on a fresh line).
  const text = await readTextIfExists(file);
  const clean = rs.keys.filter((k) => have.has(k)).map((k) => recordLine(have.get(k)!)).join("");
  if (text === null || text !== clean) await writeCanonical(file, rs.keys, have);
  const timing = timingFile(file);
  let done = reused;
  opts.onProgress?.(done, mine.length);
  const jobs = planJobs(def as AnySweep, rs, todo, batchSize);
  const batch = def.runBatch !== undefined;
  let chain: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  const onJob = (job: number[], res: { summaries: unknown[]; seconds: number[] }) => {
    let lines = "", tlines = "";
    job.forEach((i, j) => {
      const r: RawRecord = {
        key: rs.keys[i],
        configHash: rs.configHash,
        point: rs.points[i],
        summary: res.summaries[j],
      };
      // round-trip through JSON so that in-memory records equal what a reader gets back
      const line = recordLine(r);
      have.set(r.key, JSON.parse(line));
      lines += line;
      tlines += JSON.stringify({ key: r.key, configHash: rs.configHash, seconds: res.seconds[j] }) +
        "\n";
    });
    const finished = job.map((i) => rs.keys[i]);
    chain = chain.then(async () => {
      await appendLine(file, lines);
      await appendLine(timing, tlines);
      await clearRunStates(context, finished);
    }).catch((e) => {
      writeError ??= e;
    });
    done += job.length;
    opts.onProgress?.(done, mine.length);
  };
  if (workers === 1 || jobs.length <= 1) {
    for (const job of jobs) {
      if (opts.shouldStop?.()) break;
      const res = await runJobWith(
        def as AnySweep,
        job.map((i) => rs.points[i]),
        rs.config,
        batch,
        context,
      );
      onJob(job, res);
      await chain;
      if (writeError !== null) throw writeError;
    }
  } else {
    await runInWorkers<SweepJob, { summaries: unknown[]; seconds: number[] }>(
      SWEEP_JOB_MODULE,
      "runSweepJob",
      jobs.map((job) => ({
        module: opts.module!,
        points: job.map((i) => rs.points[i]),
        config: rs.config,
        batch,
        context,
      })),
      {
        concurrency: workers,
        onResult: (j, res) => onJob(jobs[j], res as { summaries: unknown[]; seconds: number[] }),
      },
    );
  }
  await chain;
  if (writeError !== null) throw writeError;
  const complete = myKeys.every((k) => have.has(k));
  if (complete) await writeCanonical(file, rs.keys, have);
  const seconds = await readTimings(file, rs.configHash);
  const records = myKeys.filter((k) => have.has(k)).map((k) => {
    const r = have.get(k)!;
    return { ...r, seconds: seconds.get(k) ?? NaN } as SweepRecord<P, S>;
  });
  return {
    file,
    configHash: rs.configHash,
    records,
    total: mine.length,
    reused,
    computed: done - reused,
    complete,
  };
}

/** What {@linkcode loadSweep} returns: the finished records of a file and its coverage. */
export interface LoadedSweep<P = Record<string, unknown>, S = unknown> {
  file: string;
  configHash: string;
  /** Finished records with the current config hash, in canonical order. */
  records: SweepRecord<P, S>[];
  /** Number of points of the sweep at this scale. */
  total: number;
  /** records.length === total. */
  complete: boolean;
  /** Records in the file with another config hash (not used). */
  stale: number;
  /** Of those, records with the whole-config hash of this config: {@linkcode rehashSweep} moves them. */
  rehashable: number;
  /** Sum of the runs' wall-clock seconds (NaN entries skipped). */
  seconds: number;
  /**
   * Unfinished runs of the current config with their summary so far and exact coverage (from the
   * progress sidecar {@linkcode progressFile}), in canonical order; not counted in `records`.
   */
  inProgress: ProgressRecord<P, S>[];
}

/**
 * Loads the records of a sweep at one scale (e.g. a committed `data/results/<name>.jsonl` at
 * paper scale) without running anything: only records whose config hash matches are returned,
 * with the coverage (records / total) so callers can say how complete the file is.
 */
export async function loadSweep<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  scale: Scale,
  file: string = defaultSweepFile(def.name, scale),
): Promise<LoadedSweep<P, S>> {
  const rs = await resolveSweep(def, scale);
  const recs = await readRecords(file);
  const byKey = new Map(recs.filter((r) => r.configHash === rs.configHash).map((r) => [r.key, r]));
  const seconds = await readTimings(file, rs.configHash);
  const records = rs.keys.filter((k) => byKey.has(k)).map((k) => ({
    ...byKey.get(k)!,
    seconds: seconds.get(k) ?? NaN,
  } as SweepRecord<P, S>));
  let total = 0;
  for (const r of records) if (Number.isFinite(r.seconds)) total += r.seconds;
  const progress = new Map(
    (await readProgress(progressFile(file)))
      .filter((p) => p.configHash === rs.configHash && !byKey.has(p.key))
      .map((p) => [p.key, p]),
  );
  return {
    file,
    configHash: rs.configHash,
    records,
    total: rs.keys.length,
    complete: records.length === rs.keys.length,
    stale: recs.length - byKey.size,
    rehashable: rs.wholeConfigHash === rs.configHash
      ? 0
      : recs.filter((r) => r.configHash === rs.wholeConfigHash).length,
    seconds: total,
    inProgress: rs.keys.filter((k) => progress.has(k)).map((k) =>
      progress.get(k) as ProgressRecord<P, S>
    ),
  };
}

/**
 * Merges shard files (and the main file, if any) into the main record file in canonical order:
 * the result is byte-identical to the file of a single-machine run of the same points. Shard
 * files are found next to `file` as `<name>.shard-i-of-n.jsonl`; all must belong to the same
 * config. Returns the merged coverage.
 *
 * @throws {StaleRecordsError} if a shard holds records of another config; {@linkcode SweepConfigError}
 * if no shard file exists.
 */
export async function mergeSweep<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  opts: { scale?: Scale; file?: string; overrides?: Record<string, unknown> } = {},
): Promise<{ file: string; shards: string[]; records: number; total: number; complete: boolean }> {
  const scale = opts.scale ?? "quick";
  const rs = await resolveSweep(def, scale, opts.overrides ?? {});
  const file = opts.file ?? defaultSweepFile(def.name, scale);
  const base = file.endsWith(".jsonl") ? file.slice(0, -6) : file;
  const dir = base.lastIndexOf("/") >= 0 ? base.slice(0, base.lastIndexOf("/")) : ".";
  const stem = base.slice(base.lastIndexOf("/") + 1);
  const re = new RegExp(
    `^${stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.shard-(\\d+)-of-(\\d+)\\.jsonl$`,
  );
  const shards: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && re.test(e.name)) shards.push(`${dir}/${e.name}`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  shards.sort();
  if (shards.length === 0) {
    throw new SweepConfigError(`no shard files ${base}.shard-*-of-*.jsonl to merge`);
  }
  const have = new Map<string, RawRecord>();
  let timings = "";
  const progress = new Map<string, ProgressRecord>();
  for (const f of [file, ...shards]) {
    for (const [k, r] of validRecords(f, rs, await readRecords(f), false)) have.set(k, r);
    const t = await readTextIfExists(timingFile(f));
    if (t !== null && f !== file) timings += t.endsWith("\n") || t === "" ? t : t + "\n";
    for (const p of await readProgress(progressFile(f))) {
      if (p.configHash === rs.configHash) progress.set(p.key, p);
    }
  }
  await ensureDir(file);
  await writeCanonical(file, rs.keys, have);
  if (timings !== "") await appendLine(timingFile(file), timings);
  // in-progress summaries of the shards' unfinished runs go to the main progress sidecar
  const open = [...progress.values()].filter((p) => !have.has(p.key));
  if (open.length > 0 || (await readTextIfExists(progressFile(file))) !== null) {
    await editProgress(progressFile(file), defaultCacheDir(file, def.name), () => open);
  }
  const n = rs.keys.filter((k) => have.has(k)).length;
  return { file, shards, records: n, total: rs.keys.length, complete: n === rs.keys.length };
}

/** Which sweep file a maintenance command ({@linkcode rehashSweep}, {@linkcode parkSweep}) edits. */
export interface SweepFileOptions {
  /** Scale of the config (default quick). */
  scale?: Scale;
  /** Record file (default {@linkcode defaultSweepFile}). */
  file?: string;
  /** Cache folder of the saved states (default {@linkcode defaultCacheDir}). */
  cacheDir?: string;
  /** Config overrides, as `--set` gives them. */
  overrides?: Record<string, unknown>;
}

/** What {@linkcode rehashSweep} changed. */
export interface RehashOutcome {
  file: string;
  /** The whole-config hash the lines had, and the run-config hash they have now. */
  from: string;
  to: string;
  records: number;
  timings: number;
  progress: number;
  /** Saved states of unfinished runs (in the cache folder) moved to the new hash. */
  states: number;
}

/**
 * Moves a record file, its timing and progress sidecars and the saved states of its unfinished
 * runs from the whole-config hash to the run-config hash (config without the sweep's
 * {@linkcode SweepDefinition.gridKeys}) — once, after a sweep declares `gridKeys`, and before
 * its grid changes: lines of any other hash are left as they are. Every file is rewritten
 * atomically and only old-hash lines change, so an interrupted rehash is finished by running it
 * again. Stop the sweep first (a running sweep keeps writing the hash it started with); merge
 * shard files first (they are not rehashed).
 */
export async function rehashSweep<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  opts: SweepFileOptions = {},
): Promise<RehashOutcome> {
  const scale = opts.scale ?? "quick";
  const rs = await resolveSweep(def, scale, opts.overrides ?? {});
  const file = opts.file ?? defaultSweepFile(def.name, scale);
  const cacheDir = opts.cacheDir ?? defaultCacheDir(file, def.name);
  const from = rs.wholeConfigHash, to = rs.configHash;
  const out: RehashOutcome = { file, from, to, records: 0, timings: 0, progress: 0, states: 0 };
  if (from === to) return out;
  const recs = await readRecords(file);
  if (recs.some((r) => r.configHash === from)) {
    const moved = recs.map((r) => (r.configHash === from ? { ...r, configHash: to } : r));
    out.records = recs.filter((r) => r.configHash === from).length;
    await writeFileAtomic(file, moved.map(recordLine).join(""));
  }
  const t = await readTextIfExists(timingFile(file));
  if (t !== null) {
    const next = t.split("\n").filter((l) => l.trim() !== "").flatMap((line) => {
      let r: { key: string; configHash: string; seconds: number };
      try {
        r = JSON.parse(line);
      } catch {
        return []; // a torn line: its run's time is lost, as readTimings would
      }
      if (r.configHash !== from) return [line];
      out.timings++;
      return [JSON.stringify({ key: r.key, configHash: to, seconds: r.seconds })];
    });
    if (out.timings > 0) await writeFileAtomic(timingFile(file), next.join("\n") + "\n");
  }
  if ((await readTextIfExists(progressFile(file))) !== null) {
    await editProgress(progressFile(file), cacheDir, (ps) =>
      ps.map((p) => {
        if (p.configHash !== from) return p;
        out.progress++;
        return { ...p, configHash: to };
      }));
  }
  const prefix = `${from.slice(0, 16)}-`;
  for (const dir of [cacheDir, parkedStatesDir(file)]) {
    for (const name of await stateFileNames(dir, from)) {
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
      if (saved?.configHash !== from) continue;
      const target = `${dir}/${to.slice(0, 16)}-${name.slice(prefix.length)}`;
      await writeFileAtomic(target, JSON.stringify({ ...saved, configHash: to }));
      await Deno.remove(`${dir}/${name}`);
      out.states++;
    }
  }
  return out;
}

/**
 * Parks the saved states of a sweep's unfinished runs next to its record file
 * (`<record file stem>.states/`, {@linkcode parkRunStates}) so that a commit carries them and a
 * rerun on any machine continues those runs exactly instead of from their last stored snapshot or
 * from the start. Commit the folder together with the progress sidecar; a finished run's parked
 * state is removed when its record is written.
 */
export async function parkSweep<P extends Record<string, unknown>, S>(
  def: SweepDefinition<P, S>,
  opts: SweepFileOptions = {},
): Promise<ParkOutcome> {
  const scale = opts.scale ?? "quick";
  const rs = await resolveSweep(def, scale, opts.overrides ?? {});
  const file = opts.file ?? defaultSweepFile(def.name, scale);
  return await parkRunStates({
    cacheDir: opts.cacheDir ?? defaultCacheDir(file, def.name),
    parkedDir: parkedStatesDir(file),
    configHash: rs.configHash,
  });
}
