/**
 * Ghost / slow-point analysis (DESIGN: speed q(x), slow points, latent flow fields). So far: the
 * latent flow of low-rank RNNs (ghost spec §2.4); the rank-one flow F(κ) lives in
 * `lib/rnn/flow.ts` (it is recorded during training).
 *
 * @module
 */

export * from "./latent.ts";
export { countSignChanges, rankOneFlow } from "../rnn/flow.ts";
