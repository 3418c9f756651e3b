/**
 * Figure builders for the glassy notebooks (docs/glassy-dynamics.md §7, F1–F6). Each takes plain
 * result objects and returns a displayable {@linkcode Figure}.
 *
 * @module
 */

import { colors, type Figure, figure, line, markers, type Trace } from "../plot/mod.ts";
import type { AgingResult, LearningCurve } from "./experiments.ts";
import { compareDepths, type LadderAnalysis } from "./ladder.ts";
import type { PowerLawFit } from "./analysis.ts";

const logAxis = (title: string) => ({ title: { text: title }, type: "log" });
const linAxis = (title: string) => ({ title: { text: title } });

/**
 * F1: training (solid) and test (dashed) loss in bits/unit vs τ, log–log, one colour per width;
 * optional power-law fits (dotted) over their fitted range; legend names `w = …` unless `names`
 * gives one per run.
 */
export function lossCurvesFigure(
  runs: LearningCurve[],
  opts: { title?: string; fits?: (PowerLawFit | null)[]; test?: boolean; names?: string[] } = {},
): Figure {
  const cs = colors(runs.length, "Viridis");
  const traces: Trace[] = [];
  runs.forEach((r, i) => {
    const keep = r.tau.map((t, k) => (t > 0 ? k : -1)).filter((k) => k >= 0);
    const tau = keep.map((k) => r.tau[k]);
    const name = opts.names?.[i] ?? `w = ${r.config.width}`;
    traces.push(line(tau, keep.map((k) => r.train[k]), {
      name,
      color: cs[i],
      extra: { legendgroup: name },
    }));
    if (opts.test !== false) {
      traces.push(line(tau, keep.map((k) => r.test[k]), {
        name: `${name} test`,
        color: cs[i],
        dash: "dash",
        width: 1,
        showlegend: false,
        extra: { legendgroup: name },
      }));
    }
    const f = opts.fits?.[i];
    if (f) {
      const ft = tau.filter((t) => t >= f.tauMin);
      traces.push(line(ft, ft.map((t) => f.Linf + f.A * t ** -f.alpha), {
        name: `${name} fit`,
        color: "black",
        dash: "dot",
        width: 1,
        showlegend: false,
        extra: { legendgroup: name },
      }));
    }
  });
  return figure(traces, {
    title: { text: opts.title ?? "Loss vs learning time τ (solid: train, dashed: test)" },
    xaxis: logAxis("learning time τ = Σ η"),
    yaxis: logAxis("loss (bits per unit)"),
  });
}

/** F2a: τ_L(ε) vs w (log y), one series per ε. */
export function learningTimesFigure(an: LadderAnalysis, title?: string): Figure {
  const cs = colors(an.eps.length, "YlOrRd");
  const traces = an.eps.map((e, k) => {
    const pts = an.widths.map((w, i) => [w, an.tauL[k][i]] as const).filter(([, t]) => t !== null);
    return line(pts.map((p) => p[0]), pts.map((p) => p[1] as number), {
      name: `ε = ${e}`,
      color: cs[k],
      extra: { mode: "lines+markers" },
    });
  });
  return figure(traces, {
    title: { text: title ?? `Learning time τ_L(ε) vs width, d = ${an.depth}` },
    xaxis: linAxis("width w"),
    yaxis: logAxis("τ_L (first τ with training loss ≤ ε)"),
  });
}

/** F2b: 1/τ_L vs w with the fitted lines and their zero crossings w_c(ε). */
export function inverseLearningTimesFigure(an: LadderAnalysis, title?: string): Figure {
  const cs = colors(an.eps.length, "YlOrRd");
  const traces: Trace[] = [];
  an.eps.forEach((e, k) => {
    const pts = an.widths.map((w, i) => [w, an.tauL[k][i]] as const).filter(([, t]) => t !== null);
    traces.push(markers(pts.map((p) => p[0]), pts.map((p) => 1 / (p[1] as number)), {
      name: `ε = ${e}`,
      color: cs[k],
      size: 8,
    }));
    const f = an.fits[k];
    if (f) {
      const x = [f.wc, Math.max(...an.widths)];
      traces.push(line(x, x.map((w) => f.slope * (w - f.wc)), {
        name: `fit: w_c = ${f.wc.toFixed(1)}`,
        color: cs[k],
        dash: "dash",
        width: 1.5,
      }));
    }
  });
  return figure(traces, {
    title: { text: title ?? `1/τ_L vs width and the fitted w_c(ε), d = ${an.depth}` },
    xaxis: linAxis("width w"),
    yaxis: { ...linAxis("1/τ_L"), rangemode: "tozero" },
  });
}

/** F3a: w_c(ε) vs ε with the straight-line extrapolation to ε = 0, one series per depth. */
export function wcVsEpsFigure(analyses: LadderAnalysis[], title?: string): Figure {
  const cs = colors(Math.max(analyses.length, 2), "Cividis");
  const traces: Trace[] = [];
  analyses.forEach((an, i) => {
    const pts = an.fits.filter((f) => f !== null);
    traces.push(markers(pts.map((f) => f!.eps), pts.map((f) => f!.wc), {
      name: `d = ${an.depth}`,
      color: cs[i],
      size: 9,
    }));
    const ex = an.extrapolation;
    if (ex) {
      const x = [0, Math.max(...pts.map((f) => f!.eps))];
      traces.push(line(x, x.map((e) => ex.intercept + ex.slope * e), {
        name: `d = ${an.depth}: w_c(0) = ${ex.wc0.toFixed(1)}`,
        color: cs[i],
        dash: "dash",
      }));
    }
  });
  return figure(traces, {
    title: { text: title ?? "Critical width w_c(ε) and its extrapolation to ε → 0" },
    xaxis: { ...linAxis("loss threshold ε (bits/unit)"), rangemode: "tozero" },
    yaxis: linAxis("w_c"),
  });
}

/**
 * F3b: w_c vs depth d — the 1/τ_L zero crossings w_c(ε) (Eq. (5.2.2)), their extrapolation
 * w_c(0), and the bounds each ladder sets on w_c at the smallest ε (Eq. (5.2.6)).
 */
export function wcVsDepthFigure(analyses: LadderAnalysis[], title?: string): Figure {
  const sorted = analyses.slice().sort((a, b) => a.depth - b.depth);
  const eps = sorted[0]?.eps ?? [];
  const cs = colors(Math.max(eps.length, 2), "YlOrRd");
  const traces: Trace[] = eps.map((e, k) => {
    const pts = sorted.map((an) => [an.depth, an.fits[an.eps.indexOf(e)]?.wc] as const)
      .filter(([, w]) => w !== undefined);
    return line(pts.map((p) => p[0]), pts.map((p) => p[1] as number), {
      name: `w_c(ε = ${e})`,
      color: cs[k],
      extra: { mode: "lines+markers" },
    });
  });
  const ex = sorted.filter((an) => an.extrapolation !== null);
  traces.push(line(ex.map((an) => an.depth), ex.map((an) => an.extrapolation!.wc0), {
    name: "w_c(ε → 0)",
    color: "black",
    width: 3,
    extra: { mode: "lines+markers" },
  }));
  // the ladders' own evidence at the smallest ε (Eq. (5.2.6)): w_c lies on each depth's segment,
  // from its widest width below (0 if none) to its narrowest width that reached ε (its widest
  // width if none)
  const cmp = sorted.length
    ? compareDepths(sorted).reduce((m, c) => (c.eps < m.eps ? c : m))
    : null;
  if (cmp) {
    const xs: number[] = [], ys: number[] = [];
    cmp.bounds.forEach((b, i) => {
      if (b.lower === null && b.upper === null) return;
      xs.push(b.depth, b.depth, NaN);
      ys.push(b.lower ?? 0, b.upper ?? Math.max(...sorted[i].widths), NaN);
    });
    traces.push(line(xs, ys, {
      name: `ladder bounds on w_c(ε = ${cmp.eps}) (Eq. 5.2.6: ${cmp.verdict})`,
      color: "#1f77b4",
      width: 8,
    }));
  }
  return figure(traces, {
    title: { text: title ?? "Critical width vs depth" },
    xaxis: { ...linAxis("depth d"), dtick: 1 },
    yaxis: linAxis("w_c"),
  });
}

/**
 * F4/F5: Δ(τ_w, τ) for every waiting time, vs the elapsed time τ − τ_w (`x: "elapsed"`, with the
 * free-random-walk line Δ = (τ − τ_w)/η) or vs (τ − τ_w)/τ_w (`x: "scaled"`), log–log.
 */
export function agingFigure(
  res: AgingResult,
  x: "elapsed" | "scaled",
  title?: string,
): Figure {
  const cs = colors(Math.max(res.curves.length, 2), "Reds").slice(-res.curves.length);
  const traces: Trace[] = res.curves.map((c, i) => {
    const xs = c.elapsed.map((t) => (x === "scaled" ? t / c.tauW : t));
    return line(xs, c.delta, { name: `τ_w = ${c.tauW.toFixed(2)}`, color: cs[i] });
  });
  if (x === "elapsed" && res.curves.length > 0) {
    const all = res.curves.flatMap((c) => c.elapsed).filter((t) => t > 0);
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    const eta = res.config.train.eta0;
    traces.push(line([lo, hi], [lo / eta, hi / eta], {
      name: "free random walk: Δ = (τ − τ_w)/η",
      color: "gray",
      dash: "dot",
      width: 1,
    }));
  }
  return figure(traces, {
    title: {
      text: title ??
        `Aging Δ(τ_w, τ), d = ${res.config.train.depth}, w = ${res.config.train.width}`,
    },
    xaxis: logAxis(x === "scaled" ? "(τ − τ_w) / τ_w" : "elapsed learning time τ − τ_w"),
    yaxis: logAxis("Δ = weight MSD / per-step noise variance"),
  });
}

/**
 * Δ vs (τ − τ_w)/τ_w of several aging runs of one width on one plot (docs/glassy-dynamics.md §6.8:
 * quick vs paper settings), each run in its own colour scale, its name in the legend.
 */
export function agingCompareFigure(
  runs: { res: AgingResult; name: string }[],
  title: string,
): Figure {
  const scales = ["Blues", "Reds", "Viridis", "Cividis"] as const;
  const traces: Trace[] = runs.flatMap(({ res, name }, k) => {
    const cs = colors(Math.max(res.curves.length, 2), scales[k % scales.length])
      .slice(-res.curves.length);
    return res.curves.map((c, i) =>
      line(c.elapsed.map((t) => t / c.tauW), c.delta, {
        name: `${name}: τ_w = ${c.tauW.toFixed(2)}`,
        color: cs[i],
      })
    );
  });
  return figure(traces, {
    title: { text: title },
    xaxis: logAxis("(τ − τ_w) / τ_w"),
    yaxis: logAxis("Δ = weight MSD / per-step noise variance"),
  });
}

/** F6: training loss vs τ of the aging runs, with the waiting times marked. */
export function agingLossFigure(results: AgingResult[], title?: string): Figure {
  const cs = colors(Math.max(results.length, 2), "Viridis");
  const traces: Trace[] = [];
  results.forEach((r, i) => {
    const L = r.learning;
    const keep = L.tau.map((t, k) => (t > 0 ? k : -1)).filter((k) => k >= 0);
    traces.push(line(keep.map((k) => L.tau[k]), keep.map((k) => L.train[k]), {
      name: `w = ${r.config.train.width}`,
      color: cs[i],
    }));
    traces.push(markers(
      r.curves.map((c) => c.tauW),
      r.curves.map((c) => {
        const k = L.tau.findIndex((t) => t >= c.tauW);
        return k >= 0 ? L.train[k] : NaN;
      }),
      { name: `τ_w (w = ${r.config.train.width})`, color: cs[i], size: 9, showlegend: false },
    ));
  });
  return figure(traces, {
    title: { text: title ?? "Training loss during the aging runs (markers: waiting times τ_w)" },
    xaxis: logAxis("learning time τ"),
    yaxis: logAxis("training loss (bits per unit)"),
  });
}
