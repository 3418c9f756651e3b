import assert from "node:assert/strict";
import { assemble, committedBase64, kernelStatus, toBase64 } from "../tools/wasm.ts";
import { gemmWat } from "../lib/rnn/gemm_wat.ts";

Deno.test("wasm: committed kernel bytes equal wat2wasm (npm wabt) output of their generators", async () => {
  for (const s of await kernelStatus()) {
    assert.equal(
      s.regenerated,
      s.committed,
      `${s.kernel.target} is stale: run \`deno task wasm\` and commit the result`,
    );
  }
});

Deno.test("wasm: the assembled gemm computes C = A Bᵀ", async () => {
  const bytes = await assemble(gemmWat());
  const mem = new WebAssembly.Memory({ initial: 1 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } });
  const gemm = inst.exports.gemm as (...a: number[]) => void;
  const nA = 3, nB = 5, len = 7; // odd sizes exercise every tail path
  const f = new Float64Array(mem.buffer);
  const aOff = 0, bOff = nA * len, cOff = bOff + nB * len;
  for (let i = 0; i < cOff; i++) f[i] = Math.sin(i + 1);
  gemm(aOff, nA, bOff, nB, len, cOff, nB);
  for (let a = 0; a < nA; a++) {
    for (let b = 0; b < nB; b++) {
      let s = 0;
      for (let k = 0; k < len; k++) s += f[aOff + a * len + k] * f[bOff + b * len + k];
      assert.ok(Math.abs(f[cOff + a * nB + b] - s) < 1e-12, `C[${a},${b}]`);
    }
  }
});

Deno.test("wasm: invalid WAT and a module without WASM_B64 give clear errors", async () => {
  await assert.rejects(() => assemble("(module (func (result i32)))"));
  assert.throws(() => committedBase64("export const x = 1;", "lib/x_wasm.ts"), /WASM_B64/);
  assert.equal(toBase64(new Uint8Array([0, 97, 115, 109])), "AGFzbQ==");
});
