/**
 * Exercise checks in the notebooks (nbgrader convention). A solution cell holds the reference
 * answer between `// BEGIN SOLUTION` and `// END SOLUTION`; the check cell after it asserts with
 * `node:assert/strict` and ends with `await award("ex1", 2)`. `deno task grade` scores an exercise
 * by whether its check cell ran to `award` without an error.
 *
 * @module
 */

import { show } from "./display.ts";

/** Reports that exercise `id` passed its checks, worth `points`. */
export async function award(id: string, points: number): Promise<void> {
  await show(`✓ Exercise ${id}: all checks passed (${points}/${points} points).`);
}

/** The error a student version's stub throws in place of a solution. */
export function notImplemented(id: string): never {
  throw new Error(`Exercise ${id}: not implemented yet — replace this line with your solution.`);
}
