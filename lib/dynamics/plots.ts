/**
 * Plot builders of the slow-point toolbox (lib/plot style: each returns a {@linkcode Figure}):
 * the 2-D log-speed map with direction arrows, trajectories, slow points by class and read-out
 * decision regions (docs/ghost-mechanism.md §2.4, Fig 4); 3-D PCA trajectories with slow points
 * coloured by log speed (§2.7, Fig 5); the 1-D flow with its slow points (§2.1, Fig 3).
 *
 * @module
 */

import { type Figure, figure, hline, line, type Trace, vline } from "../plot/mod.ts";
import { linspace } from "../numeric.ts";
import { requireFinite, requireInteger } from "../validate.ts";
import type { SlowPoint } from "./finder.ts";
import type { Pca } from "./pca.ts";
import type { DynamicalSystem } from "./system.ts";

/** A trajectory in the plotted coordinates: x, y (and z for 3-D) per time step. */
export interface PlotTrajectory {
  /** Row-major steps×dim states in the system's coordinates. */
  states: ArrayLike<number>;
  name?: string;
  color?: string;
}

/** Options of {@linkcode speedMapFigure}. */
export interface SpeedMapOptions {
  /** Plotted box [x1 min, x1 max] × [x2 min, x2 max]. */
  range: { x: [number, number]; y: [number, number] };
  /** Grid points per axis for the log-speed image (default 200). */
  n?: number;
  /** Arrows per axis (default 15; 0 = none). */
  arrows?: number;
  /** Colour limits of log10 ‖F‖ (default [−1, 1], as the paper's Fig 4). */
  logSpeedRange?: [number, number];
  /** Trajectories to overlay (2-D states). */
  trajectories?: PlotTrajectory[];
  /** Slow points to mark by class (one marker symbol and colour per class). */
  points?: SlowPoint[];
  /**
   * Read-out decision regions: Z(x) = w·x + b0 shaded between consecutive `levels`
   * (docs/ghost-mechanism.md §2.4, e.g. DCDT levels [−0.55, 0, 0.55]).
   */
  readout?: { w: [number, number]; b0: number; levels: number[] };
  title?: string;
  height?: number;
}

/** Marker symbol and colour for each slow-point class. */
const SLOW_POINT_STYLE: Record<SlowPoint["kind"], { symbol: string; color: string }> = {
  stable: { symbol: "circle", color: "black" },
  unstable: { symbol: "circle-open", color: "black" },
  saddle: { symbol: "x", color: "purple" },
  ghost: { symbol: "star", color: "red" },
  slow: { symbol: "diamond-open", color: "gray" },
};

/**
 * The 2-D flow map: log10 ‖F(x)‖ image, normalised direction arrows, trajectories, slow points by
 * class, read-out decision regions (docs/ghost-mechanism.md §2.4).
 *
 * @throws {RangeError} if the system is not 2-D or the range / grid are invalid.
 */
export function speedMapFigure(system: DynamicalSystem, opts: SpeedMapOptions): Figure {
  if (system.dim !== 2) {
    throw new RangeError(
      `speedMapFigure needs a 2-D system, got dim ${system.dim} (${system.label})`,
    );
  }
  const { x: xr, y: yr } = opts.range ?? ({} as SpeedMapOptions["range"]);
  checkRange("range.x", xr);
  checkRange("range.y", yr);
  const n = opts.n ?? 200, nArrows = opts.arrows ?? 15;
  requireInteger("n", n, 2);
  requireInteger("arrows", nArrows, 0);
  const [zmin, zmax] = opts.logSpeedRange ?? [-1, 1];
  const xs = linspace(xr[0], xr[1], n), ys = linspace(yr[0], yr[1], n);
  const F = new Float64Array(2), pt = new Float64Array(2);
  const z = ys.map((y) =>
    xs.map((x) => {
      pt[0] = x;
      pt[1] = y;
      system.flow(pt, F);
      return Math.log10(Math.hypot(F[0], F[1]));
    })
  );
  const traces: Trace[] = [{
    type: "heatmap",
    x: xs,
    y: ys,
    z,
    zmin,
    zmax,
    colorscale: "Viridis",
    opacity: 0.6,
    colorbar: { title: "log₁₀ ‖F‖" },
    name: "log₁₀ speed",
    hovertemplate: "x₁ %{x:.3f}<br>x₂ %{y:.3f}<br>log₁₀‖F‖ %{z:.2f}<extra></extra>",
  }];
  if (nArrows > 0) {
    // normalised direction arrows: a shaft and two barbs per grid point, segments split by NaN
    const ax = linspace(xr[0], xr[1], nArrows + 2).slice(1, -1);
    const ay = linspace(yr[0], yr[1], nArrows + 2).slice(1, -1);
    const Lx = (0.4 * (xr[1] - xr[0])) / nArrows, Ly = (0.4 * (yr[1] - yr[0])) / nArrows;
    const X: number[] = [], Y: number[] = [];
    for (const y of ay) {
      for (const x of ax) {
        pt[0] = x;
        pt[1] = y;
        system.flow(pt, F);
        const sx = F[0] / Lx, sy = F[1] / Ly, norm = Math.hypot(sx, sy);
        if (!(norm > 0)) continue;
        const ux = sx / norm, uy = sy / norm; // unit direction in screen-scaled units
        const hx = x + ux * Lx, hy = y + uy * Ly;
        const barb = (c: number, s: number) => [
          hx - 0.35 * Lx * (ux * c - uy * s),
          hy - 0.35 * Ly * (uy * c + ux * s),
        ];
        const [b1x, b1y] = barb(Math.cos(0.5), Math.sin(0.5));
        const [b2x, b2y] = barb(Math.cos(-0.5), Math.sin(-0.5));
        X.push(x, hx, NaN, b1x, hx, b2x, NaN);
        Y.push(y, hy, NaN, b1y, hy, b2y, NaN);
      }
    }
    traces.push(line(X, Y, {
      name: "direction",
      color: "rgba(255,255,255,0.8)",
      width: 1,
      extra: { hoverinfo: "skip" },
    }));
  }
  if (opts.readout) {
    const { w, b0, levels } = opts.readout;
    requireFinite("readout.b0", b0);
    w.forEach((v, i) => requireFinite(`readout.w[${i}]`, v));
    const Z = ys.map((y) => xs.map((x) => w[0] * x + w[1] * y + b0));
    levels.forEach((lv, i) => {
      requireFinite(`readout.levels[${i}]`, lv);
      traces.push({
        type: "contour",
        x: xs,
        y: ys,
        z: Z,
        contours: { coloring: "lines", start: lv, end: lv, size: 1, showlabels: true },
        line: { color: "darkorange", dash: lv === 0 ? "solid" : "dash", width: 2 },
        showscale: false,
        name: `read-out = ${lv}`,
        showlegend: i === 0,
        hoverinfo: "skip",
      });
    });
  }
  for (const tr of opts.trajectories ?? []) traces.push(trajectoryTrace(tr, 2));
  traces.push(...pointTraces(opts.points ?? [], 2));
  return figure(traces, {
    title: opts.title ?? `Speed map: ${system.label}`,
    xaxis: { title: "κ₁", range: xr },
    yaxis: { title: "κ₂", range: yr },
    legend: { orientation: "h", y: -0.15 },
  }, { height: opts.height ?? 520 });
}

function checkRange(name: string, r: [number, number] | undefined): void {
  if (!Array.isArray(r) || r.length !== 2 || !(r[0] < r[1])) {
    throw new RangeError(`${name} must be [min, max] with min < max, got ${JSON.stringify(r)}`);
  }
  requireFinite(`${name}[0]`, r[0]);
  requireFinite(`${name}[1]`, r[1]);
}

function trajectoryTrace(tr: PlotTrajectory, dim: 2): Trace {
  if (tr.states.length % dim !== 0) {
    throw new RangeError(
      `trajectory ${tr.name ?? ""} must be row-major steps×${dim}, got length ${tr.states.length}`,
    );
  }
  const m = tr.states.length / dim;
  const x = Array.from({ length: m }, (_, t) => tr.states[t * dim]);
  const y = Array.from({ length: m }, (_, t) => tr.states[t * dim + 1]);
  return {
    ...line(x, y, { name: tr.name, color: tr.color, width: 1.5 }),
    mode: "lines+markers",
    marker: { size: 4, color: tr.color },
  };
}

/** One marker trace per slow-point class present (2-D coordinates x[0], x[1]). */
function pointTraces(points: SlowPoint[], _dim: 2): Trace[] {
  const kinds = [...new Set(points.map((p) => p.kind))];
  return kinds.map((kind) => {
    const ps = points.filter((p) => p.kind === kind), st = SLOW_POINT_STYLE[kind];
    return {
      type: "scatter",
      mode: "markers",
      x: ps.map((p) => p.x[0]),
      y: ps.map((p) => p.x[1]),
      name: kind === "slow" ? "slow point" : kind === "ghost" ? "ghost" : `${kind} fixed point`,
      marker: { symbol: st.symbol, color: st.color, size: 12, line: { width: 2, color: st.color } },
      text: ps.map((p) => pointLabel(p)),
      hovertemplate: "%{text}<extra></extra>",
    };
  });
}

function pointLabel(p: SlowPoint): string {
  const lam = p.eigIm[p.slowIndex] === 0
    ? p.eigRe[p.slowIndex].toExponential(2)
    : `${p.eigRe[p.slowIndex].toExponential(2)} ± ${
      Math.abs(p.eigIm[p.slowIndex]).toExponential(2)
    }i`;
  return `${p.kind}: ‖F‖ = ${p.speed.toExponential(2)}, slow λ = ${lam}` +
    (p.passageTime !== undefined ? `, passage ≈ ${p.passageTime.toPrecision(3)}` : "");
}

/** Options of {@linkcode pcaTrajectoriesFigure}. */
export interface PcaFigureOptions {
  /** Colour limits of log10 ‖F‖ for the slow points (default [−6, 0], as the paper's Fig 5). */
  logSpeedRange?: [number, number];
  title?: string;
  height?: number;
}

/**
 * 3-D trajectories in the first three principal components, slow points as diamonds coloured by
 * log10 ‖F‖ (docs/ghost-mechanism.md §2.7).
 *
 * @throws {RangeError} if the PCA has fewer than 3 components or a state has the wrong length.
 */
export function pcaTrajectoriesFigure(
  model: Pca,
  trajectories: PlotTrajectory[],
  points: SlowPoint[],
  opts: PcaFigureOptions = {},
): Figure {
  if (model.k < 3) {
    throw new RangeError(`pcaTrajectoriesFigure needs k >= 3 components, got ${model.k}`);
  }
  const [cmin, cmax] = opts.logSpeedRange ?? [-6, 0];
  const k = model.k;
  const traces: Trace[] = trajectories.map((tr, i) => {
    const sc = model.project(tr.states), m = sc.length / k;
    return {
      type: "scatter3d",
      mode: "lines",
      x: Array.from({ length: m }, (_, t) => sc[t * k]),
      y: Array.from({ length: m }, (_, t) => sc[t * k + 1]),
      z: Array.from({ length: m }, (_, t) => sc[t * k + 2]),
      name: tr.name ?? `trial ${i + 1}`,
      line: { width: 4, color: tr.color },
    };
  });
  if (points.length > 0) {
    points.forEach((p, i) => {
      if (p.x.length !== model.dim) {
        throw new RangeError(
          `points[${i}].x must have length dim = ${model.dim}, got ${p.x.length}`,
        );
      }
    });
    const sc = model.project(points.flatMap((p) => p.x));
    traces.push({
      type: "scatter3d",
      mode: "markers",
      x: points.map((_, i) => sc[i * k]),
      y: points.map((_, i) => sc[i * k + 1]),
      z: points.map((_, i) => sc[i * k + 2]),
      name: "slow points",
      marker: {
        symbol: "diamond",
        size: 6,
        color: points.map((p) => Math.log10(p.speed)),
        colorscale: "RdBu",
        reversescale: true,
        cmin,
        cmax,
        colorbar: { title: "log₁₀ ‖F‖", x: 1.05 },
      },
      text: points.map((p) =>
        pointLabel(p) +
        (p.distanceToVisited !== undefined
          ? `, distance ${p.distanceToVisited.toPrecision(3)}`
          : "")
      ),
      hovertemplate: "%{text}<extra></extra>",
    });
  }
  const pc = (c: number) => `PC${c + 1} (${(100 * model.explained[c]).toFixed(1)}%)`;
  return figure(traces, {
    title: opts.title ?? "Trajectories and slow points (PCA)",
    scene: { xaxis: { title: pc(0) }, yaxis: { title: pc(1) }, zaxis: { title: pc(2) } },
    legend: { orientation: "h", y: -0.05 },
  }, { height: opts.height ?? 560 });
}

/**
 * The 1-D flow F(x) on [min, max] with y = 0, its slow points by class, and optional vertical
 * marks (e.g. the read-out threshold κ = 1 and κ0; docs/ghost-mechanism.md §2.1, Fig 3).
 *
 * @throws {RangeError} if the system is not 1-D or the grid is invalid.
 */
export function flowLineFigure(
  system: DynamicalSystem,
  opts: {
    range: [number, number];
    n?: number;
    points?: SlowPoint[];
    marks?: { x: number; name: string; color?: string }[];
    title?: string;
    height?: number;
  },
): Figure {
  if (system.dim !== 1) {
    throw new RangeError(
      `flowLineFigure needs a 1-D system, got dim ${system.dim} (${system.label})`,
    );
  }
  checkRange("range", opts.range);
  const n = opts.n ?? 600;
  requireInteger("n", n, 2);
  const xs = linspace(opts.range[0], opts.range[1], n), pt = new Float64Array(1);
  const F = xs.map((x) => {
    pt[0] = x;
    return system.flow(pt)[0];
  });
  const traces: Trace[] = [line(xs, F, { name: "F(x)", color: "#1f77b4" })];
  const pts = opts.points ?? [];
  for (const kind of [...new Set(pts.map((p) => p.kind))]) {
    const ps = pts.filter((p) => p.kind === kind), st = SLOW_POINT_STYLE[kind];
    traces.push({
      type: "scatter",
      mode: "markers",
      x: ps.map((p) => p.x[0]),
      y: ps.map((p) => system.flow(p.x)[0]),
      name: kind,
      marker: { symbol: st.symbol, color: st.color, size: 12, line: { width: 2, color: st.color } },
      text: ps.map(pointLabel),
      hovertemplate: "%{text}<extra></extra>",
    });
  }
  const shapes = [hline(0)];
  for (const m of opts.marks ?? []) {
    requireFinite(`marks x (${m.name})`, m.x);
    shapes.push(vline(m.x, m.color ?? "orange"));
    traces.push({
      ...line([m.x, m.x], [0, 0], { name: m.name, color: m.color ?? "orange", dash: "dash" }),
    });
  }
  return figure(traces, {
    title: opts.title ?? `Flow: ${system.label}`,
    xaxis: { title: "x" },
    yaxis: { title: "F(x)" },
    shapes,
  }, { height: opts.height ?? 400 });
}
