/**
 * The slow-point toolbox (docs/ghost-mechanism.md §1.1, §2.1, §2.4, §2.7): dynamical systems of
 * every `lib/rnn` model with the speed q(x) = ½‖F(x)‖², the slow-point finder (batched Newton
 * minimisation, dedup, outliers, classification incl. ghosts and their passage time), Jacobian
 * spectra, PCA and plot builders; plus the latent basis of low-rank RNNs. The rank-one flow F(κ)
 * itself lives in `lib/rnn/flow.ts` (it is recorded during training).
 *
 * @module
 */

export * from "./latent.ts";
export * from "./system.ts";
export * from "./spectrum.ts";
export * from "./finder.ts";
export * from "./pca.ts";
export * from "./plots.ts";
