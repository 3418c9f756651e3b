/**
 * JSB chorales for the glassy-dynamics reproduction (docs/glassy-dynamics.md §2 and §9).
 *
 * - {@linkcode loadJsbChorales}: finds `jsb-chorales-quarter.json` (argument path, env
 *   `GHOSTLAB_JSB_PATH`, the cache `data/jsb-chorales-quarter.json`, else a download from its public
 *   URL), verifies the SHA-256 and parses it, with a clear error for each failure.
 * - {@linkcode pianoRoll}: binary piano-roll encoding (one unit per pitch, voices merged; §2.2).
 * - {@linkcode prepareChoraleData}: the training subset (80 chorales from index 100), the whole test
 *   split, next-step ±1 targets, chorale start/end masks and the global scalar input normalisation.
 * - {@linkcode syntheticChorales}: a small chorale-like data set generated in code (tests, CI).
 *
 * Matrices are time-major: row t holds the `nv` units of time column t (`x[t * nv + i]`).
 *
 * @module
 */

import { Rng } from "../random.ts";
import { writeFileAtomic } from "../sweep/results.ts";

/** One chorale: a list of time steps, each the list of MIDI pitches sounding at that step. */
export type Chorale = number[][];

/** The Boulanger-Lewandowski split of the JSB chorales (§9). */
export interface ChoraleDataset {
  train: Chorale[];
  valid: Chorale[];
  test: Chorale[];
}

/** Public URL of `jsb-chorales-quarter.json` (czhuang/JSB-Chorales-dataset, §9). */
const JSB_URL =
  "https://raw.githubusercontent.com/czhuang/JSB-Chorales-dataset/master/jsb-chorales-quarter.json";
/** SHA-256 of the expected file (§9). */
const JSB_SHA256 = "2db9329f1881a1d3f49703ec556bf1d6f84b4f6c1d702c156536e93cf31e1c91";
/** Environment variable holding a local path to the file. */
const JSB_ENV = "GHOSTLAB_JSB_PATH";
/** Default cache location (git-ignored), relative to the project root. */
const JSB_CACHE_FILE = "data/jsb-chorales-quarter.json";

/** Options for {@linkcode loadJsbChorales}. */
export interface LoadOptions {
  /** Explicit local path (wins over the environment variable and the cache). */
  path?: string;
  /** Where to cache a download (default: `<project>/data/jsb-chorales-quarter.json`). */
  cachePath?: string;
  /** Whether a missing file may be downloaded from its public URL (default true). */
  download?: boolean;
  /** Expected SHA-256 (hex); `null` skips the check. Default: the checksum of §9. */
  sha256?: string | null;
}

/** Hex SHA-256 of a byte array. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function defaultCachePath(): string {
  const url = new URL(`../../${JSB_CACHE_FILE}`, import.meta.url);
  return decodeURIComponent(url.pathname);
}

function envPath(): string | undefined {
  try {
    const v = Deno.env.get(JSB_ENV);
    return v === "" ? undefined : v;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

const HOWTO = `Set ${JSB_ENV} to a copy of jsb-chorales-quarter.json ` +
  `(developers and CI: ../shared/data/jsb-chorales-quarter.json), pass { path }, ` +
  `or let the loader download it from ${JSB_URL} into ${JSB_CACHE_FILE}.`;

/**
 * Parses and validates the JSON text of the chorale file (§9 format: `{train, valid, test}`, each a
 * list of chorales, each a list of time steps, each a list of integer MIDI pitches).
 *
 * @throws {Error} naming the file and what is wrong if the text is not such JSON.
 */
function parseChorales(text: string, source = "chorale file"): ChoraleDataset {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${source} is not valid JSON (${(e as Error).message}); it is corrupt or not the JSB ` +
        `chorales file. Delete it and get a fresh copy. ${HOWTO}`,
    );
  }
  const bad = (what: string) =>
    new Error(`${source} is malformed: ${what}. Expected {"train","valid","test"}. ${HOWTO}`);
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw bad("top level is not an object");
  }
  const rec = obj as Record<string, unknown>;
  const out: Partial<ChoraleDataset> = {};
  for (const key of ["train", "valid", "test"] as const) {
    const split = rec[key];
    if (!Array.isArray(split)) throw bad(`missing or non-array split "${key}"`);
    split.forEach((ch, i) => {
      if (!Array.isArray(ch)) throw bad(`${key}[${i}] is not a list of time steps`);
      ch.forEach((step, t) => {
        if (!Array.isArray(step) || !step.every((p) => Number.isInteger(p))) {
          throw bad(`${key}[${i}][${t}] is not a list of integer MIDI pitches`);
        }
      });
    });
    out[key] = split as Chorale[];
  }
  return out as ChoraleDataset;
}

async function verify(bytes: Uint8Array, expected: string | null, source: string) {
  if (expected === null) return;
  const got = await sha256Hex(bytes);
  if (got !== expected.toLowerCase()) {
    throw new Error(
      `SHA-256 mismatch for ${source}: expected ${expected}, got ${got}. The file is not the ` +
        `expected jsb-chorales-quarter.json (corrupt, truncated or a different version): delete it ` +
        `and get a fresh copy. ${HOWTO}`,
    );
  }
}

/**
 * Loads the JSB chorales (§9): from `opts.path`, else env `GHOSTLAB_JSB_PATH` (a relative path is
 * tried against the cwd, then against the project root), else the cache
 * `data/jsb-chorales-quarter.json`, else downloads it from its public URL (§9) into the cache. The SHA-256
 * is verified before parsing.
 *
 * @throws {Error} if an explicit/env path does not exist, the download is disabled or fails, the
 *   checksum does not match, or the JSON is malformed — each message says what to do.
 */
export async function loadJsbChorales(opts: LoadOptions = {}): Promise<ChoraleDataset> {
  const expected = opts.sha256 === undefined ? JSB_SHA256 : opts.sha256;
  let explicit = opts.path ?? envPath();
  if (explicit !== undefined && !explicit.startsWith("/") && !(await exists(explicit))) {
    // a relative path that is not relative to the cwd (e.g. a notebook kernel runs in notebooks/):
    // resolve it against the project root
    const fromRoot = decodeURIComponent(new URL(`../../${explicit}`, import.meta.url).pathname);
    if (await exists(fromRoot)) explicit = fromRoot;
  }
  if (explicit !== undefined) {
    const src = opts.path !== undefined ? `path ${explicit}` : `${JSB_ENV}=${explicit}`;
    if (!(await exists(explicit))) {
      throw new Error(`JSB chorales file not found (${src}). ${HOWTO}`);
    }
    const bytes = await Deno.readFile(explicit);
    await verify(bytes, expected, explicit);
    return parseChorales(new TextDecoder().decode(bytes), explicit);
  }
  const cache = opts.cachePath ?? defaultCachePath();
  if (await exists(cache)) {
    const bytes = await Deno.readFile(cache);
    await verify(bytes, expected, cache);
    return parseChorales(new TextDecoder().decode(bytes), cache);
  }
  if (opts.download === false) {
    throw new Error(`JSB chorales file not found at ${cache} and download is disabled. ${HOWTO}`);
  }
  let bytes: Uint8Array;
  try {
    const res = await fetch(JSB_URL);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new Error(
      `Could not download the JSB chorales from ${JSB_URL} (${(e as Error).message}). ` +
        `Download it by hand and set ${JSB_ENV} to its path. ${HOWTO}`,
    );
  }
  await verify(bytes, expected, JSB_URL);
  const dataset = parseChorales(new TextDecoder().decode(bytes), JSB_URL);
  const dir = cache.replace(/[/\\][^/\\]*$/, "");
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(cache, bytes);
  return dataset;
}

/** Pitch span of the piano roll (inclusive MIDI numbers). */
export interface PitchSpan {
  /** Lowest MIDI pitch (default 43). */
  low?: number;
  /** Highest MIDI pitch (default 96). */
  high?: number;
}

function span(p: PitchSpan): { low: number; high: number; nv: number } {
  const low = p.low ?? 43;
  const high = p.high ?? 96;
  if (!Number.isInteger(low) || low < 0 || low > 127) {
    throw new RangeError(`low must be an integer MIDI pitch in [0, 127], got ${low}`);
  }
  if (!Number.isInteger(high) || high < low || high > 127) {
    throw new RangeError(`high must be an integer in [low=${low}, 127], got ${high}`);
  }
  return { low, high, nv: high - low + 1 };
}

/**
 * Binary piano roll of one chorale (§2.2): a time-major `(L × nv)` 0/1 matrix with
 * `roll[t * nv + (p − low)] = 1` if pitch p sounds at step t (any voice).
 *
 * @throws {RangeError} if a pitch lies outside [low, high].
 */
export function pianoRoll(chorale: Chorale, pitches: PitchSpan = {}): Float64Array {
  const { low, high, nv } = span(pitches);
  const out = new Float64Array(chorale.length * nv);
  chorale.forEach((step, t) => {
    for (const p of step) {
      if (p < low || p > high) {
        throw new RangeError(`pitch ${p} at step ${t} is outside the span [${low}, ${high}]`);
      }
      out[t * nv + (p - low)] = 1;
    }
  });
  return out;
}

/** One split ready for training: inputs, ±1 next-step targets and chorale boundary masks. */
export interface SplitData {
  /** Number of time columns (Σ over chorales of length − 1). */
  T: number;
  /** Normalised inputs x(t), time-major (T × nv). */
  x: Float64Array;
  /** Next-step targets S(t) = 2·roll(t+1) − 1 ∈ {−1, +1}, time-major (T × nv). */
  s: Float64Array;
  /** 1 at the first column of every chorale, else 0. */
  starts: Uint8Array;
  /** 1 at the last column of every chorale, else 0. */
  ends: Uint8Array;
}

/** Training and test data for the deep RNN (§2). */
export interface ChoraleData {
  /** Number of visible units (pitches). */
  nv: number;
  /** Lowest pitch of the span. */
  low: number;
  /** Training subset (chorales firstChorale … firstChorale + nChorales − 1 of `train`). */
  train: SplitData;
  /** The whole test split. */
  test: SplitData;
  /** Global scalar mean of the raw training inputs (used for both splits). */
  mean: number;
  /** Global scalar std of the raw training inputs (population std). */
  std: number;
}

/** Options for {@linkcode prepareChoraleData}. */
export interface PrepareOptions extends PitchSpan {
  /** First training chorale (default 100, as `nbegin` in the reference code). */
  firstChorale?: number;
  /** Number of training chorales (default 80, `nc`). */
  nChorales?: number;
  /** Use at most this many test chorales (default: all). */
  maxTestChorales?: number;
}

function buildSplit(chorales: Chorale[], pitches: PitchSpan, nv: number) {
  const rolls = chorales.map((c) => pianoRoll(c, pitches));
  let T = 0;
  for (const c of chorales) T += Math.max(0, c.length - 1);
  const raw = new Float64Array(T * nv);
  const s = new Float64Array(T * nv);
  const starts = new Uint8Array(T);
  const ends = new Uint8Array(T);
  let col = 0;
  chorales.forEach((c, k) => {
    const L = c.length;
    if (L < 2) return;
    const r = rolls[k];
    starts[col] = 1;
    for (let t = 0; t < L - 1; t++, col++) {
      for (let i = 0; i < nv; i++) {
        raw[col * nv + i] = r[t * nv + i];
        s[col * nv + i] = 2 * r[(t + 1) * nv + i] - 1;
      }
    }
    ends[col - 1] = 1;
  });
  return { T, raw, s, starts, ends };
}

/**
 * Builds training and test data (§2.1–2.2): piano rolls over the pitch span, next-step targets as
 * ±1 spins (a chorale of L steps gives L − 1 columns), chorale start/end masks, and inputs
 * normalised by the global scalar mean and std of the training inputs (applied to both splits).
 *
 * @throws {RangeError} if the chorale range is outside the training split.
 */
export function prepareChoraleData(ds: ChoraleDataset, opts: PrepareOptions = {}): ChoraleData {
  const { low, nv } = span(opts);
  const first = opts.firstChorale ?? 100;
  const n = opts.nChorales ?? 80;
  if (!Number.isInteger(first) || first < 0 || first >= ds.train.length) {
    throw new RangeError(
      `firstChorale must be an integer in [0, ${ds.train.length - 1}], got ${first}`,
    );
  }
  if (!Number.isInteger(n) || n < 1 || first + n > ds.train.length) {
    throw new RangeError(
      `nChorales must be an integer in [1, ${ds.train.length - first}], got ${n}`,
    );
  }
  const testCh = opts.maxTestChorales === undefined
    ? ds.test
    : ds.test.slice(0, opts.maxTestChorales);
  const tr = buildSplit(ds.train.slice(first, first + n), opts, nv);
  const te = buildSplit(testCh, opts, nv);
  let sum = 0;
  for (const v of tr.raw) sum += v;
  const mean = sum / tr.raw.length;
  let ss = 0;
  for (const v of tr.raw) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / tr.raw.length);
  if (!(std > 0)) throw new RangeError("training inputs are constant: std = 0");
  const norm = (a: Float64Array) => a.map((v) => (v - mean) / std);
  return {
    nv,
    low,
    mean,
    std,
    train: { T: tr.T, x: norm(tr.raw), s: tr.s, starts: tr.starts, ends: tr.ends },
    test: { T: te.T, x: norm(te.raw), s: te.s, starts: te.starts, ends: te.ends },
  };
}

/** Options for {@linkcode syntheticChorales}. */
export interface SyntheticOptions extends PitchSpan {
  /** Chorales in each split (default train 12, valid 2, test 4). */
  nTrain?: number;
  nValid?: number;
  nTest?: number;
  /** Length range in steps (default 12…24). */
  minLength?: number;
  maxLength?: number;
}

/**
 * A small chorale-like data set: four voices (bass, tenor, alto, soprano) moving by small steps
 * around chords of a C-major scale, occasionally holding, within the pitch span. For tests and CI
 * (no data file needed); same format as {@linkcode loadJsbChorales}.
 */
export function syntheticChorales(seed: number, opts: SyntheticOptions = {}): ChoraleDataset {
  const { low, high } = span(opts);
  const rng = new Rng(seed);
  const minL = opts.minLength ?? 12;
  const maxL = opts.maxLength ?? 24;
  if (!Number.isInteger(minL) || minL < 2) {
    throw new RangeError(`minLength must be an integer >= 2, got ${minL}`);
  }
  if (!Number.isInteger(maxL) || maxL < minL) {
    throw new RangeError(`maxLength must be an integer >= minLength=${minL}, got ${maxL}`);
  }
  const scale = [0, 2, 4, 5, 7, 9, 11];
  const chordRoots = [0, 3, 4, 0, 5, 1, 4, 0]; // I vi V I IV ii V I (scale degrees)
  const width = high - low;
  const centres = [0.2, 0.4, 0.6, 0.8].map((f) => low + Math.round(f * width));
  const make = (): Chorale => {
    const L = minL + rng.int(maxL - minL + 1);
    const out: Chorale = [];
    let voices = centres.slice();
    for (let t = 0; t < L; t++) {
      const root = chordRoots[(t + rng.int(2)) % chordRoots.length];
      const chord = [0, 2, 4].map((k) => scale[(root + k) % 7]);
      voices = voices.map((v, k) => {
        if (t > 0 && rng.uniform() < 0.25) return v; // hold
        let best = v;
        let bestCost = Infinity;
        for (let p = v - 4; p <= v + 4; p++) {
          if (p < low || p > high) continue;
          if (!chord.includes(((p % 12) + 12) % 12)) continue;
          const cost = Math.abs(p - centres[k]) * 0.3 + Math.abs(p - v) + rng.uniform();
          if (cost < bestCost) [best, bestCost] = [p, cost];
        }
        return best;
      });
      out.push(Array.from(new Set(voices)).sort((a, b) => a - b));
    }
    return out;
  };
  const gen = (n: number) => Array.from({ length: n }, make);
  return {
    train: gen(opts.nTrain ?? 12),
    valid: gen(opts.nValid ?? 2),
    test: gen(opts.nTest ?? 4),
  };
}
