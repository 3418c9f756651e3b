/**
 * The full-rank curve of Figure 6A (docs/ghost-mechanism.md §2.2, §3 Figure 6) as its own sweep;
 * the protocol is {@linkcode fig6aSweep} of `fig6a_lr.ts`.
 *
 * @module
 */

import { fig6aSweep } from "./fig6a_lr.ts";

/** The full-rank Fig 6A sweep: lr ∈ logspace(−4, 1, 30) × 10 seeds at paper scale. */
export const sweep = fig6aSweep("fullRank");
