/**
 * Compiled bytes of the glassy engine's float32 SIMD kernels (source and regeneration:
 * `simd_wat.ts`; `docs/glassy-dynamics.md` §8). Needs WebAssembly SIMD, relaxed SIMD and threads
 * (shared memory), all on by default in Deno 2.
 *
 * @module
 */

const WASM_B64 =
  "AGFzbQEAAAABIQRgCn9/f39/f39/f38AYAN/f38AYAV/f39/fwBgAn9/AAIPAQNlbnYDbWVtAgMBgIAEAwgHAAEBAgICAwc3BwRnZW1tAAAEeG11bAABBHJzdWIAAgNhdmcAAwhrZWVwY29weQAEBmFkZHJvdwAFBHRhbmgABgrnDgf3BwISfwt7IAFBAnQhDiADQQJ0IQ8gBUECdCEQIAdBAnQhESAIQQV0IRIgBkF8cSETQQAhCgJAA0AgCiATTw0BIAAgCkEAaiAObGohFCAEIApBAGogEGxqIRUgACAKQQFqIA5saiEWIAQgCkEBaiAQbGohFyAAIApBAmogDmxqIRggBCAKQQJqIBBsaiEZIAAgCkEDaiAObGohGiAEIApBA2ogEGxqIRtBACELAkADQCALIBJPDQEgCQR7IBUgC2r9AAQABf0MAAAAAAAAAAAAAAAAAAAAAAshHyAJBHsgFSALav0ABBAF/QwAAAAAAAAAAAAAAAAAAAAACyEgIAkEeyAXIAtq/QAEAAX9DAAAAAAAAAAAAAAAAAAAAAALISEgCQR7IBcgC2r9AAQQBf0MAAAAAAAAAAAAAAAAAAAAAAshIiAJBHsgGSALav0ABAAF/QwAAAAAAAAAAAAAAAAAAAAACyEjIAkEeyAZIAtq/QAEEAX9DAAAAAAAAAAAAAAAAAAAAAALISQgCQR7IBsgC2r9AAQABf0MAAAAAAAAAAAAAAAAAAAAAAshJSAJBHsgGyALav0ABBAF/QwAAAAAAAAAAAAAAAAAAAAACyEmIAIgC2ohDUEAIQwCQANAIAwgEU8NASAN/QAEACEcIA39AAQQIR0gFCAMav0JAgAhHiAeIBwgH/2FAiEfIB4gHSAg/YUCISAgFiAMav0JAgAhHiAeIBwgIf2FAiEhIB4gHSAi/YUCISIgGCAMav0JAgAhHiAeIBwgI/2FAiEjIB4gHSAk/YUCISQgGiAMav0JAgAhHiAeIBwgJf2FAiElIB4gHSAm/YUCISYgDSAPaiENIAxBBGohDAwACwsgFSALaiAf/QsEACAVIAtqICD9CwQQIBcgC2ogIf0LBAAgFyALaiAi/QsEECAZIAtqICP9CwQAIBkgC2ogJP0LBBAgGyALaiAl/QsEACAbIAtqICb9CwQQIAtBIGohCwwACwsgCkEEaiEKDAALCwJAA0AgCiAGTw0BIAAgCkEAaiAObGohFCAEIApBAGogEGxqIRVBACELAkADQCALIBJPDQEgCQR7IBUgC2r9AAQABf0MAAAAAAAAAAAAAAAAAAAAAAshHyAJBHsgFSALav0ABBAF/QwAAAAAAAAAAAAAAAAAAAAACyEgIAIgC2ohDUEAIQwCQANAIAwgEU8NASAN/QAEACEcIA39AAQQIR0gFCAMav0JAgAhHiAeIBwgH/2FAiEfIB4gHSAg/YUCISAgDSAPaiENIAxBBGohDAwACwsgFSALaiAf/QsEACAVIAtqICD9CwQQIAtBIGohCwwACwsgCkEBaiEKDAALCwtgAgF/AXsgACACQQR0aiEDAkADQCAAIANPDQEgAf0ABAAhBCAAIAD9AAQA/QwAAIA/AACAPwAAgD8AAIA/IAQgBP3mAf3lAf3mAf0LBAAgAEEQaiEAIAFBEGohAQwACwsLQAEBfyAAIAJBBHRqIQMCQANAIAAgA08NASAAIAH9AAQAIAD9AAQA/eUB/QsEACAAQRBqIQAgAUEQaiEBDAALCwuBAQMDfwF7AX8gBEECdiEHIAEhCQJAA0AgBSADTw0BIAIqAgBDAAAAP5T9EyEIIAJBBGohAkEAIQYCQANAIAYgB08NASAAIAD9AAQAIAH9AAQA/eQBIAj95gH9CwQAIABBEGohACABQRBqIQEgBkEBaiEGDAALCyAFQQFqIQUMAAsLC3gDA38BewF/IARBAnYhByABIQkCQANAIAUgA08NASACKgIAQwAAgD+U/RMhCCACQQRqIQJBACEGAkADQCAGIAdPDQEgACAB/QAEACAI/eYB/QsEACAAQRBqIQAgAUEQaiEBIAZBAWohBgwACwsgBUEBaiEFDAALCwtqAwN/AXsBfyAEQQJ2IQcgASEJAkADQCAFIANPDQEgCSEBQQAhBgJAA0AgBiAHTw0BIAAgAP0ABAAgAf0ABAD95AH9CwQAIABBEGohACABQRBqIQEgBkEBaiEGDAALCyAFQQFqIQUMAAsLC+ICAgF/AnsgACABQQR0aiECAkADQCAAIAJPDQH9DE/4/MBP+PzAT/j8wE/4/MD9DE/4/EBP+PxAT/j8QE/4/EAgAP0ABAD96AH96QEhAyADIAP95gEhBCAAIAMgBCAEIAQgBCAEIAT9DMAln6XAJZ+lwCWfpcAln6X9DH4zYSp+M2EqfjNhKn4zYSr9hQL9DP83va7/N72u/ze9rv83va79hQL9DEEAXDNBAFwzQQBcM0EAXDP9hQL9DEpDeTdKQ3k3SkN5N0pDeTf9hQL9DO0NJzrtDSc67Q0nOu0NJzr9hQL9DNxZoDvcWaA73FmgO9xZoDv9hQL95gEgBCAEIAT9DNjToDXY06A12NOgNdjToDX9DNaV+DjWlfg41pX4ONaV+Dj9hQL9DAWqFDsFqhQ7BaoUOwWqFDv9hQL9DN1ZoDvdWaA73VmgO91ZoDv9hQL95wH9CwQAIABBEGohAAwACwsL";

let cached: WebAssembly.Module | null | undefined;

/** The compiled kernel module, or null if this runtime cannot compile it. */
function simdModule(): WebAssembly.Module | null {
  if (cached !== undefined) return cached;
  try {
    const bin = Uint8Array.from(atob(WASM_B64), (ch) => ch.charCodeAt(0));
    cached = new WebAssembly.Module(bin);
  } catch {
    cached = null;
  }
  return cached;
}

/** The exported kernels (pointers in bytes, strides in float32 elements; see `simd_wat.ts`). */
export interface SimdKernels {
  /** C (+)= A·B over rows × 8·nblk, inner dimension k. */
  gemm(
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    rows: number,
    k: number,
    nblk: number,
    acc: number,
  ): void;
  /** In-place tanh of 4·n4 floats at byte pointer p. */
  tanh(p: number, n4: number): void;
  /** d ← d ⊙ (1 − u²) over 4·n4 floats. */
  xmul(d: number, u: number, n4: number): void;
  /** d ← s − d over 4·n4 floats. */
  rsub(d: number, s: number, n4: number): void;
  /** Row r of `rows` (ld floats each): d_r ← (d_r + s_r) · ½ keep[r]. */
  avg(d: number, s: number, keep: number, rows: number, ld: number): void;
  /** Row r: d_r ← s_r · keep[r]. */
  keepcopy(d: number, s: number, keep: number, rows: number, ld: number): void;
  /** Row r: d_r ← d_r + h (`keep` unused). */
  addrow(d: number, h: number, keep: number, rows: number, ld: number): void;
}

/** Instantiates the kernels on a shared memory. @throws {Error} if SIMD/threads are unavailable. */
export function simdKernels(mem: WebAssembly.Memory): SimdKernels {
  const mod = simdModule();
  if (mod === null) {
    throw new Error(
      "the glassy SIMD engine needs WebAssembly SIMD, relaxed SIMD and threads; " +
        'use engine "tfjs-wasm" on this runtime',
    );
  }
  return new WebAssembly.Instance(mod, { env: { mem } }).exports as unknown as SimdKernels;
}
