/**
 * Exercise checks in the notebooks (nbgrader convention, see DEVELOPING.md). A solution cell holds
 * the reference answer between `// BEGIN SOLUTION` and `// END SOLUTION`; the check cell after it
 * asserts with `node:assert/strict` and ends with `await award("ex1", 2)`.
 *
 * `deno task assignment` replaces each solution region by `notImplemented("ex1")`;
 * `deno task grade` scores an exercise by whether its check cell reached {@linkcode award} without
 * an error ({@linkcode cellFailed} is what the grader's wrapping calls when a cell throws).
 *
 * @module
 */

import { type Displayable, show } from "./display.ts";

/** MIME type of the machine-readable exercise outcomes that `deno task grade` reads. */
export const EXERCISE_MIME = "application/vnd.ghostlab.exercise+json";

/** One machine-readable exercise outcome published into a cell's outputs. */
export interface ExerciseOutcome {
  /** Exercise id (`ex1`, …); absent for a failing cell outside any exercise. */
  exercise?: string;
  /** True for {@linkcode award}, false for {@linkcode cellFailed}. */
  passed: boolean;
  /** Points awarded (award only). */
  points?: number;
  /** `Name: message` of the error (cellFailed only). */
  error?: string;
}

function outcome(data: ExerciseOutcome, text: string): Displayable {
  // the Jupyter display protocol (the symbol lib/display.ts reads)
  const bundle = () => ({ "text/plain": text, [EXERCISE_MIME]: data });
  return { [Symbol.for("Jupyter.display")]: bundle } as unknown as Displayable;
}

/** Reports that exercise `id` passed its checks, worth `points`. */
export async function award(id: string, points: number): Promise<void> {
  await show(outcome(
    { exercise: id, passed: true, points },
    `✓ Exercise ${id}: all checks passed (${points}/${points} points).`,
  ));
}

/** The error a student version's stub throws in place of a solution. */
export function notImplemented(id: string): never {
  throw new Error(`Exercise ${id}: not implemented yet — replace this line with your solution.`);
}

/** `Name: message` of anything thrown. */
function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `thrown value: ${String(e)}`;
}

/**
 * Records that a cell threw while being graded (called by the code `deno task grade` wraps around
 * each cell, so that the notebook keeps running and later exercises are still graded).
 */
export async function cellFailed(exercise: string | undefined, e: unknown): Promise<void> {
  const error = errorText(e);
  await show(outcome(
    { exercise, passed: false, error },
    `✗ ${exercise ? `Exercise ${exercise}` : "This cell"} failed: ${error}`,
  ));
}
