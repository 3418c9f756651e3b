/**
 * Result files and configuration hashing (one home for the whole project): canonical JSON, its
 * SHA-256 as the config hash, compact rounding, and atomic whole-file results under
 * `data/results/` that carry their config, config hash and a `partial` flag (DEVELOPING.md
 * "Tests, speed, results").
 *
 * @module
 */

/** A result file under `data/results/` (compact JSON). */
export interface ResultFile<C, R> {
  /** What produced it (command). */
  producedBy: string;
  /** The full configuration. */
  config: C;
  /** SHA-256 of the canonical JSON of `config`. */
  configHash: string;
  /** True while the producing command has not finished every run. */
  partial: boolean;
  /** ISO time of writing. */
  written: string;
  results: R;
}

/**
 * JSON with object keys sorted and `undefined` members dropped: the canonical form used for
 * hashing configurations and for the keys of sweep records.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) =>
        `${JSON.stringify(k)}:${canonicalJson(o[k])}`
      ).join(",")
    }}`;
  }
  return JSON.stringify(v);
}

/** SHA-256 (hex) of the canonical JSON of a configuration. */
export async function configHash(config: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(config));
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Rounds numbers to `digits` significant digits, recursively (compact result files). */
export function roundDeep(v: unknown, digits = 7): unknown {
  if (typeof v === "number") {
    return Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(digits)) : v;
  }
  if (Array.isArray(v)) return v.map((x) => roundDeep(x, digits));
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x, digits)]));
  }
  return v;
}

/** Writes a file (text or bytes) atomically: a temporary file in the same folder, then a rename. */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${Date.now()}.tmp`;
  if (typeof content === "string") await Deno.writeTextFile(tmp, content);
  else await Deno.writeFile(tmp, content);
  await Deno.rename(tmp, path);
}

/** Writes a result file atomically (temporary file + rename). */
export async function writeResultFile<C, R>(
  path: string,
  producedBy: string,
  config: C,
  results: R,
  partial: boolean,
): Promise<void> {
  const file: ResultFile<C, R> = {
    producedBy,
    config,
    configHash: await configHash(config),
    partial,
    written: new Date().toISOString(),
    results: roundDeep(results) as R,
  };
  await writeFileAtomic(path, JSON.stringify(file) + "\n");
}

/** A text file's content, or null if it does not exist (other read errors are thrown). */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** A file's bytes, or null if it does not exist (other read errors are thrown). */
export async function readBytesIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Reads a result file, or null if it does not exist. */
export async function readResultFile<C, R>(path: string): Promise<ResultFile<C, R> | null> {
  const text = await readTextIfExists(path);
  return text === null ? null : JSON.parse(text) as ResultFile<C, R>;
}

/** Absolute path of a file under the project's `data/results/` (independent of the cwd). */
export function resultsPath(name: string): string {
  return decodeURIComponent(new URL(`../../data/results/${name}`, import.meta.url).pathname);
}
