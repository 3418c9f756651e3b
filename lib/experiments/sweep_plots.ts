/**
 * Figure builders of the RNN sweeps (docs/ghost-mechanism.md §3 Figures 6–8), drawn from sweep
 * records: Fig 6A loss vs lr, Fig 7 box plots and case runs, Fig 6B learned fraction vs K and
 * learning curves, Fig 8B accuracy/gradient around the confidence change, Fig 8C accuracy per
 * read-out bound.
 *
 * @module
 */

import type { Displayable } from "../display.ts";
import {
  band,
  colors,
  type Figure,
  figure as plotlyFigure,
  line,
  type Trace,
  vline,
} from "../plot/mod.ts";
import { groupBy, meanSem } from "./common.ts";
import type { Fig6aPoint, Fig6aSummary } from "./fig6a_lr.ts";
import { fig6aCurves } from "./fig6a_lr.ts";
import type { Fig6bPoint, Fig6bSummary } from "./fig6b_rank.ts";
import { learnedFractions } from "./fig6b_rank.ts";
import type { Fig7Point, Fig7Summary } from "./fig7_lr.ts";
import type { AccGrad, Fig8bSummary } from "./fig8b_confidence.ts";
import type { Fig8cSummary } from "./fig8c_readout.ts";

type Rec<P, S> = { point: P; summary: S };

/** A figure that `show` of lib/display.ts accepts. */
export type SweepFigure = Figure & Displayable;

// lib/plot and lib/display each declare their own `Symbol.for("Jupyter.display")` constant: the
// same symbol at run time, two unique symbol types for TypeScript, hence the cast.
const figure = (...a: Parameters<typeof plotlyFigure>) =>
  plotlyFigure(...a) as unknown as SweepFigure;

const logAxis = (title: string, extra: Record<string, unknown> = {}) => ({
  title,
  type: "log",
  exponentformat: "power",
  ...extra,
});

/** Fig 6A: mean ± SEM over seeds of the loss vs lr, one line per epoch (autumn colours). */
export function fig6aFigure(
  records: Rec<Fig6aPoint, Fig6aSummary>[],
  epochsAt: number[],
  title: string,
  criticalLr?: number | null,
): SweepFigure {
  const c = fig6aCurves(records, epochsAt);
  const cols = colors(epochsAt.length, "YlOrRd");
  const data = c.byEpoch.flatMap((b, i) =>
    band(c.lr, b.mean, b.sem, { name: `epoch ${b.epoch}`, color: cols[i] })
  );
  return figure(data, {
    title,
    xaxis: logAxis("learning rate"),
    yaxis: logAxis("loss (mean ± SEM over seeds)", { range: [-7, Math.log10(3)] }),
    shapes: criticalLr ? [vline(criticalLr, "black", "dot")] : [],
  });
}

/** Fig 7: per-seed time-averaged values vs lr as box plots (one box per lr, log y). */
export function fig7BoxFigure(
  records: Rec<Fig7Point, Fig7Summary>[],
  value: "meanLoss" | "meanGradNorm" | "meanWeightNorm",
  title: string,
): SweepFigure {
  const rs = records.filter((r) => r.summary.status === "ok");
  const label = { meanLoss: "time-averaged loss", meanGradNorm: "time-averaged ‖∇W‖_F" }[
    value as "meanLoss" | "meanGradNorm"
  ] ?? "time-averaged ‖W‖_F";
  const data: Trace[] = [{
    type: "box",
    x: rs.map((r) => Math.log10(r.point.lr)),
    y: rs.map((r) => r.summary[value]),
    boxpoints: "all",
    jitter: 0.4,
    pointpos: 0,
    marker: { size: 4, color: "#1f77b4" },
    line: { color: "#444" },
    width: 0.1,
    name: label,
  }];
  return figure(data, {
    title,
    xaxis: { title: "log10 learning rate" },
    yaxis: logAxis(label),
    showlegend: false,
  });
}

/** Fig 7 case panels: loss, ‖∇W‖ and ‖W‖ vs epoch (log-log) of a few runs. */
export function fig7CaseFigure(
  runs: { label: string; summary: Fig7Summary }[],
  title: string,
): SweepFigure {
  const cols = ["#2ca02c", "#d62728", "#1f77b4", "#ff7f0e"];
  const data = runs.flatMap((r, i) => {
    const x = r.summary.curve.epoch.map((e) => e + 1);
    return [
      line(x, r.summary.curve.loss, { name: `${r.label}: loss`, color: cols[i % 4] }),
      line(x, r.summary.curve.gradNorm, {
        name: `${r.label}: ‖∇W‖`,
        color: cols[i % 4],
        dash: "dot",
      }),
      line(x, r.summary.curve.weightNorm, {
        name: `${r.label}: ‖W‖`,
        color: cols[i % 4],
        dash: "dash",
        width: 1,
      }),
    ];
  });
  return figure(data, { title, xaxis: logAxis("epoch"), yaxis: logAxis("value") });
}

/** Fig 6B summary: fraction learned vs K (log x), one line per lr, 95 % Wilson intervals. */
export function fig6bFractionFigure(records: Rec<Fig6bPoint, Fig6bSummary>[]): SweepFigure {
  const f = learnedFractions(records);
  const byLr = [...groupBy(f, (x) => x.lr).values()];
  const cols = colors(byLr.length, "Viridis");
  const data = byLr.map((g, i) => ({
    ...line(g.map((x) => x.K), g.map((x) => x.p), {
      name: `lr ${g[0].lr.toPrecision(3)}`,
      color: cols[i],
    }),
    mode: "lines+markers",
    error_y: {
      type: "data",
      symmetric: false,
      array: g.map((x) => x.hi - x.p),
      arrayminus: g.map((x) => x.p - x.lo),
      color: cols[i],
      thickness: 1,
    },
  }));
  return figure(data, {
    title: "Fig 6B: fraction of learned networks (final/initial loss < 1e-2) vs trainable rank K",
    xaxis: logAxis("trainable rank K"),
    yaxis: { title: "fraction learned (95 % Wilson CI)", range: [-0.05, 1.05] },
  });
}

/** Fig 6B learning curves: loss/loss₀ vs epoch (log-log) of one lr, coloured by K. */
export function fig6bCurvesFigure(
  records: Rec<Fig6bPoint, Fig6bSummary>[],
  lr: number,
): SweepFigure {
  const rs = records.filter((r) => r.point.lr === lr);
  const Ks = [...new Set(rs.map((r) => r.point.K))].sort((a, b) => a - b);
  const cols = colors(Ks.length, "Viridis");
  const shown = new Set<number>();
  const data = rs.map((r) => {
    const i = Ks.indexOf(r.point.K);
    const first = !shown.has(r.point.K);
    shown.add(r.point.K);
    return line(r.summary.curve.epoch.map((e) => e + 1), r.summary.curve.ratio, {
      name: `K = ${r.point.K}`,
      color: cols[i],
      width: 1,
      showlegend: first,
      extra: { legendgroup: `K${r.point.K}` },
    });
  });
  return figure(data, {
    title: `Fig 6B: learning curves at lr ${lr.toPrecision(3)} (colour = K)`,
    xaxis: logAxis("epoch"),
    yaxis: logAxis("loss / initial loss", { range: [-7, Math.log10(2.5)] }),
  });
}

/** Mean ± SEM per epoch of one field over windows of equal epochs. */
function meanCurve(ws: AccGrad[], field: "accuracy" | "gradNorm") {
  const n = ws[0]?.epoch.length ?? 0;
  const stats = Array.from({ length: n }, (_, t) => meanSem(ws.map((w) => w[field][t])));
  return {
    epoch: ws[0]?.epoch ?? [],
    mean: stats.map((s) => s.mean),
    sem: stats.map((s) => s.sem),
  };
}

/**
 * Fig 8B: mean ± SEM over stuck runs of accuracy (or gradient norm, log y) around the change of
 * confidence: black before, one colour per c after, red dashed line at the change.
 */
export function fig8bFigure(
  summaries: Fig8bSummary[],
  confidences: number[],
  field: "accuracy" | "gradNorm",
): SweepFigure {
  const stuck = summaries.filter((s) => s.stuck && s.before && s.after);
  const before = meanCurve(stuck.map((s) => s.before!), field);
  const cols = colors(confidences.length, "Viridis").reverse();
  const data: Trace[] = [...band(before.epoch, before.mean, before.sem, {
    name: "c = 10 (before)",
    color: "black",
  })];
  confidences.forEach((c, k) => {
    const a = meanCurve(stuck.map((s) => s.after![k]), field);
    data.push(...band(a.epoch, a.mean, a.sem, { name: `c = ${c.toPrecision(3)}`, color: cols[k] }));
  });
  const change = stuck[0]?.after?.[0].epoch[0] ?? 0;
  return figure(data, {
    title: `Fig 8B: ${field === "accuracy" ? "accuracy" : "gradient norm"} of ${stuck.length} ` +
      `stuck rank-one RNNs before and after lowering the confidence`,
    xaxis: { title: "epoch" },
    yaxis: field === "accuracy" ? { title: "accuracy (mean ± SEM)" } : logAxis("‖∇‖ (mean ± SEM)"),
    shapes: [vline(change, "red", "dash")],
  });
}

/** Fig 8C: mean ± SEM accuracy over seeds per read-out bound c (black = ∞). */
export function fig8cFigure(summaries: Fig8cSummary[], bounds: (number | null)[]): SweepFigure {
  const ok = summaries.filter((s) => s.after !== null);
  const cols = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];
  const data: Trace[] = [];
  bounds.forEach((c, k) => {
    const ws = ok.map((s) => ({
      epoch: [...s.before.epoch, ...s.after![k].epoch],
      accuracy: [...s.before.accuracy, ...s.after![k].accuracy],
      gradNorm: [],
    }));
    const m = meanCurve(ws, "accuracy");
    data.push(...band(m.epoch.map((e) => e + 1), m.mean, m.sem, {
      name: c === null ? "c = ∞" : `c = ${c}`,
      color: c === null ? "black" : cols[k % cols.length],
    }));
  });
  const change = ok[0]?.after?.[0].epoch[0] ?? 0;
  return figure(data, {
    title: `Fig 8C: accuracy of ${ok.length} full-rank DCDT RNNs, read-out ‖W_out‖₁ bounded to c`,
    xaxis: { title: "epoch" },
    yaxis: { title: "accuracy (mean ± SEM)", range: [0, 1] },
    shapes: [vline(change, "red", "dash")],
  });
}
