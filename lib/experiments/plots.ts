/**
 * Figure builders of notebooks 03 and 04 (docs/ghost-mechanism.md §3, Figs 3, 4, 5, 7): training
 * curves with checkpoint lines, rank-one flows with their ghost, seed statistics, firing-rate
 * histograms and outputs. The 2-D speed maps and 3-D PCA plots come from `lib/dynamics`.
 *
 * @module
 */

import { colors, type Figure, figure, line, markers, type Trace, vline } from "../plot/mod.ts";
import type { History } from "../rnn/mod.ts";
import type { GhostCrossing, SaturationSnapshot, SeedSummary } from "./fig3.ts";

/** Every `stride`-th entry (and the last), for plotting long histories. */
function thin<T>(a: T[], stride: number): T[] {
  if (stride <= 1) return a;
  const out = a.filter((_, i) => i % stride === 0);
  if ((a.length - 1) % stride !== 0) out.push(a[a.length - 1]);
  return out;
}

/**
 * Loss / max(loss) and gradient norm / max (log y) vs epoch with dashed checkpoint lines
 * (Fig 3a/3c, 4A/E, 5A/D). `grad` picks the history's global (`gradNorm`) or recurrent
 * (`recGradNorm`) norm; `maxPoints` thins the curves.
 */
export function lossGradFigure(
  h: History,
  opts: {
    title: string;
    marks?: number[];
    grad?: "gradNorm" | "recGradNorm";
    logX?: boolean;
    maxPoints?: number;
    xRange?: [number, number];
  },
): Figure {
  const g = h[opts.grad ?? "gradNorm"];
  const stride = Math.max(1, Math.ceil(h.epoch.length / (opts.maxPoints ?? 4000)));
  const maxL = Math.max(...h.loss), maxG = Math.max(...g);
  const x = thin(h.epoch, stride).map((e) => opts.logX ? e + 1 : e);
  return figure([
    line(x, thin(h.loss, stride).map((v) => v / maxL), { name: "loss / max", color: "black" }),
    line(x, thin(g, stride).map((v) => v / maxG), { name: "‖∇‖ / max", color: "#d62728" }),
  ], {
    title: opts.title,
    xaxis: {
      title: opts.logX ? "epoch + 1" : "epoch",
      type: opts.logX ? "log" : "linear",
      range: opts.xRange,
    },
    yaxis: { title: "normalised", type: "log", range: [-6, Math.log10(5)] },
    shapes: (opts.marks ?? []).map((e) => vline(opts.logX ? e + 1 : e, "gray", "dash")),
  });
}

/** Accuracy vs epoch (Fig 5B/E), log x. */
export function accuracyFigure(h: History, title: string): Figure {
  return figure([line(h.epoch.map((e) => e + 1), h.accuracy, { name: "accuracy" })], {
    title,
    xaxis: { title: "epoch + 1", type: "log" },
    yaxis: { title: "accuracy", range: [-0.01, 1.01] },
  });
}

/**
 * Rank-one flows F(κ) at several epochs (Fig 3b/3d) on κ ∈ [−9, 9] with y = 0, the threshold
 * κ = 1 (orange), κ0 (red dots) and the ghost of each flow (star).
 */
export function rankOneFlowsFigure(
  kappa: number[],
  flows: { epoch: number; F: number[] }[],
  ghosts: GhostCrossing[],
  opts: { title: string; yRange?: [number, number] },
): Figure {
  const cs = colors(flows.length, "Viridis");
  const keep = kappa.map((k, i) => (k >= -9 && k <= 9 ? i : -1)).filter((i) => i >= 0);
  const traces: Trace[] = flows.map((f, j) =>
    line(keep.map((i) => kappa[i]), keep.map((i) => f.F[i]), {
      name: `epoch ${f.epoch}`,
      color: cs[j],
    })
  );
  for (const [j, g] of ghosts.entries()) {
    traces.push(markers([g.kappa0], [0], {
      name: `κ0 (epoch ${g.epoch})`,
      color: "red",
      size: 9,
      showlegend: j === 0,
    }));
    if (g.bottleneck.kind === "ghost") {
      traces.push(markers([g.bottleneck.kappa], [g.bottleneck.speed], {
        name: `ghost (epoch ${g.epoch})`,
        color: cs[flows.findIndex((f) => f.epoch === g.epoch)] ?? "black",
        size: 14,
        extra: { marker: { symbol: "star", size: 14, line: { color: "black", width: 1 } } },
      }));
    }
  }
  return figure(traces, {
    title: opts.title,
    xaxis: { title: "κ" },
    yaxis: { title: "dκ/dt = F(κ)", range: opts.yRange },
    shapes: [
      vline(1, "orange", "solid"),
      {
        type: "line",
        xref: "paper",
        x0: 0,
        x1: 1,
        y0: 0,
        y1: 0,
        line: { color: "black", dash: "dash", width: 1 },
      },
    ],
  });
}

/**
 * Number of fixed points (sign changes of F) vs epoch, with the loss (Fig 3 fixed-point test);
 * long histories are thinned to ~4000 points, keeping every epoch where the count changes.
 */
export function fixedPointCountFigure(h: History, title: string): Figure {
  const c = h.flowSignChanges, stride = Math.max(1, Math.ceil(c.length / 4000));
  const idx = c.map((_, i) => i).filter((i) =>
    i % stride === 0 || i === c.length - 1 || (i > 0 && c[i] !== c[i - 1]) ||
    (i + 1 < c.length && c[i] !== c[i + 1])
  );
  const ep = idx.map((i) => h.epoch[i]);
  return figure([
    line(ep, idx.map((i) => c[i]), { name: "fixed points of F", color: "black" }),
    line(ep, idx.map((i) => h.loss[i]), {
      name: "loss",
      color: "#1f77b4",
      extra: { yaxis: "y2", line: { color: "#1f77b4", width: 1 } },
    }),
  ], {
    title,
    xaxis: { title: "epoch" },
    yaxis: { title: "sign changes of F on the κ grid", rangemode: "tozero", dtick: 1 },
    yaxis2: { title: "loss", overlaying: "y", side: "right", type: "log" },
  });
}

/** Outputs of the seeds of each outcome (Fig 3 statistics): o_t vs t, one thin line per seed. */
export function seedOutputsFigure(stats: SeedSummary[], title: string): Figure {
  const color = { stuck: "#d62728", learned: "#2ca02c", partial: "#7f7f7f" } as const;
  const seen = new Set<string>();
  const traces = stats.map((s) => {
    const first = !seen.has(s.outcome);
    seen.add(s.outcome);
    return line(s.outputs.map((_, t) => t + 1), s.outputs, {
      name: s.outcome,
      color: color[s.outcome],
      width: 1,
      showlegend: first,
      extra: { legendgroup: s.outcome, opacity: 0.5 },
    });
  });
  const T = stats[0]?.outputs.length ?? 0;
  const target = line(
    Array.from({ length: T }, (_, t) => t + 1),
    Array.from({ length: T }, (_, t) => (t >= T / 2 ? 1 : 0)),
    { name: "target", color: "black", dash: "dash" },
  );
  return figure([...traces, target], {
    title,
    xaxis: { title: "step t" },
    yaxis: { title: "output o_t", range: [-0.05, 1.05] },
  });
}

/** Final gradient norms (log) and fixed-point counts per outcome, as jittered strips. */
export function seedStatsFigure(stats: SeedSummary[], title: string): Figure {
  const groups = ["stuck", "partial", "learned"] as const;
  const color = { stuck: "#d62728", learned: "#2ca02c", partial: "#7f7f7f" } as const;
  const traces: Trace[] = [];
  for (const [gi, g] of groups.entries()) {
    const s = stats.filter((x) => x.outcome === g);
    if (s.length === 0) continue;
    const jit = s.map((x) => gi + 0.3 * Math.sin(x.seed * 12.9898)); // deterministic jitter
    traces.push(markers(jit, s.map((x) => Math.max(x.finalGradNorm, 1e-30)), {
      name: `${g} (${s.length})`,
      color: color[g],
      extra: { text: s.map((x) => `seed ${x.seed}`), xaxis: "x", yaxis: "y" },
    }));
    traces.push(markers(jit, s.map((x) => x.fixedPoints), {
      name: `${g}: fixed points`,
      color: color[g],
      showlegend: false,
      extra: { xaxis: "x2", yaxis: "y2", marker: { color: color[g], symbol: "diamond" } },
    }));
  }
  const ticks = { tickvals: [0, 1, 2], ticktext: [...groups] };
  return figure(traces, {
    title,
    grid: { rows: 1, columns: 2, pattern: "independent" },
    xaxis: { ...ticks, domain: [0, 0.45] },
    yaxis: { title: "final ‖∇‖", type: "log" },
    xaxis2: { ...ticks, domain: [0.55, 1] },
    yaxis2: { title: "fixed points of F at the end", dtick: 1, rangemode: "tozero" },
  }, { height: 420 });
}

/** Histograms of all firing rates of one trial at each snapshot (Fig 7 saturation). */
export function rateHistogramFigure(snaps: SaturationSnapshot[], title: string): Figure {
  const cs = colors(snaps.length, "Viridis");
  return figure(
    snaps.map((s, j) => ({
      type: "histogram",
      x: s.rates,
      name: `epoch ${s.epoch}`,
      opacity: 0.6,
      xbins: { start: -1, end: 1, size: 2 / 29 },
      marker: { color: cs[j] },
    })),
    { title, barmode: "overlay", xaxis: { title: "firing rate r" }, yaxis: { title: "count" } },
  );
}

/** Outputs of one trial at each snapshot vs the target (Fig 7 saturation). */
export function snapshotOutputsFigure(snaps: SaturationSnapshot[], title: string): Figure {
  const cs = colors(snaps.length, "Viridis");
  const t = snaps[0].outputs.map((_, i) => i);
  return figure([
    ...snaps.map((s, j) => line(t, s.outputs, { name: `epoch ${s.epoch}`, color: cs[j] })),
    line(t, snaps[0].targets, { name: "target", color: "black", dash: "dash" }),
  ], { title, xaxis: { title: "step" }, yaxis: { title: "output", range: [-0.05, 1.05] } });
}

/**
 * One figure with a Plotly slider over frames (e.g. flow maps at successive epochs, Fig 4): the
 * traces of every frame are stacked and the slider toggles which frame's traces are visible. The
 * layout (axes, shapes) of the first frame is used.
 */
export function sliderFigure(frames: Figure[], labels: string[], title: string): Figure {
  if (frames.length === 0 || frames.length !== labels.length) {
    throw new RangeError(
      `frames and labels must be non-empty and of equal length, got ${frames.length}, ${labels.length}`,
    );
  }
  const data: Trace[] = [], owner: number[] = [];
  frames.forEach((f, k) => {
    for (const t of f.data) {
      data.push({ ...t, visible: k === 0 });
      owner.push(k);
    }
  });
  const steps = labels.map((label, k) => ({
    label,
    method: "restyle",
    args: ["visible", owner.map((o) => o === k)],
  }));
  const base = frames[0].layout;
  return figure(data, {
    ...base,
    title,
    sliders: [{ active: 0, steps, currentvalue: { prefix: "epoch " }, pad: { t: 40 } }],
  }, { height: (base.height as number | undefined) ?? 560 });
}

/** Outputs of one trial per type vs their targets (Fig 4 "target vs prediction"). */
export function outputsByTypeFigure(
  outputs: ArrayLike<number>,
  targets: ArrayLike<number>,
  batch: number,
  types: number,
  title: string,
): Figure {
  const cs = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const steps = outputs.length / batch, t = Array.from({ length: steps }, (_, i) => i);
  const traces: Trace[] = [];
  for (let b = 0; b < types; b++) {
    traces.push(
      line(t, t.map((s) => outputs[s * batch + b]), { name: `type ${b + 1}`, color: cs[b] }),
    );
    traces.push(line(t, t.map((s) => targets[s * batch + b]), {
      name: `target ${b + 1}`,
      color: cs[b],
      dash: "dash",
      showlegend: false,
    }));
  }
  return figure(traces, { title, xaxis: { title: "step" }, yaxis: { title: "output" } });
}

/** Lead time (drop epoch − ghost epoch) per seed, as a histogram (ghost-timing study). */
export function leadTimeFigure(leads: number[], title: string): Figure {
  return figure([{ type: "histogram", x: leads, marker: { color: "#1f77b4" }, name: "seeds" }], {
    title,
    xaxis: { title: "lead time: drop epoch − ghost epoch (epochs; > 0: ghost first)" },
    yaxis: { title: "seeds" },
    shapes: [vline(0, "black", "dash")],
  });
}
