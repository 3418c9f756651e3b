/**
 * The default glassy engine (`docs/glassy-dynamics.md` §8): the §4 step of `simd_step.ts` in
 * float32 WebAssembly SIMD, on the calling thread plus one Web Worker over one shared memory, each
 * on half of the time columns. The step stays synchronous: the calling thread runs its half and
 * meets the worker at barriers (Atomics).
 *
 * @module
 */

import { arrayNames, type EngineInit, type StepEngine } from "./engine.ts";
import { polarOrthogonal } from "./linalg.ts";
import { simdKernels } from "./simd_wasm.ts";
import { barrier, CTRL, type SimdLayout, simdLayout, StepPart } from "./simd_step.ts";

/** Options of the SIMD engine. */
export interface SimdOptions {
  /** 2 (default: the calling thread and one worker) or 1 (no worker). */
  threads?: 1 | 2;
}

/** The float32 SIMD engine (see the module doc). */
export class SimdEngine implements StepEngine {
  readonly name = "simd" as const;
  readonly layout: SimdLayout;
  #f: Float32Array;
  #ctrl: Int32Array;
  #part: StepPart;
  #worker: Worker | null;
  #names: Set<string>;

  private constructor(
    layout: SimdLayout,
    f: Float32Array,
    ctrl: Int32Array,
    part: StepPart,
    worker: Worker | null,
  ) {
    this.layout = layout;
    this.#f = f;
    this.#ctrl = ctrl;
    this.#part = part;
    this.#worker = worker;
    this.#names = new Set(arrayNames(layout.d));
  }

  /** Allocates the shared memory, loads the data and starts the worker. */
  static async create(init: EngineInit, opts: SimdOptions = {}): Promise<SimdEngine> {
    const threads = opts.threads ?? 2;
    if (threads !== 1 && threads !== 2) {
      throw new RangeError(`threads must be 1 or 2, got ${threads}`);
    }
    const { data } = init;
    const shape = {
      nv: data.nv,
      w: init.width,
      d: init.depth,
      T: data.train.T,
      Tt: data.test.T,
      mbs: init.batchSize,
      threads,
    } as const;
    const layout = simdLayout(shape);
    const pages = Math.ceil((layout.size * 4) / 65536) + 1;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const kernels = simdKernels(memory);
    const f = new Float32Array(memory.buffer);
    const ctrlBuf = new SharedArrayBuffer((CTRL.HEADER + 2 + init.batchSize) * 4);
    const ctrl = new Int32Array(ctrlBuf);
    const part = new StepPart(layout, 0, f, kernels);
    let worker: Worker | null = null;
    if (threads === 2) {
      worker = new Worker(new URL("./simd_worker.ts", import.meta.url), { type: "module" });
      const w = worker;
      await new Promise<void>((resolve, reject) => {
        w.onmessage = () => resolve();
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`glassy SIMD worker failed to start: ${e.message}`));
        };
        w.postMessage({ memory, ctrl: ctrlBuf, shape });
      });
    }
    const eng = new SimdEngine(layout, f, ctrl, part, worker);
    const S = layout.slots;
    const put = (name: string, rows: ArrayLike<number>) => eng.#put(S[name], rows);
    put("x", data.train.x);
    put("s", data.train.s);
    put("startKeep", Array.from(data.train.starts, (v) => 1 - v));
    put("endKeep", Array.from(data.train.ends, (v) => 1 - v));
    put("xTest", data.test.x);
    put("startKeepTest", Array.from(data.test.starts, (v) => 1 - v));
    return eng;
  }

  #put(s: { off: number; rows: number; cols: number; ld: number }, v: ArrayLike<number>) {
    if (v.length !== s.rows * s.cols) {
      throw new RangeError(
        `expected ${s.rows}×${s.cols} = ${s.rows * s.cols} values, got ${v.length}`,
      );
    }
    const f = this.#f;
    for (let i = 0; i < s.rows; i++) {
      const o = s.off + i * s.ld;
      for (let j = 0; j < s.cols; j++) f[o + j] = v[i * s.cols + j];
    }
  }

  #slot(name: string) {
    if (!this.#names.has(name)) {
      throw new RangeError(
        `unknown engine array "${name}" (names: ${[...this.#names].join(", ")})`,
      );
    }
    return this.layout.slots[name];
  }

  step(eta: number, cols: Int32Array, orthogonalize: boolean, test = true): void {
    const c = this.#ctrl;
    c[CTRL.CMD] = 1;
    c[CTRL.ORTH] = orthogonalize ? 1 : 0;
    c[CTRL.TEST] = test ? 1 : 0;
    new Float64Array(c.buffer, CTRL.HEADER * 4, 1)[0] = eta;
    c.set(cols, CTRL.HEADER + 2);
    barrier(c, this.layout.threads); // start
    this.#part.run(c, () => this.#orthogonalize());
  }

  #orthogonalize(): void {
    const { d, w } = this.layout;
    for (let l = 0; l < d; l++) {
      // polar(Mᵀ) = polar(M)ᵀ, so the stored transpose can be projected directly
      const q = polarOrthogonal(Float64Array.from(this.read(`Mt${l}`)), w);
      this.write(`Mt${l}`, q);
    }
  }

  read(name: string): Float32Array {
    const s = this.#slot(name);
    const out = new Float32Array(s.rows * s.cols);
    for (let i = 0; i < s.rows; i++) {
      out.set(this.#f.subarray(s.off + i * s.ld, s.off + i * s.ld + s.cols), i * s.cols);
    }
    return out;
  }

  write(name: string, values: ArrayLike<number>): void {
    const s = this.#slot(name);
    this.#put(s, values);
    // keep the paper-orientation copies in sync
    if (name === "Kt") this.#part.transposeInto("Kp", "Kt");
    const m = /^(Jt|Mt)(\d+)$/.exec(name);
    if (m) this.#part.transposeInto(`${m[1][0]}p${m[2]}`, name);
  }

  shape(name: string): [number, number] {
    const s = this.#slot(name);
    return [s.rows, s.cols];
  }

  dispose(): void {
    if (this.#worker) {
      this.#ctrl[CTRL.CMD] = 3;
      barrier(this.#ctrl);
      this.#worker.terminate();
      this.#worker = null;
    }
  }
}
