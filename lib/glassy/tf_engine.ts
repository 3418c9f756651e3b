/**
 * The TensorFlow.js glassy engine (`docs/glassy-dynamics.md` §8): the §4 step as TF.js ops on the
 * wasm or cpu backend, float32. Slower than the SIMD engine on a CPU (see the README), kept as the
 * switchable alternative: a GPU backend (TF.js WebGPU) plugs in here.
 *
 * @module
 */

import type * as TF from "@tensorflow/tfjs-core";
import { arrayNames, arrayShape, type EngineInit, type StepEngine } from "./engine.ts";
import { polarOrthogonal } from "./linalg.ts";
import { useBackend } from "./tf.ts";

type T2 = TF.Tensor2D;

/** The TF.js engine (see the module doc). */
export class TfEngine implements StepEngine {
  readonly name: "tfjs-wasm" | "tfjs-cpu";
  #tf: typeof TF;
  #d: number;
  #w: number;
  #a = new Map<string, T2>();
  #shapes = new Map<string, [number, number]>();
  #x: T2;
  #s: T2;
  #startKeep: T2;
  #endKeep: T2;
  #xTest: T2;
  #startKeepTest: T2;

  private constructor(tf: typeof TF, init: EngineInit, name: "tfjs-wasm" | "tfjs-cpu") {
    this.name = name;
    this.#tf = tf;
    const { data, depth: d, width: w } = init;
    this.#d = d;
    this.#w = w;
    const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
    const keep = (a: Uint8Array) => Float32Array.from(a, (v) => 1 - v);
    this.#x = tf.tensor2d(f32(data.train.x), [data.train.T, data.nv]);
    this.#s = tf.tensor2d(f32(data.train.s), [data.train.T, data.nv]);
    this.#startKeep = tf.tensor2d(keep(data.train.starts), [data.train.T, 1]);
    this.#endKeep = tf.tensor2d(keep(data.train.ends), [data.train.T, 1]);
    this.#xTest = tf.tensor2d(f32(data.test.x), [data.test.T, data.nv]);
    this.#startKeepTest = tf.tensor2d(keep(data.test.starts), [data.test.T, 1]);
    for (const n of arrayNames(d)) {
      const sh = arrayShape(n, data.nv, w, d, data.train.T, data.test.T);
      this.#shapes.set(n, sh);
      this.#a.set(n, tf.zeros(sh) as T2);
    }
  }

  /** A TF.js engine on the given backend. */
  static async create(init: EngineInit, name: "tfjs-wasm" | "tfjs-cpu"): Promise<TfEngine> {
    const tf = await useBackend(name === "tfjs-wasm" ? "wasm" : "cpu");
    return new TfEngine(tf, init, name);
  }

  #get(n: string): T2 {
    const t = this.#a.get(n);
    if (!t) {
      throw new RangeError(
        `unknown engine array "${n}" (names: ${arrayNames(this.#d).join(", ")})`,
      );
    }
    return t;
  }

  #set(n: string, t: T2): void {
    this.#a.get(n)?.dispose();
    this.#a.set(n, t);
  }

  step(eta: number, cols: Int32Array, orthogonalize: boolean, test = true): void {
    const tf = this.#tf;
    const d = this.#d;
    const g = (n: string) => this.#get(n);
    const L = (p: string) => Array.from({ length: d }, (_, l) => g(`${p}${l}`));
    // §4.4: update from the held states
    const k = eta / cols.length;
    const upd = tf.tidy(() => {
      const idx = tf.tensor1d(cols, "int32");
      const gat = (a: T2) => tf.gather(a, idx) as T2;
      const gT = (a: T2) => tf.transpose(gat(a)) as T2;
      const xbT = gT(this.#x);
      const eb = gat(g("e"));
      const db = L("delta").map(gat);
      const mu = L("mu"), m = L("m");
      const add = (p: T2, dir: TF.Tensor) => tf.add(p, tf.mul(dir, k)) as T2;
      const out: [string, T2][] = [
        ["Wt", add(g("Wt"), tf.matMul(xbT, eb))],
        ["Kt", add(g("Kt"), tf.matMul(gT(mu[d - 1]), eb))],
        ["h", add(g("h"), tf.sum(eb, 0, true))],
        ["J0t", add(g("J0t"), tf.matMul(xbT, db[0]))],
      ];
      for (let l = 0; l < d - 1; l++) {
        out.push([`Jt${l}`, add(g(`Jt${l}`), tf.matMul(gT(mu[l]), db[l + 1]))]);
      }
      for (let l = 0; l < d; l++) {
        out.push([`Mt${l}`, add(g(`Mt${l}`), tf.matMul(gT(m[l]), db[l]))]);
      }
      return Object.fromEntries(out) as Record<string, T2>;
    });
    for (const [n, t] of Object.entries(upd)) this.#set(n, t);
    // §4.5: recompute all columns
    const T = this.#x.shape[0];
    const tanh = (z: TF.Tensor) => tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1) as T2;
    const shiftDown = (a: T2, rows: number) =>
      tf.pad(tf.slice(a, [0, 0], [rows - 1, -1]), [[1, 0], [0, 0]]) as T2;
    const shiftUp = (a: T2, rows: number) =>
      tf.pad(tf.slice(a, [1, 0], [rows - 1, -1]), [[0, 1], [0, 0]]) as T2;
    // μ_l = tanh(J μ_{l−1} + M_l m_l) over all layers (§4.5, §4.7)
    const layers = (x: T2, m: T2[]) => {
      const mu: T2[] = [];
      for (let l = 0; l < d; l++) {
        const below = l === 0 ? tf.matMul(x, g("J0t")) : tf.matMul(mu[l - 1], g(`Jt${l - 1}`));
        mu.push(tanh(tf.add(below, tf.matMul(m[l], g(`Mt${l}`)))));
      }
      return mu;
    };
    const next = tf.tidy(() => {
      const mOld = L("m"), nOld = L("n"), dOld = L("delta");
      const mu = layers(this.#x, mOld);
      const m = mu.map((u, l) =>
        tf.mul(tf.mul(tf.add(mOld[l], shiftDown(u, T)), 0.5), this.#startKeep) as T2
      );
      const n = dOld.map((dl, l) =>
        tf.mul(tf.mul(tf.add(nOld[l], shiftUp(dl, T)), 0.5), this.#endKeep) as T2
      );
      const H = tf.add(
        tf.add(tf.matMul(mu[d - 1], g("Kt")), tf.matMul(this.#x, g("Wt"))),
        g("h"),
      ) as T2;
      const e = tf.sub(this.#s, tanh(H)) as T2;
      const delta: T2[] = new Array(d);
      for (let l = d - 1; l >= 0; l--) {
        const X = tf.sub(1, tf.square(mu[l]));
        const fromAbove = l === d - 1
          ? tf.matMul(e, g("Kt"), false, true)
          : tf.matMul(delta[l + 1], g(`Jt${l}`), false, true);
        const rec = tf.matMul(n[l], g(`Mt${l}`), false, true);
        delta[l] = tf.mul(X, tf.add(fromAbove, rec)) as T2;
      }
      const out: [string, T2][] = [["H", H], ["e", e]];
      for (let l = 0; l < d; l++) {
        out.push([`mu${l}`, mu[l]], [`m${l}`, m[l]], [`n${l}`, n[l]], [`delta${l}`, delta[l]]);
      }
      return Object.fromEntries(out) as Record<string, T2>;
    });
    for (const [n, t] of Object.entries(next)) this.#set(n, t);
    // §4.6
    if (orthogonalize) {
      for (let l = 0; l < d; l++) {
        // polar(Mᵀ) = polar(M)ᵀ, so the stored transpose can be projected directly
        this.write(`Mt${l}`, polarOrthogonal(Float64Array.from(this.read(`Mt${l}`)), this.#w));
      }
    }
    if (!test) return;
    // §4.7: test states, no averaging
    const Tt = this.#xTest.shape[0];
    const testStates = tf.tidy(() => {
      const mTestOld = L("mTest");
      const muTest = layers(this.#xTest, mTestOld);
      const out: [string, T2][] = [];
      muTest.forEach((u, l) => {
        out.push([`muTest${l}`, u], [
          `mTest${l}`,
          tf.mul(shiftDown(u, Tt), this.#startKeepTest) as T2,
        ]);
      });
      return Object.fromEntries(out) as Record<string, T2>;
    });
    for (const [n, t] of Object.entries(testStates)) this.#set(n, t);
  }

  read(name: string): Float32Array {
    return Float32Array.from(this.#get(name).dataSync());
  }

  write(name: string, values: ArrayLike<number>): void {
    const sh = this.shape(name);
    if (values.length !== sh[0] * sh[1]) {
      throw new RangeError(`${name} needs ${sh[0]}×${sh[1]} values, got ${values.length}`);
    }
    this.#set(name, this.#tf.tensor2d(Float32Array.from(values), sh));
  }

  shape(name: string): [number, number] {
    const s = this.#shapes.get(name);
    if (!s) throw new RangeError(`unknown engine array "${name}"`);
    return s;
  }

  dispose(): void {
    this.#tf.dispose([
      ...this.#a.values(),
      this.#x,
      this.#s,
      this.#startKeep,
      this.#endKeep,
      this.#xTest,
      this.#startKeepTest,
    ]);
    this.#a.clear();
  }
}
