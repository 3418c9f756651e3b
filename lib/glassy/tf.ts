/**
 * TensorFlow.js backend selection for the glassy trainer (docs/glassy-dynamics.md §8). The default is the wasm backend
 * (SIMD, single-threaded in Deno), loaded from the installed package's `dist/` folder (no CDN).
 * The pure-JS `cpu` backend is available for comparison (it prints TF.js's Node banner).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** Backends the glassy trainer can run on. */
export type GlassyBackend = "wasm" | "cpu";

let wasmPathSet = false;

/** File-system path (with trailing slash) of `@tensorflow/tfjs-backend-wasm/dist/`. */
function wasmDistPath(): string {
  const url = new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url);
  return decodeURIComponent(url.pathname);
}

/**
 * Makes `backend` the active TF.js backend (idempotent).
 *
 * @throws {RangeError} for an unknown backend name; {Error} if the backend fails to initialise.
 */
export async function useBackend(backend: GlassyBackend = "wasm"): Promise<typeof tf> {
  if (backend !== "wasm" && backend !== "cpu") {
    throw new RangeError(`backend must be "wasm" or "cpu", got "${backend}"`);
  }
  if (!wasmPathSet) {
    setWasmPaths(wasmDistPath()); // before anything can initialise the wasm backend
    wasmPathSet = true;
  }
  if (tf.getBackend() === backend) return tf;
  if (backend === "cpu") await import("@tensorflow/tfjs");
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`TF.js backend "${backend}" failed to initialise`);
  await tf.ready();
  return tf;
}
