/**
 * The 1-D canonical model of the ghost mechanism, dx/dt = x² + r (Dinc et al., arXiv:2501.02378;
 * docs/ghost-mechanism.md §1): closed forms (fixed points / ghost, blow-up and passage times, the
 * high-confidence loss landscape, its gradient, the critical learning rate α_c), the Euler
 * delayed-activation task with an exact adjoint gradient, gradient descent on r (single, batched,
 * the Fig 2d sweep), the measured critical learning rate and its power law in T, and figure
 * builders.
 *
 * @module
 */

export * from "./analytic.ts";
export * from "./simulate.ts";
export * from "./learning.ts";
export * from "./critical.ts";
export * from "./plots.ts";
