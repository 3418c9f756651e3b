/**
 * Long runs inside a sweep (runs that take hours, e.g. the paper-scale Fig 4 runs of
 * docs/ghost-mechanism.md §3 Figure 4): the runner hands `run` a {@linkcode RunContext} with
 *
 * - a **checkpoint store** for the run's resumable state (parameters, optimiser state, what it has
 *   recorded so far): one JSON file per point under the cache folder (default
 *   `data/cache/sweeps/<sweep>/` for files in `data/results/`, git-ignored; otherwise
 *   `<record file stem>.cache/`), written atomically (temporary file + rename) at most once per
 *   save interval, so `kill -9` loses at most one interval and a rerun continues the run;
 * - an **in-progress record**: the summary so far and its exact coverage (`done` of `total`
 *   units, e.g. epochs), kept in the sidecar `<record file stem>.progress.jsonl` next to the
 *   record file (one line per unfinished point, rewritten atomically under a lock, so parallel
 *   workers never lose each other's lines). Once a run's record is appended to the record file,
 *   its state file and its progress line are removed; a complete sweep has no progress file;
 * - **parked states**: `deno task sweep park` ({@linkcode parkRunStates}) copies the saved states
 *   of the unfinished runs into `<record file stem>.states/` next to the record file, so that a
 *   commit carries them; a rerun on another machine (no cache) continues from them exactly. Where
 *   both exist, the state with more units done wins; a finished run's parked state is removed with
 *   its cached one.
 *
 * A run must give the same summary whether it ran uninterrupted or was resumed from any saved
 * state (the tests check this with `kill -9`).
 *
 * @module
 */

import { canonicalJson, configHash, readTextIfExists, writeFileAtomic } from "./results.ts";

/** Coverage and summary so far of an unfinished run. */
export interface RunProgress<S = unknown> {
  /** Units done, e.g. epochs completed. */
  done: number;
  /** Units of the whole run. */
  total: number;
  /** Name of the unit, e.g. `"epochs"`. */
  unit: string;
  /** The summary of what is done so far (the final summary's shape). */
  summary: S;
}

/** One line of a progress sidecar: an unfinished run's summary so far. */
export interface ProgressRecord<P = Record<string, unknown>, S = unknown> extends RunProgress<S> {
  key: string;
  configHash: string;
  point: P;
}

/**
 * What the runner offers `run` (its optional third argument) so that a long run survives
 * interruption: `load` the state the same point saved last (same sweep, config hash and point),
 * ask whether a save is `due` (the save interval has passed), and `save` a new state with the
 * summary so far.
 */
export interface RunContext {
  /** The state this point saved last, or null (a fresh start). */
  load(): Promise<unknown | null>;
  /**
   * This point's in-progress record of the current config (e.g. committed with the results while
   * the saved state stayed on another machine), or null: a run may rebuild a state from it.
   */
  progress(): Promise<RunProgress | null>;
  /** True once the save interval has passed since the start or the last save. */
  due(): boolean;
  /**
   * Saves `state` atomically (what `load` of a rerun returns) and, with `progress`, replaces this
   * point's line of the progress sidecar.
   */
  save(state: unknown, progress?: RunProgress): Promise<void>;
}

/** Plain-data description of where a sweep's run contexts keep their files (sent to workers). */
export interface ContextSpec {
  /** Folder of the state files and the lock file. */
  cacheDir: string;
  /** Folder of the parked (committed) states, read when newer than the cache's (optional). */
  parkedDir?: string;
  /** The progress sidecar of the record file being written. */
  progressFile: string;
  configHash: string;
  /** Minimum seconds between two saves of one run. */
  seconds: number;
  /** Print one line on stderr per save. */
  log: boolean;
}

function stem(file: string): string {
  return file.endsWith(".jsonl") ? file.slice(0, -6) : file;
}

/** The progress sidecar of a record file: `x.jsonl` → `x.progress.jsonl`. */
export function progressFile(file: string): string {
  return `${stem(file)}.progress.jsonl`;
}

/**
 * Default folder of the run states of `sweep` written to record file `file`: the project's
 * git-ignored `data/cache/sweeps/<sweep>/` when the file is in `data/results/`, otherwise
 * `<file stem>.cache/` next to the file (so test and quick-scale files keep their own states).
 */
export function defaultCacheDir(file: string, sweep: string): string {
  const i = file.lastIndexOf("/");
  const dir = i >= 0 ? file.slice(0, i) : ".";
  if (dir.endsWith("/data/results") || dir === "data/results") {
    return `${dir.slice(0, -"results".length)}cache/sweeps/${sweep}`;
  }
  return `${stem(file)}.cache`;
}

/** The committed folder of a record file's parked run states: `x.jsonl` → `x.states/`. */
export function parkedStatesDir(file: string): string {
  return `${stem(file)}.states`;
}

async function stateName(spec: { configHash: string }, key: string): Promise<string> {
  return `${spec.configHash.slice(0, 16)}-${(await configHash(key)).slice(0, 16)}.json`;
}

async function stateFile(spec: ContextSpec, key: string): Promise<string> {
  return `${spec.cacheDir}/${await stateName(spec, key)}`;
}

/** A state file's content: the run's state, whose point and config it is, and units done. */
interface SavedState {
  configHash: string;
  key: string;
  state: unknown;
  /** Units done at the save (absent in states saved without progress). */
  done?: number;
  /** Wall-clock seconds the run had taken up to the save, over all its stretches (absent in old states). */
  seconds?: number;
}

async function readSaved(path: string): Promise<SavedState | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  try {
    return JSON.parse(text) as SavedState;
  } catch {
    throw new Error(
      `${path}: not a saved run state (corrupt JSON); delete it to start the run over`,
    );
  }
}

const doneOf = (s: SavedState) => s.done ?? -Infinity;

/** Names of the state files of config hash `hash` in `dir`, sorted ([] if there is no folder). */
export async function stateFileNames(dir: string, hash: string): Promise<string[]> {
  const prefix = `${hash.slice(0, 16)}-`;
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.startsWith(prefix) && e.name.endsWith(".json")) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/** Reads every line of a progress sidecar (any config), in file order; [] if there is none. */
export async function readProgress(file: string): Promise<ProgressRecord[]> {
  const text = await readTextIfExists(file);
  if (text === null) return [];
  const out: ProgressRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let r: ProgressRecord;
    try {
      r = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not a JSON progress record; fix or delete the line`);
    }
    if (typeof r?.key !== "string" || typeof r.configHash !== "string") {
      throw new Error(`${file}:${i + 1}: a progress record needs string "key" and "configHash"`);
    }
    out.push(r);
  });
  return out;
}

function progressLine(r: ProgressRecord): string {
  return `{"key":${JSON.stringify(r.key)},"configHash":${JSON.stringify(r.configHash)},"point":${
    canonicalJson(r.point)
  },"done":${r.done},"total":${r.total},"unit":${JSON.stringify(r.unit)},"summary":${
    canonicalJson(r.summary)
  }}\n`;
}

/**
 * Edits a progress sidecar under an exclusive lock (`<cacheDir>/progress.lock`): `edit` maps the
 * current lines to the new ones, which are written atomically sorted by key; no line left
 * removes the file.
 */
export async function editProgress(
  file: string,
  cacheDir: string,
  edit: (records: ProgressRecord[]) => ProgressRecord[],
): Promise<void> {
  await Deno.mkdir(cacheDir, { recursive: true });
  const lock = await Deno.open(`${cacheDir}/progress.lock`, { create: true, write: true });
  try {
    await lock.lock(true);
    const next = edit(await readProgress(file));
    if (next.length === 0) {
      try {
        await Deno.remove(file);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      return;
    }
    next.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await writeFileAtomic(file, next.map(progressLine).join(""));
  } finally {
    lock.close(); // closing releases the lock
  }
}

/** The {@linkcode RunContext} of one point (`key` = canonical JSON of `point`). */
export function runContext(
  spec: ContextSpec,
  key: string,
  point: Record<string, unknown>,
): RunContext & TimedRunContext {
  const start = performance.now();
  let last = start, before = 0;
  const elapsed = () => before + (performance.now() - start) / 1000;
  return {
    elapsed,
    async load() {
      const name = await stateName(spec, key);
      const dirs = [spec.cacheDir, ...(spec.parkedDir ? [spec.parkedDir] : [])];
      let best: SavedState | null = null, from = "";
      for (const dir of dirs) {
        const saved = await readSaved(`${dir}/${name}`);
        if (saved === null || saved.configHash !== spec.configHash || saved.key !== key) continue;
        if (best === null || doneOf(saved) > doneOf(best)) [best, from] = [saved, dir];
      }
      if (best === null) return null;
      before = best.seconds ?? 0;
      if (spec.log) {
        console.error(
          `resume: ${key} from the state saved in ${from}` +
            (best.done === undefined ? "" : ` at ${best.done} units`),
        );
      }
      return best.state;
    },
    async progress() {
      const line = (await readProgress(spec.progressFile)).find((r) =>
        r.key === key && r.configHash === spec.configHash
      );
      if (!line) return null;
      const { done, total, unit, summary } = line;
      return { done, total, unit, summary };
    },
    due: () => performance.now() - last >= spec.seconds * 1000,
    async save(state, progress) {
      await Deno.mkdir(spec.cacheDir, { recursive: true });
      await writeFileAtomic(
        await stateFile(spec, key),
        JSON.stringify({
          configHash: spec.configHash,
          key,
          state,
          done: progress?.done,
          seconds: elapsed(),
        }),
      );
      if (progress) {
        const line: ProgressRecord = { key, configHash: spec.configHash, point, ...progress };
        await editProgress(
          spec.progressFile,
          spec.cacheDir,
          (rs) => [...rs.filter((r) => r.key !== key), line],
        );
      }
      if (spec.log) {
        const cov = progress ? ` at ${progress.done}/${progress.total} ${progress.unit}` : "";
        console.error(`checkpoint: ${key}${cov} saved`);
      }
      last = performance.now();
    },
  };
}

/** What the sweep machinery reads from the contexts it makes ({@linkcode runContext}). */
export interface TimedRunContext {
  /**
   * Wall-clock seconds of the run so far: this process's stretch plus, when it resumed from a
   * saved state, the seconds recorded in that state (the work redone after the last save of an
   * interrupted stretch is counted once, in the stretch that redid it).
   */
  elapsed(): number;
}

/** Removes the state files and progress lines of finished points (after their records are written). */
export async function clearRunStates(spec: ContextSpec, keys: string[]): Promise<void> {
  const dirs = [spec.cacheDir, ...(spec.parkedDir ? [spec.parkedDir] : [])];
  for (const key of keys) {
    for (const dir of dirs) await removeIfExists(`${dir}/${await stateName(spec, key)}`);
  }
  if (spec.parkedDir) {
    try {
      await Deno.remove(spec.parkedDir); // only once empty: the last parked run has finished
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) && !/not empty/i.test(String(e))) throw e;
    }
  }
  const done = new Set(keys);
  if ((await readTextIfExists(spec.progressFile)) === null) return;
  await editProgress(spec.progressFile, spec.cacheDir, (rs) => rs.filter((r) => !done.has(r.key)));
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** What {@linkcode parkRunStates} copied. */
export interface ParkOutcome {
  /** Folder of the parked states. */
  dir: string;
  /** States copied (newer than the parked copy, or not parked yet). */
  parked: number;
  /** States already parked at the same or a later point. */
  current: number;
  /** Bytes of the parked folder's states of this config. */
  bytes: number;
}

/**
 * Copies the saved states of this config's unfinished runs from the cache folder into the parked
 * folder (atomically, one file each; a parked state is only replaced by one with more units done,
 * or by one saved without that count),
 * so that committing the parked folder with the progress sidecar lets any machine continue the
 * runs exactly. Safe while the sweep runs (state files are replaced atomically).
 */
export async function parkRunStates(
  spec: { cacheDir: string; parkedDir: string; configHash: string },
): Promise<ParkOutcome> {
  const out: ParkOutcome = { dir: spec.parkedDir, parked: 0, current: 0, bytes: 0 };
  for (const name of await stateFileNames(spec.cacheDir, spec.configHash)) {
    const saved = await readSaved(`${spec.cacheDir}/${name}`);
    if (saved === null || saved.configHash !== spec.configHash) continue;
    const target = `${spec.parkedDir}/${name}`;
    const old = await readSaved(target);
    // a state saved without its units done (older versions) cannot be ordered: the cache's wins
    const behind = saved.done !== undefined && old !== null &&
      old.configHash === spec.configHash && doneOf(old) >= saved.done;
    if (behind) {
      out.current++;
    } else {
      await Deno.mkdir(spec.parkedDir, { recursive: true });
      await writeFileAtomic(target, JSON.stringify(saved));
      out.parked++;
    }
  }
  for (const name of await stateFileNames(spec.parkedDir, spec.configHash)) {
    out.bytes += (await Deno.stat(`${spec.parkedDir}/${name}`)).size;
  }
  return out;
}
