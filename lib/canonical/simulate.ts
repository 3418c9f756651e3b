/**
 * Numerical simulation of the canonical model dx/dt = x² + r:
 *
 * - the Euler-discretised delayed-activation task of the reference code (docs/ghost-mechanism.md
 *   §1.3): state, read-out σ(c(x − x*)), loss L(r) = Δt·Σ(o_k − y_k)², and its exact gradient dL/dr
 *   by a hand-derived adjoint (reverse-mode) pass through the Euler loop, in float64;
 * - an accurate state-adaptive RK4 integrator of the exact flow, used to measure blow-up and
 *   bottleneck passage times (docs/ghost-mechanism.md §1.1–§1.2).
 *
 * @module
 */

import { Rng } from "../random.ts";
import {
  requireFinite,
  requireFiniteArray,
  requireInteger,
  requireNonNegative,
  requirePositive,
} from "../validate.ts";

/**
 * Parameters of the Euler-discretised delayed-activation task of the canonical model
 * (docs/ghost-mechanism.md §1.3); defaults are the reference code's.
 */
export interface CanonicalTaskOptions {
  /** Delay T (trial length 2T), default 100. */
  T?: number;
  /** Euler step Δt, default 0.1. */
  dt?: number;
  /** Output confidence c (code variable `a`), default 1. */
  c?: number;
  /** Read-out threshold x*, default 10. */
  xStar?: number;
  /** Initial state x0, default 0. */
  x0?: number;
  /** Upper clip of the state after each step, default 1e6. */
  clip?: number;
  /** Noise amplitude ε (term √Δt·ε·ξ_k, ξ ~ N(0,1)), default 0. */
  noise?: number;
  /** Seed of the noise stream (used only when noise > 0), default 0. */
  seed?: number;
}

/** Fully resolved parameters of the canonical model's task (docs/ghost-mechanism.md §1.3). */
export interface CanonicalTask {
  T: number;
  dt: number;
  c: number;
  xStar: number;
  x0: number;
  clip: number;
  noise: number;
  seed: number;
  /** Number of Euler steps n = round(2T/Δt). */
  steps: number;
  /** Index of the last step with target 0: k ≤ T/Δt → y_k = 0. */
  onset: number;
}

/**
 * Resolves and validates the options of the canonical model's Euler delayed-activation task
 * (docs/ghost-mechanism.md §1.3).
 *
 * @throws {RangeError} naming the argument for T ≤ 0, Δt ≤ 0, c ≤ 0, clip ≤ 0, noise < 0,
 *   non-finite values, a non-integer seed, or Δt > 2T (no step).
 */
export function canonicalTask(opts: CanonicalTaskOptions = {}): CanonicalTask {
  const T = opts.T ?? 100;
  const dt = opts.dt ?? 0.1;
  const c = opts.c ?? 1;
  const xStar = opts.xStar ?? 10;
  const x0 = opts.x0 ?? 0;
  const clip = opts.clip ?? 1e6;
  const noise = opts.noise ?? 0;
  const seed = opts.seed ?? 0;
  requirePositive("T", T);
  requirePositive("dt", dt);
  requirePositive("c", c);
  requireFinite("xStar", xStar);
  requireFinite("x0", x0);
  requirePositive("clip", clip);
  requireNonNegative("noise", noise);
  requireInteger("seed", seed, 0);
  const steps = Math.round((2 * T) / dt);
  if (steps < 1) throw new RangeError(`dt must be <= 2T = ${2 * T}, got ${dt}`);
  return { T, dt, c, xStar, x0, clip, noise, seed, steps, onset: T / dt };
}

/** A simulated trial of the delayed-activation task. */
export interface Trial {
  /** Times t_k = kΔt, k = 0 … n. */
  t: number[];
  /** States x_k (after clipping), k = 0 … n. */
  x: number[];
  /** Outputs o_k = σ(c(x_k − x*)), k = 1 … n (index 0 holds o at x0 for plotting). */
  output: number[];
  /** Targets y_k, k = 0 … n. */
  target: number[];
  /** Loss L = Δt·Σ_{k=1}^{n}(o_k − y_k)² (un-normalised; the figures plot L/T). */
  loss: number;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function noiseTerms(task: CanonicalTask): Float64Array | null {
  if (task.noise === 0) return null;
  const rng = new Rng(task.seed);
  const xi = rng.normals(task.steps);
  const a = Math.sqrt(task.dt) * task.noise;
  for (let i = 0; i < xi.length; i++) xi[i] *= a;
  return xi;
}

/**
 * Simulates one trial of the Euler-discretised task (docs/ghost-mechanism.md §1.3):
 * x_{k+1} = min(x_k + Δt·x_k² + Δt·r + √Δt·ε·ξ_k, clip), o_k = σ(c(x_k − x*)),
 * y_k = 1 if k > T/Δt else 0.
 *
 * @throws {RangeError} if r is not finite or an option is invalid (see {@linkcode canonicalTask}).
 */
export function simulateTrial(r: number, opts: CanonicalTaskOptions = {}): Trial {
  requireFinite("r", r);
  const task = canonicalTask(opts);
  const { steps, dt, c, xStar, clip } = task;
  const xi = noiseTerms(task);
  const t = new Array<number>(steps + 1);
  const x = new Array<number>(steps + 1);
  const output = new Array<number>(steps + 1);
  const target = new Array<number>(steps + 1);
  x[0] = task.x0;
  t[0] = 0;
  output[0] = sigmoid(c * (x[0] - xStar));
  target[0] = 0;
  let loss = 0;
  for (let k = 0; k < steps; k++) {
    let u = x[k] + dt * x[k] * x[k] + dt * r + (xi ? xi[k] : 0);
    if (u > clip) u = clip;
    x[k + 1] = u;
    t[k + 1] = (k + 1) * dt;
    const o = sigmoid(c * (u - xStar));
    output[k + 1] = o;
    const y = k + 1 - task.onset > 0 ? 1 : 0;
    target[k + 1] = y;
    loss += (o - y) * (o - y);
  }
  return { t, x, output, target, loss: loss * dt };
}

/** Loss and its derivative with respect to r. */
export interface LossAndGradient {
  /** L(r) = Δt·Σ(o_k − y_k)² (un-normalised). */
  loss: number;
  /** dL/dr (exact for the discrete loop, by the adjoint method). */
  gradient: number;
}

/**
 * Loss of the simulated task L(r) = Δt·Σ_{k=1}^{n}(o_k − y_k)² and its exact derivative dL/dr
 * (docs/ghost-mechanism.md §1.3; gradient by a hand-derived adjoint of the Euler loop):
 *
 * g_n = Δt·2(o_n − y_n)·c·o_n(1 − o_n); for k = n−1 … 1:
 * g_k = Δt·2(o_k − y_k)·c·o_k(1 − o_k) + g_{k+1}·m_{k+1}·(1 + 2Δt·x_k);
 * dL/dr = Σ_{k=1}^{n} g_k·m_k·Δt, where m_k = 0 if step k was clipped, else 1.
 *
 * The noise realisation (if any) is fixed by the seed, so the gradient is that of the sampled loss.
 * With `normalized: true` both values are divided by T.
 */
export function simulatedLossAndGradient(
  r: number,
  opts: CanonicalTaskOptions & { normalized?: boolean } = {},
): LossAndGradient {
  requireFinite("r", r);
  const task = canonicalTask(opts);
  const lg = taskLossAndGradient(r, task);
  if (!opts.normalized) return lg;
  return { loss: lg.loss / task.T, gradient: lg.gradient / task.T };
}

// Work buffers of taskLossAndGradient, grown on demand (the model is single-threaded per isolate).
let workX = new Float64Array(0); // x_k
let workDirect = new Float64Array(0); // ∂L/∂x_k through o_k only
let workMask = new Uint8Array(0); // 1 if step k (producing x_k) was not clipped

/**
 * The un-normalised loss and exact adjoint gradient of {@linkcode simulatedLossAndGradient}
 * (docs/ghost-mechanism.md §1.3) for an already resolved {@linkcode canonicalTask}: no option
 * parsing and no allocation per call, for inner loops such as gradient descent.
 *
 * Without noise the forward pass stops at the first step whose output is exactly 1 in float64 while
 * the flow x² + r is positive: x then only grows, so every later output is exactly 1, every later
 * term of the adjoint is exactly 0, and the remaining loss terms are the remaining steps with
 * target 0 — the result is bit-for-bit that of the full loop (checked in tests/canonical_test.ts).
 */
export function taskLossAndGradient(r: number, task: CanonicalTask): LossAndGradient {
  const { steps, dt, c, xStar, clip, onset } = task;
  const xi = noiseTerms(task);
  if (workX.length < steps + 1) {
    workX = new Float64Array(steps + 1);
    workDirect = new Float64Array(steps + 1);
    workMask = new Uint8Array(steps + 1);
  }
  const x = workX, direct = workDirect, mask = workMask;
  x[0] = task.x0;
  let loss = 0;
  let last = steps; // last step whose adjoint term can be non-zero
  for (let k = 0; k < steps; k++) {
    let u = x[k] + dt * x[k] * x[k] + dt * r + (xi ? xi[k] : 0);
    if (u > clip) {
      u = clip;
      mask[k + 1] = 0;
    } else mask[k + 1] = 1;
    x[k + 1] = u;
    const o = sigmoid(c * (u - xStar));
    const y = k + 1 - onset > 0 ? 1 : 0;
    loss += (o - y) * (o - y);
    direct[k + 1] = dt * 2 * (o - y) * c * o * (1 - o);
    if (o === 1 && !xi && u * u + r > 0) {
      for (let j = k + 2; j <= steps; j++) if (!(j - onset > 0)) loss += 1;
      last = k + 1;
      break;
    }
  }
  loss *= dt;
  let g = 0; // total ∂L/∂x_k
  let grad = 0;
  for (let k = last; k >= 1; k--) {
    g = direct[k] + (k < last ? g * mask[k + 1] * (1 + 2 * dt * x[k]) : 0);
    grad += g * mask[k] * dt;
  }
  return { loss, gradient: grad };
}

/** Simulated loss L(r) only (docs/ghost-mechanism.md §1.3); `normalized: true` gives L/T. */
export function simulatedLoss(
  r: number,
  opts: CanonicalTaskOptions & { normalized?: boolean } = {},
): number {
  return simulatedLossAndGradient(r, opts).loss;
}

/** A loss landscape sampled on a grid of r. */
export interface Landscape {
  /** Grid of r values. */
  r: number[];
  /** Loss at each r (L/T when normalised). */
  loss: number[];
  /** dL/dr at each r (of L/T when normalised). */
  gradient: number[];
}

/**
 * Simulated loss landscape and its exact gradient on a grid of r (Fig 2 loss panel, Fig 8A).
 * Defaults to the normalised L/T (what the figures plot); pass `normalized: false` for L.
 */
export function simulatedLandscape(
  rs: ArrayLike<number>,
  opts: CanonicalTaskOptions & { normalized?: boolean } = {},
): Landscape {
  requireFiniteArray("rs", rs);
  const o = { ...opts, normalized: opts.normalized ?? true };
  const r: number[] = [];
  const loss: number[] = [];
  const gradient: number[] = [];
  for (let i = 0; i < rs.length; i++) {
    const lg = simulatedLossAndGradient(rs[i], o);
    r.push(rs[i]);
    loss.push(lg.loss);
    gradient.push(lg.gradient);
  }
  return { r, loss, gradient };
}

/**
 * Time for the Euler-discretised state (task dynamics, no clipping, no noise) started at x0 to
 * first exceed `threshold`, linearly interpolated inside the crossing step; `Infinity` if it does
 * not within `maxTime` (docs/ghost-mechanism.md §1.2, compare with t_c = arctan(x* / √r)/√r).
 */
export function eulerCrossingTime(
  r: number,
  opts: { dt?: number; x0?: number; threshold?: number; maxTime?: number } = {},
): number {
  const dt = opts.dt ?? 0.1;
  const x0 = opts.x0 ?? 0;
  const thr = opts.threshold ?? 10;
  const maxTime = opts.maxTime ?? 1e7;
  requireFinite("r", r);
  requirePositive("dt", dt);
  requireFinite("x0", x0);
  requireFinite("threshold", thr);
  requirePositive("maxTime", maxTime);
  if (x0 >= thr) return 0;
  let x = x0;
  const n = Math.ceil(maxTime / dt);
  for (let k = 0; k < n; k++) {
    const u = x + dt * (x * x + r);
    if (u >= thr) return (k + (thr - x) / (u - x)) * dt;
    x = u;
  }
  return Infinity;
}

/**
 * Time for the exact flow dx/dt = x² + r to go from `from` to `to` (> from), measured with a
 * state-adaptive classical RK4 integrator (step h/(|x| + √|r|)), the final partial step computed by
 * Simpson's rule on dt/dx = 1/(x² + r) (docs/ghost-mechanism.md §1.1). Used to check the passage
 * law π/√r and the blow-up time π/(2√r) over many decades of r. Returns `Infinity` if `to` is not
 * reached (a fixed point blocks the way) within `maxSteps`.
 *
 * @param h relative step (default 1e-3): the step is h times the local time scale.
 */
export function measureTravelTime(
  r: number,
  from: number,
  to: number,
  opts: { h?: number; maxSteps?: number } = {},
): number {
  const h = opts.h ?? 1e-3;
  const maxSteps = opts.maxSteps ?? 10_000_000;
  requireFinite("r", r);
  requireFinite("from", from);
  requireFinite("to", to);
  requirePositive("h", h);
  requireInteger("maxSteps", maxSteps, 1);
  if (!(to > from)) throw new RangeError(`to must be > from = ${from}, got ${to}`);
  if (r <= 0 && from < Math.sqrt(-r) && to > -Math.sqrt(-r)) return Infinity;
  const f = (x: number) => x * x + r;
  const scale = Math.sqrt(Math.abs(r));
  let x = from;
  let t = 0;
  for (let i = 0; i < maxSteps; i++) {
    const dt = h / (Math.abs(x) + scale);
    const k1 = f(x);
    const k2 = f(x + 0.5 * dt * k1);
    const k3 = f(x + 0.5 * dt * k2);
    const k4 = f(x + dt * k3);
    const xn = x + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
    if (xn >= to) {
      // Final partial step with x as the independent variable: dt/dx = 1/f(x) (smooth, f > 0 here).
      const g = (y: number) => 1 / f(y);
      const dx = to - x;
      const rest = (dx / 6) * (g(x) + 4 * g(x + 0.5 * dx) + g(to));
      return t + rest;
    }
    x = xn;
    t += dt;
  }
  return Infinity;
}

/** A trajectory of the exact flow sampled on a uniform time grid. */
export interface FlowTrajectory {
  t: number[];
  x: number[];
}

/**
 * Trajectory x(t) of dx/dt = x² + r from x0 on t ∈ [0, tMax] with `samples` points, by RK4 with
 * `substeps` steps between samples; values above `cap` are replaced by `cap` (blow-up) so that the
 * result stays finite (docs/ghost-mechanism.md §1.1; used by the interactive figure of notebook
 * 01).
 */
export function flowTrajectory(
  r: number,
  x0: number,
  tMax: number,
  opts: { samples?: number; substeps?: number; cap?: number } = {},
): FlowTrajectory {
  const samples = opts.samples ?? 200;
  const substeps = opts.substeps ?? 20;
  const cap = opts.cap ?? 1e3;
  requireFinite("r", r);
  requireFinite("x0", x0);
  requirePositive("tMax", tMax);
  requireInteger("samples", samples, 2);
  requireInteger("substeps", substeps, 1);
  requirePositive("cap", cap);
  const f = (x: number) => x * x + r;
  const dt = tMax / (samples - 1) / substeps;
  const t: number[] = [0];
  const x: number[] = [x0];
  let s = x0;
  for (let i = 1; i < samples; i++) {
    for (let j = 0; j < substeps && s < cap; j++) {
      const k1 = f(s);
      const k2 = f(s + 0.5 * dt * k1);
      const k3 = f(s + 0.5 * dt * k2);
      const k4 = f(s + dt * k3);
      s = s + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
      if (!Number.isFinite(s)) s = cap;
    }
    if (s > cap) s = cap;
    t.push(i * tMax / (samples - 1));
    x.push(s);
  }
  return { t, x };
}

/** Result of {@linkcode passageTimeStudy}. */
export interface PassageStudy {
  /** Scale parameters r (> 0). */
  r: number[];
  /** Half-width L of the passage window [−L, L]. */
  L: number;
  /** Measured passage time from −L to +L (RK4). */
  passage: number[];
  /** The law π/√r. */
  passageLaw: number[];
  /** Measured time from x = 0 to x = +L (blow-up proxy). */
  blowUp: number[];
  /** The law t* = π/(2√r). */
  blowUpLaw: number[];
  /** max over r of |measured − law|/law for the passage time. */
  maxRelDevPassage: number;
  /** max over r of |measured − law|/law for the blow-up time. */
  maxRelDevBlowUp: number;
}

/**
 * Measures the bottleneck passage time (−L → +L) and the blow-up time (0 → +L) of the exact flow
 * for each r and compares them with π/√r and π/(2√r) (docs/ghost-mechanism.md §1.1–§1.2). The
 * finite window adds a relative bias ≈ 2√r/(πL) to the passage time (√r/(πL)·2 to the blow-up
 * time).
 */
export function passageTimeStudy(
  rs: ArrayLike<number>,
  opts: { L?: number; h?: number } = {},
): PassageStudy {
  const L = opts.L ?? 1e6;
  requirePositive("L", L);
  requireFiniteArray("rs", rs);
  const r: number[] = [];
  const passage: number[] = [];
  const passageLaw: number[] = [];
  const blowUp: number[] = [];
  const blowUpLaw: number[] = [];
  let d1 = 0, d2 = 0;
  for (let i = 0; i < rs.length; i++) {
    requirePositive(`rs[${i}]`, rs[i]);
    const v = rs[i];
    const p = measureTravelTime(v, -L, L, { h: opts.h });
    const b = measureTravelTime(v, 0, L, { h: opts.h });
    const pl = Math.PI / Math.sqrt(v);
    r.push(v);
    passage.push(p);
    passageLaw.push(pl);
    blowUp.push(b);
    blowUpLaw.push(pl / 2);
    d1 = Math.max(d1, Math.abs(p - pl) / pl);
    d2 = Math.max(d2, Math.abs(b - pl / 2) / (pl / 2));
  }
  return {
    r,
    L,
    passage,
    passageLaw,
    blowUp,
    blowUpLaw,
    maxRelDevPassage: d1,
    maxRelDevBlowUp: d2,
  };
}

/**
 * Derivative of samples y on a uniform grid of spacing dx, as numpy's `gradient` (second-order
 * central differences inside, first-order one-sided at the ends). The reference code draws Fig 8A
 * with it; on the Δt-discretised task it averages out the step-to-step jaggedness of the exact
 * derivative of the discrete loss.
 */
export function gridGradient(y: ArrayLike<number>, dx: number): number[] {
  requireFiniteArray("y", y);
  requirePositive("dx", dx);
  const n = y.length;
  if (n < 2) throw new RangeError(`y must have at least 2 samples, got ${n}`);
  const g = new Array<number>(n);
  g[0] = (y[1] - y[0]) / dx;
  g[n - 1] = (y[n - 1] - y[n - 2]) / dx;
  for (let i = 1; i < n - 1; i++) g[i] = (y[i + 1] - y[i - 1]) / (2 * dx);
  return g;
}
