/**
 * The one way notebooks show things: figures, computed markdown, updating progress lines and
 * exercise results. Inside the Deno Jupyter kernel these go through `Deno.jupyter.display` (always
 * awaited, never as a cell's last-expression value: the kernel publishes some last-expression
 * results late or under the next cell); outside the kernel (CLI, tests) they print plain text, so
 * the same code runs everywhere. Every bundle carries a `text/plain` fallback.
 *
 * @module
 */

import { requireInteger, requireNonNegative } from "./validate.ts";

/** The method the Deno kernel calls to get an object's MIME bundle (`Symbol.for("Jupyter.display")`). */
export const DISPLAY: unique symbol = Symbol.for("Jupyter.display") as typeof DISPLAY;

/** Anything with a Jupyter MIME bundle (e.g. a {@linkcode Figure} of `lib/plot`). */
export interface Displayable {
  [DISPLAY](): Record<string, unknown>;
}

type Jupyter = {
  display(
    obj: unknown,
    opts?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
};

let cached: Jupyter | null | undefined;

/** `Deno.jupyter` inside the kernel, else null (outside `deno jupyter` reading it throws). */
function jupyter(): Jupyter | null {
  if (cached !== undefined) return cached;
  try {
    // deno-lint-ignore no-explicit-any
    const j = (Deno as any).jupyter as Jupyter | undefined;
    cached = j && typeof j.display === "function" ? j : null;
  } catch {
    cached = null;
  }
  return cached;
}

/** Whether this code runs inside the Deno Jupyter kernel. */
function inKernel(): boolean {
  return jupyter() !== null;
}

/**
 * Every bundle gets a `text/plain` fallback (what a front end shows when it cannot or may not
 * render the richer types, e.g. an untrusted notebook or a terminal).
 */
function bundleOf(x: Displayable | string): Record<string, unknown> {
  if (typeof x === "string") return { "text/markdown": x, "text/plain": x };
  const b = x[DISPLAY]();
  if (typeof b["text/plain"] === "string") return b;
  const text = b["text/markdown"] ?? b["text/html"] ?? "(output)";
  return { ...b, "text/plain": String(text) };
}

/**
 * How long a cell waits after each output before going on. Measured with Run All over 200 cells
 * per output pattern (README, "Interactive notebooks"): the Deno kernel 2.9.5 tags an output with the request current when it is *sent*; an output sent just as
 * the cell ends went under the next cell in 1–7 % of cells for `await Deno.jupyter.display` /
 * `broadcast`, 0 of 200 once the cell yielded to the event loop after the display. Printing
 * (`console.log`) and last-expression values were misrouted most often and are never used here.
 */
const SETTLE_MS = 5;

const settle = () => new Promise<void>((r) => setTimeout(r, SETTLE_MS));

async function publish(bundle: Record<string, unknown>, id?: string, update = false) {
  const j = jupyter();
  if (j) {
    await j.display(bundle, { raw: true, ...(id ? { display_id: id, update } : {}) });
    await settle();
    return;
  }
  console.log(String(bundle["text/plain"]));
}

/** Shows a figure, a displayable object or a markdown string in the notebook (plain text elsewhere). */
export async function show(x: Displayable | string): Promise<void> {
  await publish(bundleOf(x));
}

/** A markdown string built from a template literal: `await show(md\`Computed: ${x}\`)`. */
export function md(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((s, str, i) => s + str + (i < values.length ? String(values[i]) : ""), "");
}

let nextId = 0;

/** An updating one-line progress display; see {@linkcode progress}. */
export interface Progress {
  /** Sets the number of finished units (and an optional note) and redraws the line. */
  update(done: number, note?: string): Promise<void>;
  /**
   * Marks the work finished and leaves a final summary line, counting `finished` units (default:
   * all; fewer when the work ends short, e.g. a partial result file was loaded).
   */
  done(note?: string, finished?: number): Promise<void>;
}

/** Seconds as `12 s`, `3.4 min` or `1.2 h`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * The text of a progress line after `done` of `total` units in `elapsed` seconds:
 * `label: done/total (rate/s, ETA …)`, or with the total time once `final`.
 */
export function progressLine(
  label: string,
  done: number,
  total: number,
  elapsed: number,
  note?: string,
  final = false,
): string {
  const rate = done / Math.max(elapsed, 1e-9);
  const tail = final
    ? `done in ${formatSeconds(elapsed)}`
    : `ETA ${done > 0 ? formatSeconds((total - done) / rate) : "?"}`;
  return `${label}: ${done}/${total} (${rate.toPrecision(3)}/s, ${tail})${
    note ? ` — ${note}` : ""
  }`;
}

/**
 * An updating progress line for long cells: in the kernel one output (`display_id`) redrawn with
 * `update` at most every `minIntervalMs` (the first call always draws); outside the kernel only
 * the final line is printed. `update` after `done`, or a `done` larger than `total`, is clamped /
 * ignored, so a progress line can never disagree with the work.
 *
 * @throws {RangeError} if `total` is not an integer ≥ 1 or `minIntervalMs` is negative.
 */
export function progress(label: string, total: number, minIntervalMs = 500): Progress {
  requireInteger("total", total, 1);
  requireNonNegative("minIntervalMs", minIntervalMs);
  const id = `ghostlab-progress-${Date.now().toString(36)}-${nextId++}`;
  const t0 = performance.now();
  let last = -Infinity;
  let shown = false;
  let finished = false;
  const elapsed = () => (performance.now() - t0) / 1000;
  const clamp = (n: number) => Math.min(Math.max(Number.isFinite(n) ? n : 0, 0), total);
  const draw = async (text: string) => {
    await publish({ "text/plain": text }, id, shown);
    shown = true;
  };
  return {
    async update(done, note) {
      if (finished || !inKernel()) return;
      const now = performance.now();
      if (shown && now - last < minIntervalMs) return;
      last = now;
      await draw(progressLine(label, clamp(done), total, elapsed(), note));
    },
    async done(note, count = total) {
      if (finished) return;
      finished = true;
      const text = progressLine(label, clamp(count), total, elapsed(), note, true);
      if (inKernel()) await draw(text);
      else console.log(text);
    },
  };
}
