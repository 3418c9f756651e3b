/**
 * The compute engines behind {@linkcode GlassyTrainer} (`docs/glassy-dynamics.md` §8): an engine
 * holds the weights and the states of every time column and runs the §4 step on them; everything
 * else (records, losses, checkpoints, the noise variance) works on the named arrays it exposes.
 *
 * Engines: `"simd"` (default: float32 WebAssembly SIMD kernels on two threads over shared memory,
 * `simd_engine.ts`), `"tfjs-wasm"` and `"tfjs-cpu"` (TensorFlow.js, `tf_engine.ts`; the place to
 * add a GPU backend such as TF.js WebGPU).
 *
 * Array names (trainer orientation, row-major, unpadded): `Wt` = Wᵀ (nv × nv), `Kt` = Kᵀ (w × nv),
 * `J0t` = J0ᵀ (nv × w), `h` (1 × nv), `Jt{l}` = J_lᵀ, `Mt{l}` = M_lᵀ (w × w), the time-major
 * training states `mu{l}`, `m{l}`, `delta{l}`, `n{l}` (T × w), `H`, `e` (T × nv) and the test states
 * `muTest{l}`, `mTest{l}` (T_test × w).
 *
 * @module
 */

import type { ChoraleData } from "./data.ts";
import type { ModelShape } from "./model.ts";

/** Engines a trainer can run on. */
export type EngineName = "simd" | "tfjs-wasm" | "tfjs-cpu";

/** All engine names, for validation and docs. */
const ENGINE_NAMES: readonly EngineName[] = ["simd", "tfjs-wasm", "tfjs-cpu"];

/** What an engine needs to allocate itself. */
export interface EngineInit extends ModelShape {
  data: ChoraleData;
  batchSize: number;
}

/** The storage and the §4 step of one trainer. */
export interface StepEngine {
  /** Which engine this is. */
  readonly name: EngineName;
  /**
   * One §4 step: the weight update with learning rate `eta` over the minibatch `cols` (§4.4), the
   * relaxation of all training columns (§4.5), the polar re-orthogonalisation of every M_l if
   * `orthogonalize` (§4.6), and, if `test` (default true), the test-column pass (§4.7).
   */
  step(eta: number, cols: Int32Array, orthogonalize: boolean, test?: boolean): void;
  /** A float32 copy of a named array (see the module doc), row-major, unpadded. */
  read(name: string): Float32Array;
  /** Overwrites a named array with `values` (row-major, unpadded). */
  write(name: string, values: ArrayLike<number>): void;
  /** [rows, cols] of a named array. */
  shape(name: string): [number, number];
  /** Frees buffers and threads. */
  dispose(): void;
}

/** The names of all arrays of a depth-d engine, in checkpoint order. */
export function arrayNames(d: number): string[] {
  const L = (p: string, n: number) => Array.from({ length: n }, (_, l) => `${p}${l}`);
  return [
    "Wt",
    "Kt",
    "J0t",
    "h",
    "H",
    "e",
    ...L("Jt", d - 1),
    ...L("Mt", d),
    ...L("mu", d),
    ...L("m", d),
    ...L("delta", d),
    ...L("n", d),
    ...L("muTest", d),
    ...L("mTest", d),
  ];
}

/** [rows, cols] of a named array for a given shape and data. @throws {RangeError} if unknown. */
export function arrayShape(
  name: string,
  nv: number,
  w: number,
  d: number,
  T: number,
  Tt: number,
): [number, number] {
  const m = /^([A-Za-z]+?)(\d*)$/.exec(name);
  const base = m?.[1] ?? "";
  const l = m?.[2] === "" ? -1 : Number(m?.[2]);
  const fixed: Record<string, [number, number]> = {
    Wt: [nv, nv],
    Kt: [w, nv],
    J0t: [nv, w],
    h: [1, nv],
    H: [T, nv],
    e: [T, nv],
  };
  if (name in fixed) return fixed[name];
  const layered: Record<string, [[number, number], number]> = {
    Jt: [[w, w], d - 1],
    Mt: [[w, w], d],
    mu: [[T, w], d],
    m: [[T, w], d],
    delta: [[T, w], d],
    n: [[T, w], d],
    muTest: [[Tt, w], d],
    mTest: [[Tt, w], d],
  };
  if (l >= 0 && base in layered && l < layered[base][1]) return layered[base][0];
  throw new RangeError(`unknown engine array "${name}" (names: ${arrayNames(d).join(", ")})`);
}

/**
 * Creates an engine. @throws {RangeError} for an unknown name; {Error} if the runtime lacks what
 * the engine needs (the message names the alternative).
 */
export async function createEngine(name: EngineName, init: EngineInit): Promise<StepEngine> {
  if (name === "simd") return await (await import("./simd_engine.ts")).SimdEngine.create(init);
  if (name === "tfjs-wasm" || name === "tfjs-cpu") {
    return await (await import("./tf_engine.ts")).TfEngine.create(init, name);
  }
  throw new RangeError(`engine must be one of ${ENGINE_NAMES.join(", ")}, got "${name}"`);
}
