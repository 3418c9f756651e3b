/**
 * Parallel and resumable parameter sweeps (DESIGN "Engines": independent runs use all cores;
 * sweeps resume after interruption).
 *
 * - {@linkcode runInWorkers}: calls an exported function of a module on many arguments in a pool of
 *   Deno Web Workers; results come back in argument order. Arguments and results must be
 *   structured-cloneable (plain data).
 * - {@linkcode runSweep}: the same, but every finished job is appended to a JSON-lines file
 *   (`{"key": ..., "result": ...}` per line); a rerun skips the keys already in the file.
 *
 * @module
 */

/** Pool options. */
export interface PoolOptions {
  /** Number of workers (default: `navigator.hardwareConcurrency`, at least 1). */
  concurrency?: number;
  /** Called after each finished job with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Called with (index, result) as soon as each job finishes (before the pool resolves). */
  onResult?: (index: number, result: unknown) => void;
}

function defaultConcurrency(): number {
  const n = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)
    ?.hardwareConcurrency;
  return Math.max(1, n ?? 1);
}

/**
 * Runs `module.fn(arg)` for every arg in a pool of workers and returns the results in order.
 * `module` must be an absolute URL (e.g. `new URL("./train.ts", import.meta.url).href`).
 *
 * @throws {RangeError} if concurrency is not a positive integer; rejects with the worker's error
 * (message and stack) if any job throws.
 */
export async function runInWorkers<A, R>(
  module: string | URL,
  fn: string,
  args: A[],
  opts: PoolOptions = {},
): Promise<R[]> {
  const conc = opts.concurrency ?? defaultConcurrency();
  if (!Number.isInteger(conc) || conc < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${conc}`);
  }
  const mod = typeof module === "string" ? module : module.href;
  const results = new Array<R>(args.length);
  if (args.length === 0) return results;
  const nw = Math.min(conc, args.length);
  const workers: Worker[] = [];
  let next = 0, done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const feed = (w: Worker) => {
        if (next >= args.length) return;
        const id = next++;
        w.postMessage({ id, module: mod, fn, arg: args[id] });
      };
      for (let k = 0; k < nw; k++) {
        const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
        workers.push(w);
        w.onmessage = (
          ev: MessageEvent<{ id: number; ok: boolean; result?: R; error?: string }>,
        ) => {
          const m = ev.data;
          if (!m.ok) {
            reject(new Error(`job ${m.id} (${fn}) failed in a worker: ${m.error}`));
            return;
          }
          results[m.id] = m.result as R;
          try {
            opts.onResult?.(m.id, m.result);
          } catch (e) {
            reject(e);
            return;
          }
          done++;
          opts.onProgress?.(done, args.length);
          if (done === args.length) resolve();
          else feed(w);
        };
        w.onerror = (ev) => {
          ev.preventDefault();
          reject(new Error(`worker error: ${ev.message}`));
        };
        feed(w);
      }
    });
  } finally {
    for (const w of workers) w.terminate();
  }
  return results;
}

/** One job of a resumable sweep: a unique key and the argument passed to the function. */
export interface SweepJob<A> {
  key: string;
  arg: A;
}

/** Options of {@linkcode runSweep}. */
export interface SweepOptions extends PoolOptions {
  /** JSON-lines result file; created if missing, appended to as jobs finish. */
  file: string;
}

/** Reads the finished results of a sweep file (a truncated last line is ignored). */
export async function readSweep<R>(file: string): Promise<Map<string, R>> {
  const out = new Map<string, R>();
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return out;
    throw e;
  }
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const rec = JSON.parse(line) as { key: string; result: R };
      out.set(rec.key, rec.result);
    } catch {
      // an interrupted write leaves a partial last line: that job simply reruns
    }
  }
  return out;
}

/**
 * Resumable sweep: runs `module.fn(job.arg)` in workers for every job whose key is not yet in
 * `opts.file`, appending `{"key", "result"}` lines as jobs finish. Returns all results (old and
 * new) keyed by job key, in job order.
 *
 * @throws {RangeError} on duplicate job keys.
 */
export async function runSweep<A, R>(
  module: string | URL,
  fn: string,
  jobs: SweepJob<A>[],
  opts: SweepOptions,
): Promise<Map<string, R>> {
  const keys = new Set<string>();
  for (const j of jobs) {
    if (keys.has(j.key)) throw new RangeError(`duplicate sweep key "${j.key}"`);
    keys.add(j.key);
  }
  const have = await readSweep<R>(opts.file);
  const todo = jobs.filter((j) => !have.has(j.key));
  // Repair a partial last line before appending.
  try {
    const text = await Deno.readTextFile(opts.file);
    if (text.length > 0 && !text.endsWith("\n")) {
      await Deno.writeTextFile(opts.file, "\n", { append: true });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  // One pool for all remaining jobs; each result is appended to the file as soon as it arrives.
  let chain: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  await runInWorkers<A, R>(module, fn, todo.map((j) => j.arg), {
    concurrency: opts.concurrency,
    onProgress: opts.onProgress,
    onResult: (i, result) => {
      const job = todo[i];
      have.set(job.key, result as R);
      const line = JSON.stringify({ key: job.key, result }) + "\n";
      chain = chain.then(() => Deno.writeTextFile(opts.file, line, { append: true })).catch((e) => {
        writeError ??= e;
      });
    },
  });
  await chain;
  if (writeError !== null) throw writeError;
  const out = new Map<string, R>();
  for (const j of jobs) out.set(j.key, have.get(j.key) as R);
  return out;
}
