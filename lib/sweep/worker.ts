/**
 * Generic sweep worker: receives `{ id, module, fn, arg }`, imports `module`, calls its exported
 * function `fn(arg)` (sync or async) and posts back `{ id, ok, result | error }`.
 *
 * @module
 */

interface Job {
  id: number;
  module: string;
  fn: string;
  arg: unknown;
}

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<Job>) => void) | null;
  postMessage(msg: unknown): void;
};

scope.onmessage = async (ev: MessageEvent<Job>) => {
  const { id, module, fn, arg } = ev.data;
  try {
    const mod = await import(module);
    if (typeof mod[fn] !== "function") {
      throw new TypeError(`module ${module} has no function ${fn}`);
    }
    const result = await mod[fn](arg);
    scope.postMessage({ id, ok: true, result });
  } catch (e) {
    scope.postMessage({
      id,
      ok: false,
      error: e instanceof Error ? (e.stack ?? e.message) : String(e),
    });
  }
};
