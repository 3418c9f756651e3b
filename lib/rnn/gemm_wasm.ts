/**
 * SIMD (f64x2) WebAssembly version of the C = A Bᵀ kernel (see gemm_wat.ts for the source; the
 * bytes below are `wat2wasm` output of `gemmWat()` from npm `wabt@1.0.39`). Falls back to the
 * JS kernel when WebAssembly SIMD is unavailable (docs/ghost-mechanism.md §5: speed of the full-rank engine).
 *
 * @module
 */

import { moduleFromBase64 } from "../wasm.ts";
import { gemmABt } from "./kernels.ts";

const WASM_B64 =
  "AGFzbQEAAAABCwFgB39/f39/f38AAgwBA2VudgNtZW0CAAEDAgEABwgBBGdlbW0AAArHDgHEDgMPfwF8C3sgBEEDdCEMIARBfnFBA3QhCiAEQQFxIQsgA0F8cSENQQAhBwJAA0AgB0EBaiABTg0BIAAgByAEbGpBA3QhDiAOIAxqIQ8gBSAHIAZsakEDdCEUIBQgBkEDdGohFUEAIQgCQANAIAggDU4NASACIAggBGxqQQN0IRAgECAMaiERIBEgDGohEiASIAxqIRNEAAAAAAAAAAD9FCEaRAAAAAAAAAAA/RQhG0QAAAAAAAAAAP0UIRxEAAAAAAAAAAD9FCEdRAAAAAAAAAAA/RQhHkQAAAAAAAAAAP0UIR9EAAAAAAAAAAD9FCEgRAAAAAAAAAAA/RQhIUEAIQkCQANAIAkgCk8NASAOIAlq/QAEACEXIA8gCWr9AAQAIRggECAJav0ABAAhGSAaIBcgGf3yAf3wASEaIB4gGCAZ/fIB/fABIR4gESAJav0ABAAhGSAbIBcgGf3yAf3wASEbIB8gGCAZ/fIB/fABIR8gEiAJav0ABAAhGSAcIBcgGf3yAf3wASEcICAgGCAZ/fIB/fABISAgEyAJav0ABAAhGSAdIBcgGf3yAf3wASEdICEgGCAZ/fIB/fABISEgCUEQaiEJDAALCyAa/SEAIBr9IQGgIRYgCwRAIBYgDiAKaisDACAQIApqKwMAoqAhFgsgFCAIQQBqQQN0aiAWOQMAIBv9IQAgG/0hAaAhFiALBEAgFiAOIApqKwMAIBEgCmorAwCioCEWCyAUIAhBAWpBA3RqIBY5AwAgHP0hACAc/SEBoCEWIAsEQCAWIA4gCmorAwAgEiAKaisDAKKgIRYLIBQgCEECakEDdGogFjkDACAd/SEAIB39IQGgIRYgCwRAIBYgDiAKaisDACATIApqKwMAoqAhFgsgFCAIQQNqQQN0aiAWOQMAIB79IQAgHv0hAaAhFiALBEAgFiAPIApqKwMAIBAgCmorAwCioCEWCyAVIAhBAGpBA3RqIBY5AwAgH/0hACAf/SEBoCEWIAsEQCAWIA8gCmorAwAgESAKaisDAKKgIRYLIBUgCEEBakEDdGogFjkDACAg/SEAICD9IQGgIRYgCwRAIBYgDyAKaisDACASIApqKwMAoqAhFgsgFSAIQQJqQQN0aiAWOQMAICH9IQAgIf0hAaAhFiALBEAgFiAPIApqKwMAIBMgCmorAwCioCEWCyAVIAhBA2pBA3RqIBY5AwAgCEEEaiEIDAALCwJAA0AgCCADTg0BIAIgCCAEbGpBA3QhEEQAAAAAAAAAAP0UIRpEAAAAAAAAAAD9FCEeQQAhCQJAA0AgCSAKTw0BIA4gCWr9AAQAIRcgDyAJav0ABAAhGCAQIAlq/QAEACEZIBogFyAZ/fIB/fABIRogHiAYIBn98gH98AEhHiAJQRBqIQkMAAsLIBr9IQAgGv0hAaAhFiALBEAgFiAOIApqKwMAIBAgCmorAwCioCEWCyAUIAhBAGpBA3RqIBY5AwAgHv0hACAe/SEBoCEWIAsEQCAWIA8gCmorAwAgECAKaisDAKKgIRYLIBUgCEEAakEDdGogFjkDACAIQQFqIQgMAAsLIAdBAmohBwwACwsgByABSARAIAAgByAEbGpBA3QhDiAFIAcgBmxqQQN0IRRBACEIAkADQCAIIA1ODQEgAiAIIARsakEDdCEQIBAgDGohESARIAxqIRIgEiAMaiETRAAAAAAAAAAA/RQhGkQAAAAAAAAAAP0UIRtEAAAAAAAAAAD9FCEcRAAAAAAAAAAA/RQhHUEAIQkCQANAIAkgCk8NASAOIAlq/QAEACEXIBAgCWr9AAQAIRkgGiAXIBn98gH98AEhGiARIAlq/QAEACEZIBsgFyAZ/fIB/fABIRsgEiAJav0ABAAhGSAcIBcgGf3yAf3wASEcIBMgCWr9AAQAIRkgHSAXIBn98gH98AEhHSAJQRBqIQkMAAsLIBr9IQAgGv0hAaAhFiALBEAgFiAOIApqKwMAIBAgCmorAwCioCEWCyAUIAhBAGpBA3RqIBY5AwAgG/0hACAb/SEBoCEWIAsEQCAWIA4gCmorAwAgESAKaisDAKKgIRYLIBQgCEEBakEDdGogFjkDACAc/SEAIBz9IQGgIRYgCwRAIBYgDiAKaisDACASIApqKwMAoqAhFgsgFCAIQQJqQQN0aiAWOQMAIB39IQAgHf0hAaAhFiALBEAgFiAOIApqKwMAIBMgCmorAwCioCEWCyAUIAhBA2pBA3RqIBY5AwAgCEEEaiEIDAALCwJAA0AgCCADTg0BIAIgCCAEbGpBA3QhEEQAAAAAAAAAAP0UIRpBACEJAkADQCAJIApPDQEgDiAJav0ABAAhFyAQIAlq/QAEACEZIBogFyAZ/fIB/fABIRogCUEQaiEJDAALCyAa/SEAIBr9IQGgIRYgCwRAIBYgDiAKaisDACAQIApqKwMAoqAhFgsgFCAIQQBqQQN0aiAWOQMAIAhBAWohCAwACwsLCw==";

let cached: WebAssembly.Module | null | undefined;

function wasmModule(): WebAssembly.Module | null {
  if (cached === undefined) cached = moduleFromBase64(WASM_B64);
  return cached;
}

/** Whether the SIMD WebAssembly kernel can be used on this runtime. */
export function wasmGemmAvailable(): boolean {
  return wasmModule() !== null;
}

/** A float64 buffer with its element offset inside an {@linkcode Arena}. */
export interface Buf {
  v: Float64Array;
  off: number;
}

/**
 * A fixed-size float64 arena: buffers allocated from it live in one WebAssembly memory (when the
 * SIMD kernel is available) so that `gemm` can run on them without copies.
 */
export class Arena {
  readonly #sizes: number[];
  readonly #bufs: Buf[] = [];
  readonly #gemm: ((...a: number[]) => void) | null;
  /** True when gemm runs in WebAssembly SIMD. */
  readonly wasm: boolean;

  /** @param sizes element counts of the buffers, allocated in order by {@linkcode take}. */
  constructor(sizes: number[], useWasm = true) {
    this.#sizes = sizes;
    const mod = useWasm ? wasmModule() : null;
    // 2-element alignment so every buffer starts on a 16-byte boundary
    const offs: number[] = [];
    let total = 0;
    for (const n of sizes) {
      offs.push(total);
      total += n + (n % 2);
    }
    if (mod !== null) {
      const pages = Math.max(1, Math.ceil((total * 8) / 65536));
      const mem = new WebAssembly.Memory({ initial: pages });
      const inst = new WebAssembly.Instance(mod, { env: { mem } });
      this.#gemm = inst.exports.gemm as (...a: number[]) => void;
      for (let i = 0; i < sizes.length; i++) {
        this.#bufs.push({ v: new Float64Array(mem.buffer, offs[i] * 8, sizes[i]), off: offs[i] });
      }
    } else {
      this.#gemm = null;
      for (const n of sizes) this.#bufs.push({ v: new Float64Array(n), off: 0 });
    }
    this.wasm = this.#gemm !== null;
  }

  /** The i-th buffer (in the order of the constructor's sizes). */
  take(i: number): Buf {
    if (i < 0 || i >= this.#sizes.length) {
      throw new RangeError(`buffer index must be in [0, ${this.#sizes.length}), got ${i}`);
    }
    return this.#bufs[i];
  }

  /** C = A Bᵀ on arena buffers (same contract as {@linkcode gemmABt}, indices relative to each buffer). */
  gemm(
    A: Buf,
    aIdx: number,
    nA: number,
    B: Buf,
    bIdx: number,
    nB: number,
    len: number,
    C: Buf,
    cIdx: number,
    ldc: number,
  ): void {
    if (this.#gemm !== null) {
      this.#gemm(A.off + aIdx, nA, B.off + bIdx, nB, len, C.off + cIdx, ldc);
    } else {
      gemmABt(A.v, aIdx, nA, B.v, bIdx, nB, len, C.v, cIdx, ldc);
    }
  }
}
