/**
 * Figure builders for the canonical-model notebooks (01 ghost points, 02 critical learning rate).
 * Each takes plain result objects from this folder and returns a displayable Plotly
 * {@linkcode Figure}; none of them computes model quantities beyond closed-form overlays.
 *
 * @module
 */

import {
  colors,
  type Figure,
  figure,
  hline,
  line,
  markers,
  type Trace,
  vline,
} from "../plot/mod.ts";
import { flow, flowPoints, noLearningBoundary, passageTime, rStar } from "./analytic.ts";
import type { DescentHistory, SweepResult } from "./learning.ts";
import type { LogLogFit, SimulatedCriticalLaw, SimulatedCriticalMeasurement } from "./critical.ts";
import { flowTrajectory, type Landscape, type PassageStudy } from "./simulate.ts";
import { linspace } from "../numeric.ts";

const ORANGE = "#ff7f0e";
const GREY = "#7f7f7f";

/**
 * Traces of f(x) = x² + r on [−1, 1] with its fixed points / ghost, for subplot `axis` ("" or "2").
 */
function flowPanel(r: number, axis: "" | "2", showlegend: boolean): Trace[] {
  const xs = linspace(-1, 1, 201);
  const ax = { xaxis: `x${axis}`, yaxis: `y${axis}` };
  const p = flowPoints(r);
  const out: Trace[] = [
    line(xs, xs.map((x) => flow(x, r)), {
      name: "f(x) = x² + r",
      color: "#1f77b4",
      showlegend: showlegend && axis === "",
      extra: { ...ax, legendgroup: "f" },
    }),
    line([-1, 1], [0, 0], {
      color: "black",
      width: 1,
      showlegend: false,
      extra: { ...ax, hoverinfo: "skip" },
    }),
  ];
  if (p.stable !== null && p.unstable !== null) {
    out.push(markers([p.stable], [0], {
      name: "stable fixed point",
      color: "black",
      size: 11,
      showlegend,
      extra: { ...ax, legendgroup: "s" },
    }));
    out.push(markers([p.unstable], [0], {
      name: "unstable fixed point",
      color: "black",
      size: 11,
      showlegend,
      extra: {
        ...ax,
        legendgroup: "u",
        marker: { color: "white", size: 11, line: { color: "black", width: 2 } },
      },
    }));
  } else {
    out.push(markers([0], [r], {
      name: "ghost (slowest point, speed r)",
      color: "#d62728",
      size: 11,
      showlegend,
      extra: { ...ax, legendgroup: "g", marker: { color: "#d62728", size: 11, symbol: "diamond" } },
    }));
  }
  return out;
}

/**
 * Figure 1: f(x) = x² + r for r = +0.5 (no fixed point, a ghost at x = 0) and r = −0.5 (a stable
 * and an unstable fixed point at ∓√0.5), x ∈ [−1, 1], y ∈ [−1, 2] (docs/ghost-mechanism.md §3
 * Figure 1).
 */
export function ghostPointsFigure(rPos = 0.5, rNeg = -0.5): Figure {
  const traces = [...flowPanel(rPos, "", true), ...flowPanel(rNeg, "2", true)];
  return figure(traces, {
    title: { text: "Figure 1 — ghost (r > 0) vs fixed points (r < 0) of dx/dt = x² + r" },
    xaxis: { domain: [0, 0.45], range: [-1, 1], title: { text: "x" } },
    yaxis: { range: [-1, 2], title: { text: "dx/dt" } },
    xaxis2: { domain: [0.55, 1], range: [-1, 1], title: { text: "x" }, anchor: "y2" },
    yaxis2: { range: [-1, 2], anchor: "x2" },
    annotations: [
      { text: `r = ${rPos}`, xref: "paper", yref: "paper", x: 0.2, y: 1.04, showarrow: false },
      { text: `r = ${rNeg}`, xref: "paper", yref: "paper", x: 0.8, y: 1.04, showarrow: false },
    ],
    legend: { orientation: "h", y: -0.2 },
  }, { height: 420 });
}

/**
 * Passage-time law (docs/ghost-mechanism.md §1.1–§1.2): measured bottleneck passage (−L → L) and
 * blow-up (0 → L) times against π/√r and π/(2√r), log-log over the decades of r in the study.
 */
export function passageTimeFigure(study: PassageStudy): Figure {
  return figure([
    markers(study.r, study.passage, {
      name: "measured passage −L → +L",
      color: "#1f77b4",
      size: 8,
    }),
    line(study.r, study.passageLaw, { name: "π/√r", color: "#1f77b4", dash: "dash" }),
    markers(study.r, study.blowUp, { name: "measured time 0 → +L", color: "#d62728", size: 8 }),
    line(study.r, study.blowUpLaw, { name: "t* = π/(2√r)", color: "#d62728", dash: "dash" }),
  ], {
    title: { text: `Time spent near the ghost vs r (L = ${study.L.toExponential(0)})` },
    xaxis: { type: "log", title: { text: "r" }, exponentformat: "power" },
    yaxis: { type: "log", title: { text: "time" }, exponentformat: "power" },
  });
}

/**
 * Interactive view of the canonical form: a slider over r updates f(x) = x² + r with its fixed
 * points / ghost (left) and the trajectory x(t) from x(0) = x0 (right). Works in static HTML (the
 * slider uses Plotly's `update` method, no kernel needed). The slider starts at `initial` (an index
 * into rValues; default the first r ≥ 0.05).
 */
export function interactiveGhostFigure(
  rValues: number[],
  opts: { x0?: number; tMax?: number; initial?: number } = {},
): Figure {
  const x0 = opts.x0 ?? -1;
  const tMax = opts.tMax ?? 30;
  const xs = linspace(-1.5, 1.5, 151);
  const state = (r: number) => {
    const p = flowPoints(r);
    const traj = flowTrajectory(r, x0, tMax, { samples: 301, cap: 10 });
    const fixedX = p.ghost === null ? [p.stable as number, p.unstable as number] : [];
    return {
      x: [xs, fixedX, p.ghost === null ? [] : [0], traj.t],
      y: [
        xs.map((x) => flow(x, r)),
        fixedX.map(() => 0),
        p.ghost === null ? [] : [r],
        traj.x.map((v) => (v >= 10 ? NaN : v)),
      ],
      title: r > 0
        ? `r = ${r}: ghost at x = 0, bottleneck passage π/√r = ${passageTime(r).toFixed(2)}`
        : r === 0
        ? "r = 0: saddle-node, fixed points merge at x = 0"
        : `r = ${r}: fixed points at ±${
          Math.sqrt(-r).toFixed(3)
        }, trajectory stops at the stable one`,
    };
  };
  const i0 = opts.initial ?? Math.max(0, rValues.findIndex((r) => r >= 0.05));
  const s0 = state(rValues[i0]);
  const ax2 = { xaxis: "x2", yaxis: "y2" };
  const traces: Trace[] = [
    line(s0.x[0], s0.y[0], { name: "f(x) = x² + r", color: "#1f77b4" }),
    markers(s0.x[1], s0.y[1], { name: "fixed points", color: "black", size: 10 }),
    markers(s0.x[2], s0.y[2], {
      name: "ghost",
      extra: { marker: { color: "#d62728", size: 11, symbol: "diamond" } },
    }),
    line(s0.x[3], s0.y[3], { name: `x(t), x(0) = ${x0}`, color: "#2ca02c", extra: ax2 }),
    line([-1.5, 1.5], [0, 0], { color: "black", width: 1, showlegend: false }),
  ];
  const steps = rValues.map((r) => {
    const s = state(r);
    return {
      label: String(r),
      method: "update",
      args: [{ x: s.x, y: s.y }, { "title.text": s.title }, [0, 1, 2, 3]],
    };
  });
  return figure(traces, {
    title: { text: s0.title },
    xaxis: { domain: [0, 0.45], range: [-1.5, 1.5], title: { text: "x" } },
    yaxis: { range: [-1, 2.5], title: { text: "dx/dt" } },
    xaxis2: { domain: [0.55, 1], range: [0, tMax], title: { text: "t" }, anchor: "y2" },
    yaxis2: { range: [-1.5, 3], title: { text: "x(t)" }, anchor: "x2" },
    sliders: [{
      active: i0,
      currentvalue: { prefix: "r = " },
      pad: { t: 50 },
      steps,
    }],
    legend: { orientation: "h", y: 1.12, x: 0 },
    margin: { l: 70, r: 30, t: 90, b: 40 },
  }, { height: 520 });
}

/**
 * Figure 2, loss landscape (docs/ghost-mechanism.md §1.4 and §3 Figure 2): analytic c → ∞ L/T
 * (black) and simulated Euler landscapes (markers, one per confidence), with r* (orange dashed) and
 * r* / 4 (grey dotted).
 */
export function landscapeFigure(
  analytic: { r: number[]; loss: number[] },
  simulated: { c: number; landscape: Landscape }[],
  T: number,
): Figure {
  const cs = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b"];
  return figure([
    line(analytic.r, analytic.loss, { name: "analytic (c → ∞)", color: "black" }),
    ...simulated.map((s, i) =>
      markers(s.landscape.r, s.landscape.loss, {
        name: `simulated, c = ${s.c}`,
        color: cs[i % cs.length],
        size: 5,
      })
    ),
  ], {
    title: { text: `Loss landscape of the delayed-activation task (T = ${T})` },
    xaxis: { title: { text: "r" }, exponentformat: "e" },
    yaxis: { title: { text: "L / T" } },
    shapes: [vline(rStar(T), ORANGE, "dash"), vline(noLearningBoundary(T), GREY, "dot")],
    annotations: [
      { text: "r*", x: rStar(T), yref: "paper", y: 1.04, showarrow: false },
      { text: "r*/4", x: noLearningBoundary(T), yref: "paper", y: 1.04, showarrow: false },
    ],
  });
}

function historyName(h: DescentHistory): string {
  return `α = ${h.alpha.toExponential(0)}${
    h.gradient === "simulated" ? " (simulated-loss grad)" : ""
  }`;
}

/** One colour per distinct learning rate (analytic and simulated runs at the same α share it). */
function alphaColors(histories: DescentHistory[]): string[] {
  const cs = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b"];
  const seen: number[] = [];
  return histories.map((h) => {
    let i = seen.indexOf(h.alpha);
    if (i < 0) i = seen.push(h.alpha) - 1;
    return cs[i % cs.length];
  });
}

/** One line per gradient-descent history (colour by α, dotted for the simulated gradient). */
function historyTraces(histories: DescentHistory[], key: "loss" | "r"): Trace[] {
  const cs = alphaColors(histories);
  return histories.map((h, i) =>
    line(h.epoch, h[key], {
      name: historyName(h),
      color: cs[i],
      dash: h.gradient === "simulated" ? "dot" : undefined,
    })
  );
}

/**
 * Figure 2, loss vs epoch: L/T of each gradient-descent history (docs/ghost-mechanism.md §3 Figure
 * 2).
 */
export function descentLossFigure(histories: DescentHistory[]): Figure {
  return figure(
    historyTraces(histories, "loss"),
    {
      title: { text: "Gradient descent on r: loss" },
      xaxis: { title: { text: "epoch" } },
      yaxis: { title: { text: "L / T" } },
    },
  );
}

/**
 * Figure 2, r vs epoch (log-y) with r* (solid) and r* / 4 (dashed) (docs/ghost-mechanism.md §3
 * Figure 2).
 */
export function rTrajectoriesFigure(histories: DescentHistory[], T: number): Figure {
  return figure(
    historyTraces(histories, "r"),
    {
      title: { text: "Gradient descent on r: parameter" },
      xaxis: { title: { text: "epoch" } },
      yaxis: { type: "log", title: { text: "r" }, exponentformat: "e" },
      shapes: [hline(rStar(T), "black", "solid"), hline(noLearningBoundary(T), "black", "dash")],
      annotations: [
        { text: "r*", y: Math.log10(rStar(T)) },
        { text: "r*/4", y: Math.log10(noLearningBoundary(T)) },
      ].map((a) => ({ ...a, xref: "paper", x: 1.01, xanchor: "left", showarrow: false })),
    },
  );
}

/**
 * Figure 2d: loss (log) vs learning rate (log), mean ± SEM over the starts, one curve per recorded
 * epoch (viridis), with the analytic α_c marked (docs/ghost-mechanism.md §3 Figure 2).
 */
export function sweepFigure(sweep: SweepResult): Figure {
  const cols = colors(sweep.recordEpochs.length, "Viridis");
  return figure(
    sweep.recordEpochs.map((e, i) =>
      line(sweep.alphas, sweep.mean[i], {
        name: `epoch ${e}`,
        color: cols[i],
        extra: {
          mode: "lines+markers",
          marker: { size: 4, color: cols[i] },
          error_y: { type: "data", array: sweep.sem[i], visible: true, thickness: 1, width: 0 },
        },
      })
    ),
    {
      title: {
        text: `Learning-rate sweep (T = ${sweep.T}, ${sweep.starts} noisy starts per α)`,
      },
      xaxis: { type: "log", title: { text: "learning rate α" }, exponentformat: "power" },
      yaxis: { type: "log", title: { text: "L / T" }, exponentformat: "power" },
      shapes: [vline(sweep.alphaCritical, ORANGE, "dash")],
      annotations: [
        {
          text: "α_c",
          x: Math.log10(sweep.alphaCritical),
          yref: "paper",
          y: 1.04,
          showarrow: false,
        },
      ],
    },
  );
}

/**
 * Figure 8A: |dL/dr| / max|dL/dr| vs r (log-y), analytic (black; exactly 0, hence not drawn, for
 * r < r* / 4) and simulated for several confidences (Reds) (docs/ghost-mechanism.md §3 Figure 8).
 */
export function gradientFigure(
  analytic: { r: number[]; gradient: number[] },
  simulated: { c: number; landscape: Landscape }[],
  T: number,
): Figure {
  const norm = (g: number[]) => {
    const m = Math.max(...g.map(Math.abs));
    return g.map((v) => (v === 0 ? NaN : Math.abs(v) / m));
  };
  const cols = colors(simulated.length, "Reds");
  return figure([
    ...simulated.map((s, i) =>
      line(s.landscape.r, norm(s.landscape.gradient), {
        name: `c = ${s.c}`,
        color: cols[i],
      })
    ),
    line(analytic.r, norm(analytic.gradient), {
      name: "analytic (c → ∞)",
      color: "black",
      dash: "dash",
    }),
  ], {
    title: { text: "Gradient magnitude vs r: lower confidence keeps a gradient in the zone" },
    xaxis: { title: { text: "r" }, exponentformat: "e" },
    yaxis: { type: "log", title: { text: "|dL/dr| / max" }, exponentformat: "power" },
    shapes: [vline(rStar(T), ORANGE, "dash"), vline(noLearningBoundary(T), GREY, "dot")],
  });
}

/**
 * Fraction of runs trapped in the no-learning zone vs α/α_c, one curve per T
 * (docs/ghost-mechanism.md §1.6: sharp transition at α = α_c, identical for every T by scale
 * invariance).
 */
export function stuckFractionFigure(
  curves: { T: number; ratio: number[]; fraction: number[] }[],
): Figure {
  const cols = colors(curves.length, "Viridis");
  return figure(
    curves.map((c, i) =>
      line(c.ratio, c.fraction, {
        name: `T = ${c.T}`,
        color: cols[i],
        dash: i % 2 ? "dash" : undefined,
        extra: { mode: "lines+markers", marker: { size: 5, color: cols[i] } },
      })
    ),
    {
      title: { text: "Runs ending in the no-learning zone vs α / α_c(T)" },
      xaxis: { type: "log", title: { text: "α / α_c(T)" } },
      yaxis: { title: { text: "fraction stuck" }, range: [-0.05, 1.05] },
      shapes: [vline(1, ORANGE, "dash")],
    },
  );
}

/**
 * Critical learning rate vs T (log-log): measured values (markers), the analytic α_c(T) (line) and
 * the fitted power law (dotted) (docs/ghost-mechanism.md §1.6).
 */
export function criticalAlphaFigure(
  measured: { T: number; alpha: number }[],
  analytic: (T: number) => number,
  fit: LogLogFit,
): Figure {
  const Ts = measured.map((m) => m.T);
  const grid = linspace(Math.log10(Math.min(...Ts)), Math.log10(Math.max(...Ts)), 50).map((v) =>
    10 ** v
  );
  return figure([
    markers(Ts, measured.map((m) => m.alpha), { name: "measured (bisection)", size: 10 }),
    line(grid, grid.map(analytic), { name: "α_c = 3π⁴/(32T⁵)", color: "black" }),
    line(grid, grid.map((T) => fit.prefactor * T ** fit.exponent), {
      name: `fit: exponent ${fit.exponent.toFixed(3)}`,
      color: ORANGE,
      dash: "dot",
    }),
  ], {
    title: { text: "Critical learning rate vs delay T" },
    xaxis: { type: "log", title: { text: "T" } },
    yaxis: { type: "log", title: { text: "critical α" }, exponentformat: "power" },
  });
}

/**
 * Measured critical α of the simulated task vs T (log-log) for several confidences c (markers,
 * with the final bisection bracket as error bars, and each fitted power law dashed) next to the
 * analytic c → ∞ line α_c = 3π⁴/(32T⁵) (docs/ghost-mechanism.md §1.6).
 */
export function finiteCriticalAlphaFigure(
  laws: SimulatedCriticalLaw[],
  analytic: (T: number) => number,
): Figure {
  const Ts = laws.flatMap((l) => l.measurements.map((m) => m.T));
  const grid = linspace(Math.log10(Math.min(...Ts)), Math.log10(Math.max(...Ts)), 50).map((v) =>
    10 ** v
  );
  const cols = colors(laws.length, "Viridis");
  return figure([
    line(grid, grid.map(analytic), { name: "analytic c → ∞: 3π⁴/(32T⁵)", color: "black" }),
    ...laws.flatMap((l, i) => {
      const ms = l.measurements;
      return [
        markers(ms.map((m) => m.T), ms.map((m) => m.alpha), {
          name: `c = ${l.c}: measured α*`,
          color: cols[i],
          size: 9,
          extra: {
            legendgroup: `c${i}`,
            error_y: {
              type: "data",
              symmetric: false,
              array: ms.map((m) => m.hi - m.alpha),
              arrayminus: ms.map((m) => m.alpha - m.lo),
            },
          },
        }),
        line(grid, grid.map((T) => l.fit.prefactor * T ** l.fit.exponent), {
          name: `c = ${l.c}: fit T^${l.fit.exponent.toFixed(2)}`,
          color: cols[i],
          dash: "dash",
          extra: { legendgroup: `c${i}` },
        }),
      ];
    }),
  ], {
    title: { text: "Critical learning rate of the simulated task (Euler, exact adjoint gradient)" },
    xaxis: { type: "log", title: { text: "T" } },
    yaxis: { type: "log", title: { text: "critical α" }, exponentformat: "power" },
  });
}

/**
 * Trapped fraction vs α/α_c(T) at every α the bracket search of the simulated model evaluated, one
 * curve per T (docs/ghost-mechanism.md §1.6): the finite-c counterpart of
 * {@linkcode stuckFractionFigure}, where decreasing stretches (reported in `nonMonotone`) show.
 */
export function trappedFractionFigure(measurements: SimulatedCriticalMeasurement[]): Figure {
  const cols = colors(measurements.length, "Viridis");
  const cs = [...new Set(measurements.map((m) => m.c))].join(", ");
  return figure(
    measurements.map((m, i) =>
      line(m.evaluations.map((e) => e.alpha / m.analytic), m.evaluations.map((e) => e.fraction), {
        name: `T = ${m.T}`,
        color: cols[i],
        extra: { mode: "lines+markers", marker: { size: 6, color: cols[i] } },
      })
    ),
    {
      title: { text: `Simulated model, c = ${cs}: runs trapped vs α / α_c(T)` },
      xaxis: { type: "log", title: { text: "α / α_c(T)" } },
      yaxis: { title: { text: "fraction trapped" }, range: [-0.05, 1.05] },
      shapes: [vline(1, ORANGE, "dash"), hline(0.5, GREY, "dot")],
    },
  );
}
