/**
 * The one way notebooks show things: figures, computed markdown, updating progress lines and
 * exercise results. Inside the Deno Jupyter kernel these go through `Deno.jupyter.display` (always
 * awaited, never as a cell's last-expression value: the kernel publishes some last-expression
 * results late or under the next cell); outside the kernel (CLI, tests) they print plain text, so
 * the same code runs everywhere. Every bundle carries a `text/plain` fallback.
 *
 * @module
 */

import type { Figure } from "./plot/mod.ts";

const DISPLAY = Symbol.for("Jupyter.display");

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

function jupyter(): Jupyter | undefined {
  let j: Jupyter | undefined;
  try {
    // deno-lint-ignore no-explicit-any
    j = (Deno as any).jupyter as Jupyter | undefined; // the getter throws outside `deno jupyter`
  } catch {
    return undefined;
  }
  if (!j) return undefined;
  try {
    // Deno.jupyter exists outside the kernel too but throws when used there.
    return Deno.env.get("JPY_PARENT_PID") !== undefined || "broadcast" in j ? j : undefined;
  } catch {
    return "broadcast" in j ? j : undefined;
  }
}

function bundleOf(x: Displayable | Figure | string): Record<string, unknown> {
  if (typeof x === "string") return { "text/markdown": x, "text/plain": x };
  const b = (x as Displayable)[DISPLAY]();
  return "text/plain" in b ? b : { ...b, "text/plain": String(b["text/markdown"] ?? "") };
}

async function publish(bundle: Record<string, unknown>, id?: string, update = false) {
  const j = jupyter();
  if (j) {
    try {
      await j.display(bundle, { raw: true, ...(id ? { display_id: id, update } : {}) });
      return;
    } catch {
      // not in a kernel after all: fall through to plain text
    }
  }
  console.log(String(bundle["text/plain"] ?? ""));
}

/** Shows a figure, a displayable object or a markdown string in the notebook (plain text elsewhere). */
export async function show(x: Displayable | Figure | string): Promise<void> {
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
  /** Marks the work finished and leaves a final summary line. */
  done(note?: string): Promise<void>;
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * An updating progress line for long cells (`display_id` + `update` in the kernel, at most one
 * redraw every `minIntervalMs`; a single line at the end outside the kernel):
 * `label: done/total (rate/s, ETA …)`.
 */
export function progress(label: string, total: number, minIntervalMs = 500): Progress {
  const id = `ghostlab-progress-${Date.now()}-${nextId++}`;
  const t0 = performance.now();
  let last = -Infinity;
  let shown = false;
  const line = (done: number, note?: string, final = false) => {
    const el = (performance.now() - t0) / 1000;
    const rate = done / Math.max(el, 1e-9);
    const eta = final ? `${fmtSeconds(el)}` : `ETA ${fmtSeconds((total - done) / rate)}`;
    return `${label}: ${done}/${total} (${rate.toPrecision(3)}/s, ${eta})${
      note ? ` — ${note}` : ""
    }`;
  };
  const inKernel = jupyter() !== undefined;
  return {
    async update(done, note) {
      const now = performance.now();
      if (!inKernel || now - last < minIntervalMs) return;
      last = now;
      const text = line(done, note);
      await publish({ "text/plain": text }, id, shown);
      shown = true;
    },
    async done(note) {
      const text = line(total, note, true);
      if (inKernel) await publish({ "text/plain": text }, id, shown);
      else console.log(text);
      shown = true;
    },
  };
}
