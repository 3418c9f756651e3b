/**
 * Plot builders of the slow-point toolbox (lib/plot style: each returns a {@linkcode Figure}):
 * the 2-D log-speed map with direction arrows, trajectories, slow points by class and read-out
 * decision regions (docs/ghost-mechanism.md §2.4, Fig 4); 3-D PCA trajectories with slow points
 * coloured by log speed (§2.7, Fig 5); the 1-D flow with its slow points (§2.1, Fig 3).
 *
 * @module
 */

import type { Figure } from "../plot/mod.ts";
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
  /** Slow points to mark by class (symbols and colours of {@linkcode SLOW_POINT_STYLE}). */
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
export const SLOW_POINT_STYLE: Record<SlowPoint["kind"], { symbol: string; color: string }> = {
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
  void system, opts;
  throw new Error("TODO");
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
  void model, trajectories, points, opts;
  throw new Error("TODO");
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
  void system, opts;
  throw new Error("TODO");
}
