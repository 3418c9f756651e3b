/**
 * The worker pool of the sweeps (independent runs use all cores): {@linkcode runInWorkers} calls an
 * exported function of a module on many arguments in a pool of Deno Web Workers; results come back
 * in argument order. Arguments and results must be structured-cloneable (plain data).
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
