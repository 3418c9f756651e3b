/**
 * Plotly figure builders and their Jupyter display bundle.
 *
 * A {@linkcode Figure} is plain data (Plotly traces + layout) plus a `Symbol.for("Jupyter.display")`
 * method, so it displays in the Deno kernel as the last expression of a cell (or through
 * `Deno.jupyter.display`) and can be built and tested outside the kernel. The bundle carries
 *
 * - `application/vnd.plotly.v1+json` for front ends with a Plotly renderer (JupyterLab),
 * - `text/html`: a `<div>` and a small script that draws it with the page's `Plotly` global (the HTML
 *   report adds plotly.js once per page) or, in the classic Notebook UI, loads plotly.js through
 *   require.js from the project's nbextension (`deno task notebook` installs it),
 * - `text/plain`: a one-line summary.
 *
 * plotly.js itself never goes through the kernel.
 *
 * @module
 */

/** A Plotly trace (any trace type); numeric arrays may be typed arrays. */
export type Trace = Record<string, unknown>;
/** A Plotly layout object. */
export type PlotLayout = Record<string, unknown>;

/** The MIME bundle a figure displays as. */
export type DisplayBundle = {
  "application/vnd.plotly.v1+json": { data: Trace[]; layout: PlotLayout };
  "text/html": string;
  "text/plain": string;
};

/** The name of the nbextension file that serves plotly.js to the classic Notebook UI. */
export const NBEXTENSION_PLOTLY = "ghostlab-plotly.min";

import { DISPLAY } from "../display.ts";

/** A Plotly figure that displays itself in Jupyter. */
export interface Figure {
  /** Plotly traces, already JSON-safe (typed arrays converted, non-finite values → null). */
  readonly data: Trace[];
  /** Plotly layout. */
  readonly layout: PlotLayout;
  /** The Jupyter MIME bundle (see the module docs). */
  [DISPLAY](): DisplayBundle;
}

/** Options for {@linkcode figure}. */
export interface FigureOptions {
  /** Height of the figure in pixels (default 420). */
  height?: number;
  /** Significant digits kept for numbers in the display bundle (default 7). */
  digits?: number;
}

let counter = 0;

/** Converts typed arrays to plain arrays and non-finite numbers to null, recursively. */
function jsonSafe(v: unknown, digits: number): unknown {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return null;
    return Number.isInteger(v) ? v : Number(v.toPrecision(digits));
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Array.from(v as unknown as ArrayLike<number>, (x) => jsonSafe(x, digits));
  }
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, digits));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = jsonSafe(x, digits);
    return out;
  }
  return v;
}

/**
 * plotly.js 3 dropped the string shorthand for titles (`title: "x"` must be `title: { text: "x" }`):
 * converts every string-valued `title` (layout, axes, colour bars, legends, traces) to the object form.
 */
function titleObjects(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(titleObjects);
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = k === "title" && typeof x === "string" ? { text: x } : titleObjects(x);
    }
    return out;
  }
  return v;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** Escapes `</` so embedded JSON cannot close the surrounding `<script>` element. */
function scriptJson(x: unknown): string {
  return JSON.stringify(x).replaceAll("</", "<\\/");
}

/** Title text of a layout, whether given as a string or as `{ text }`. */
function titleOf(layout: PlotLayout): string {
  const t = layout.title;
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") {
    return (t as { text: string }).text;
  }
  return "untitled";
}

/**
 * Builds a Plotly figure.
 *
 * @param data Plotly traces (typed arrays are fine).
 * @param layout Plotly layout; white background, margins and height are merged in.
 * @returns a {@linkcode Figure} that renders in Jupyter, in the HTML report and in tests.
 */
export function figure(data: Trace[], layout: PlotLayout = {}, opts: FigureOptions = {}): Figure {
  const digits = opts.digits ?? 7;
  const height = opts.height ?? (layout.height as number | undefined) ?? 420;
  const safeData = jsonSafe(titleObjects(data), digits) as Trace[];
  const safeLayout = jsonSafe(
    titleObjects({
      paper_bgcolor: "white",
      plot_bgcolor: "white",
      margin: { l: 70, r: 30, t: 60, b: 60 },
      ...layout,
      height,
    }),
    digits,
  ) as PlotLayout;
  return {
    data: safeData,
    layout: safeLayout,
    [DISPLAY](): DisplayBundle {
      const spec = { data: safeData, layout: safeLayout };
      const json = scriptJson(spec);
      const id = `ghostlab-fig-${fnv1a(json)}-${(counter++).toString(36)}`;
      const config = scriptJson({ responsive: true, displaylogo: false });
      const html = `<div id="${id}" class="ghostlab-figure" data-traces="${safeData.length}" ` +
        `style="width:100%;height:${height}px"></div>\n<script>(function(){` +
        `var spec=${json};var el=document.getElementById(${JSON.stringify(id)});` +
        `function draw(P){P.newPlot(el,spec.data,spec.layout,${config});}` +
        `if(window.Plotly){draw(window.Plotly);}else if(window.require&&window.requirejs){` +
        `var base=(document.body&&document.body.getAttribute("data-base-url"))||"/";` +
        // plotly.js 3 is not an AMD module: it sets window.Plotly, hence the shim and fallback.
        `window.requirejs.config({paths:{"ghostlab-plotly":base+"nbextensions/${NBEXTENSION_PLOTLY}"},` +
        `shim:{"ghostlab-plotly":{exports:"Plotly"}}});` +
        `window.require(["ghostlab-plotly"],function(P){P=P||window.Plotly;window.Plotly=P;draw(P);});` +
        `}else{el.textContent="(plotly.js is not loaded on this page: ${titleOf(safeLayout)})";}` +
        `})();</script>`;
      return {
        "application/vnd.plotly.v1+json": spec,
        "text/html": html,
        "text/plain": `Figure: ${titleOf(safeLayout)} (${safeData.length} traces)`,
      };
    },
  };
}

/** Options shared by the trace helpers. */
export interface TraceOptions {
  /** Legend name. */
  name?: string;
  /** Line/marker colour (any CSS colour). */
  color?: string;
  /** Line dash style (`"dash"`, `"dot"`, …). */
  dash?: string;
  /** Line width in pixels. */
  width?: number;
  /** Marker size in pixels. */
  size?: number;
  /** Whether the trace appears in the legend (default true). */
  showlegend?: boolean;
  /** Any other Plotly trace attributes, merged last. */
  extra?: Trace;
}

/** A scatter trace y(x) in `mode` with its `style` (`line` or `marker`) and the common options. */
function scatter(
  mode: "lines" | "markers",
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: TraceOptions,
  style: Trace,
): Trace {
  return {
    type: "scatter",
    mode,
    x,
    y,
    name: opts.name,
    showlegend: opts.showlegend,
    ...style,
    ...opts.extra,
  };
}

/** A line trace y(x). */
export function line(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: TraceOptions = {},
): Trace {
  return scatter("lines", x, y, opts, {
    line: { color: opts.color, dash: opts.dash, width: opts.width ?? 2 },
  });
}

/** A marker (scatter) trace y(x). */
export function markers(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: TraceOptions = {},
): Trace {
  return scatter("markers", x, y, opts, { marker: { color: opts.color, size: opts.size ?? 6 } });
}

/** A line with a shaded ±err band (e.g. mean ± SEM); returns two traces. */
export function band(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  err: ArrayLike<number>,
  opts: TraceOptions = {},
): Trace[] {
  const xs = Array.from(x);
  const lo = Array.from(y, (v, i) => v - err[i]);
  const hi = Array.from(y, (v, i) => v + err[i]);
  const color = opts.color ?? "#1f77b4";
  return [
    {
      type: "scatter",
      mode: "lines",
      x: [...xs, ...xs.slice().reverse()],
      y: [...hi, ...lo.reverse()],
      fill: "toself",
      fillcolor: color,
      opacity: 0.2,
      line: { width: 0, color },
      hoverinfo: "skip",
      showlegend: false,
      legendgroup: opts.name,
    },
    { ...line(x, y, { ...opts, color }), legendgroup: opts.name },
  ];
}

/** A vertical line shape at x (layout `shapes` entry) spanning the plot height. */
export function vline(x: number, color = "orange", dash = "dash"): Record<string, unknown> {
  return {
    type: "line",
    x0: x,
    x1: x,
    yref: "paper",
    y0: 0,
    y1: 1,
    line: { color, dash, width: 1.5 },
  };
}

/** A horizontal line shape at y (layout `shapes` entry) spanning the plot width. */
export function hline(y: number, color = "black", dash = "dash"): Record<string, unknown> {
  return {
    type: "line",
    y0: y,
    y1: y,
    xref: "paper",
    x0: 0,
    x1: 1,
    line: { color, dash, width: 1 },
  };
}

/**
 * `n` colours sampled evenly from a named Plotly sequential colour scale (`"Viridis"`, `"Reds"`,
 * `"YlOrRd"` for autumn-like, `"Cividis"`), as `rgb(...)` strings.
 */
export function colors(n: number, scale: keyof typeof SCALES = "Viridis"): string[] {
  const stops = SCALES[scale];
  return Array.from({ length: n }, (_, i) => {
    const t = n === 1 ? 0.5 : i / (n - 1);
    const pos = t * (stops.length - 1);
    const k = Math.min(Math.floor(pos), stops.length - 2);
    const f = pos - k;
    const c = stops[k].map((a, j) => Math.round(a + f * (stops[k + 1][j] - a)));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  });
}

const SCALES = {
  Viridis: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  Reds: [[254, 224, 210], [252, 146, 114], [222, 45, 38], [165, 15, 21]],
  Blues: [[198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]],
  YlOrRd: [[255, 237, 160], [254, 178, 76], [240, 59, 32], [189, 0, 38]],
  Cividis: [[0, 34, 78], [87, 92, 109], [166, 157, 117], [253, 234, 69]],
} as const;
