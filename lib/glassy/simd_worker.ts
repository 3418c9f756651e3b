/**
 * Worker side of the SIMD engine (`simd_engine.ts`): runs part 1 of every command of the §4 step
 * (`simd_step.ts`) on the shared memory until told to exit.
 *
 * @module
 */

import { simdKernels } from "./simd_wasm.ts";
import { barrier, CTRL, simdLayout, type SimdShape, StepPart } from "./simd_step.ts";

interface Init {
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  shape: SimdShape;
}

/** The worker scope (typed locally so that the file checks under the default Deno lib). */
const scope = self as unknown as {
  onmessage: (ev: MessageEvent<Init>) => void;
  postMessage(msg: string): void;
  close(): void;
};

scope.onmessage = (ev: MessageEvent<Init>) => {
  const { memory, ctrl: buf, shape } = ev.data;
  const layout = simdLayout(shape);
  const part = new StepPart(layout, 1, new Float32Array(memory.buffer), simdKernels(memory));
  const ctrl = new Int32Array(buf);
  scope.postMessage("ready");
  for (;;) {
    barrier(ctrl); // start of a command
    if (ctrl[CTRL.CMD] === 3) break;
    part.run(ctrl, () => {});
  }
  scope.close();
};
