/**
 * Regenerates the committed WebAssembly bytes from their WAT generators with `wat2wasm` from the
 * npm package `wabt` (so the base64 constants in `*_wasm.ts` are never edited by hand).
 *
 * Usage:
 *   deno task wasm            rewrite the `WASM_B64` constant of every kernel listed in KERNELS
 *   deno task wasm --check    only compare; exit 1 naming every kernel whose bytes differ
 *
 * @module
 */

import wabt from "wabt";
import { gemmWat } from "../lib/rnn/gemm_wat.ts";
import { rankKWat } from "../lib/rnn/rankk_wat.ts";
import { simdWat } from "../lib/glassy/simd_wat.ts";

/** One WebAssembly kernel: its WAT generator and the module holding the committed bytes. */
export interface WasmKernel {
  /** Short name shown in messages. */
  name: string;
  /** Returns the WAT text of the module. */
  wat: () => string;
  /** Repository-relative path of the TypeScript module whose `const WASM_B64 = "…";` holds the bytes. */
  target: string;
}

/** The kernels this project ships as WebAssembly (add a row per new `*_wat.ts` / `*_wasm.ts` pair). */
export const KERNELS: WasmKernel[] = [
  { name: "rnn gemm (f64x2)", wat: gemmWat, target: "lib/rnn/gemm_wasm.ts" },
  {
    name: "rank-K pair epochs (f64x2)",
    wat: () => rankKWat("f64x2"),
    target: "lib/rnn/rankk_wasm.ts",
  },
  {
    name: "rank-K quad epochs (f32x4)",
    wat: () => rankKWat("f32x4"),
    target: "lib/rnn/rankk_f32x4_wasm.ts",
  },
  {
    name: "glassy step kernels (f32x4, shared memory)",
    wat: simdWat,
    target: "lib/glassy/simd_wasm.ts",
  },
];

const B64_RE = /const WASM_B64 =\s*"([A-Za-z0-9+/=]*)";/;

/**
 * Assembles WAT text to a WebAssembly binary with wabt's `wat2wasm` (SIMD, relaxed SIMD and
 * threads enabled, LEBs canonicalised, no debug names) — the same bytes `wat2wasm file.wat` writes —
 * and validates them by compiling them in this runtime.
 */
export async function assemble(
  wat: string,
  filename = "module.wat",
): Promise<Uint8Array<ArrayBuffer>> {
  const w = await wabt();
  const mod = w.parseWat(filename, wat, { simd: true, relaxed_simd: true, threads: true });
  try {
    mod.resolveNames();
    const { buffer } = mod.toBinary({ canonicalize_lebs: true, write_debug_names: false });
    const bytes = new Uint8Array(buffer);
    // validated by the runtime that will run it (wabt.js's own validator rejects shared memories
    // even with `threads` enabled)
    try {
      new WebAssembly.Module(bytes);
    } catch (e) {
      throw new Error(`${filename}: invalid module: ${(e as Error).message}`);
    }
    return bytes;
  } finally {
    mod.destroy();
  }
}

/** Base64 of a byte array (as committed in `WASM_B64`). */
export function toBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** The base64 bytes committed in a kernel's target module. */
export function committedBase64(source: string, target: string): string {
  const m = B64_RE.exec(source);
  if (m === null) {
    throw new Error(
      `${target}: no \`const WASM_B64 = "…";\` found — the kernel module must hold its bytes there`,
    );
  }
  return m[1];
}

/** Result of regenerating one kernel. */
export interface KernelStatus {
  kernel: WasmKernel;
  /** Base64 of the freshly assembled bytes. */
  regenerated: string;
  /** Base64 currently committed in the target. */
  committed: string;
}

/** Assembles every kernel and reads what is committed (from `root`, default the repository). */
export async function kernelStatus(
  root = new URL("../", import.meta.url),
): Promise<KernelStatus[]> {
  const out: KernelStatus[] = [];
  for (const kernel of KERNELS) {
    const text = await Deno.readTextFile(new URL(kernel.target, root));
    out.push({
      kernel,
      regenerated: toBase64(await assemble(kernel.wat(), kernel.name)),
      committed: committedBase64(text, kernel.target),
    });
  }
  return out;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const unknown = Deno.args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(
      `wasm: unknown argument(s) ${unknown.join(" ")}; usage: deno task wasm [--check]`,
    );
    Deno.exit(2);
  }
  let stale = 0;
  for (const s of await kernelStatus()) {
    const same = s.regenerated === s.committed;
    if (same) {
      console.log(`${s.kernel.target}: up to date (${s.kernel.name})`);
    } else if (check) {
      stale++;
      console.error(
        `${s.kernel.target}: committed bytes differ from wat2wasm output — run \`deno task wasm\``,
      );
    } else {
      const path = new URL(`../${s.kernel.target}`, import.meta.url);
      const text = await Deno.readTextFile(path);
      await Deno.writeTextFile(
        path,
        text.replace(B64_RE, `const WASM_B64 =\n  "${s.regenerated}";`),
      );
      console.log(`${s.kernel.target}: rewritten (${s.kernel.name})`);
    }
  }
  if (stale > 0) Deno.exit(1);
}
