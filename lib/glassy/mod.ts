/**
 * Glassy dynamics near the learnability transition in deep recurrent networks (Hertz & Tyrcha,
 * arXiv:2412.10094; docs/glassy-dynamics.md): JSB chorales data, the stacked tanh RNN and its
 * relaxation-SGD trainer (TF.js), learning-time / critical-width / power-law analysis, and the
 * aging observable Δ(τ_w, τ).
 *
 * @module
 */

export * from "./data.ts";
export * from "./linalg.ts";
export * from "./model.ts";
export * from "./tf.ts";
export * from "./config.ts";
export * from "./engine.ts";
export * from "./noise.ts";
export * from "./checkpoint.ts";
export * from "./trainer.ts";
export * from "./analysis.ts";
export * from "./aging.ts";
export * from "./experiments.ts";
export * from "./ladder.ts";
export * from "./plots.ts";
