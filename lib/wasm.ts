/**
 * Loading the project's committed WebAssembly kernels (generic machinery shared by the RNN engine's
 * f64x2 kernels in `lib/rnn/*_wasm.ts` and the glassy engine's f32x4 kernels in
 * `lib/glassy/simd_wasm.ts`). The bytes are regenerated from their WAT generators by
 * `deno task wasm` (`tools/wasm.ts`), never edited by hand.
 *
 * @module
 */

/**
 * Compiles committed WebAssembly bytes (base64, as in the `WASM_B64` constants of the `*_wasm.ts`
 * kernels); null when this runtime cannot (e.g. no WebAssembly SIMD), so callers fall back to JS.
 */
export function moduleFromBase64(b64: string): WebAssembly.Module | null {
  try {
    return new WebAssembly.Module(Uint8Array.fromBase64(b64));
  } catch {
    return null;
  }
}
