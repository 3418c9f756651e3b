/**
 * The §4 step of the glassy trainer (`docs/glassy-dynamics.md` §4.1–4.7) on float32 buffers in one
 * shared WebAssembly memory, split into phases that two threads run on disjoint halves of the time
 * columns (`simd_engine.ts` runs part 0 on the calling thread, `simd_worker.ts` part 1).
 *
 * Layout: every state matrix is time-major with its row padded to a multiple of 8 floats (nvp, wp;
 * padding columns stay 0 because padded weight columns are 0 and tanh 0 = 0). Weights are held as
 * the right-hand factor B of C = A·B: the transposes used by the forward pass (Wt = Wᵀ, Kt = Kᵀ,
 * J0t = J0ᵀ, Jt_l = J_lᵀ, Mt_l = M_lᵀ, as in the checkpoints) and paper-orientation copies used by
 * the backward pass (Kp = K, Jp_l = J_l, Mp_l = M_l), refreshed after every update.
 *
 * Phases of one step (each thread on its own rows; `|` = barrier):
 * update (part 0: W, K, h, J0; part 1: J_l, M_l) | forward μ_l, H, e and n_l ← (n_l + δ_l^old(t+1))/2
 * | m_l ← (m_l + μ_l(t−1))/2 and δ_l (top-down) | [orthogonalise M, part 0] | [test forward μ_test |
 * m_test ← μ_test(t−1)] | (the test pass is left out in the trainer's "exact" test mode, §4.7).
 *
 * @module
 */

import type { SimdKernels } from "./simd_wasm.ts";

/** Sizes of one engine instance. */
export interface SimdShape {
  nv: number;
  w: number;
  d: number;
  /** Training columns. */
  T: number;
  /** Test columns. */
  Tt: number;
  /** Minibatch size. */
  mbs: number;
  /** 1 (the calling thread does everything) or 2 (plus one worker). */
  threads: 1 | 2;
}

/** One named float32 buffer: element offset, rows, logical columns and row stride. */
export interface Slot {
  off: number;
  rows: number;
  cols: number;
  ld: number;
}

/** Buffer offsets (float32 elements) of every array in the shared memory. */
export interface SimdLayout extends SimdShape {
  nvp: number;
  wp: number;
  slots: Record<string, Slot>;
  /** Total float32 elements. */
  size: number;
  /** Row ranges [start, end) of the two parts: training and test columns. */
  trainSplit: [number, number, number];
  testSplit: [number, number, number];
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** Computes the layout (deterministic, so the worker can recompute it from the shape). */
export function simdLayout(shape: SimdShape): SimdLayout {
  const { nv, w, d, T, Tt, mbs } = shape;
  const nvp = pad8(nv);
  const wp = pad8(w);
  const slots: Record<string, Slot> = {};
  let off = 0;
  const add = (name: string, rows: number, cols: number, ld: number) => {
    slots[name] = { off, rows, cols, ld };
    off += Math.ceil((rows * ld) / 4) * 4; // 16-byte aligned
  };
  add("x", T, nv, nvp);
  add("s", T, nv, nvp);
  add("startKeep", T, 1, 1);
  add("endKeep", T, 1, 1);
  add("xTest", Tt, nv, nvp);
  add("startKeepTest", Tt, 1, 1);
  add("Wt", nv, nv, nvp);
  add("Kt", w, nv, nvp);
  add("J0t", nv, w, wp);
  add("h", 1, nv, nvp);
  add("Kp", nv, w, wp);
  for (let l = 0; l < d - 1; l++) {
    add(`Jt${l}`, w, w, wp);
    add(`Jp${l}`, w, w, wp);
  }
  for (let l = 0; l < d; l++) {
    add(`Mt${l}`, w, w, wp);
    add(`Mp${l}`, w, w, wp);
  }
  for (const p of ["mu", "m", "delta", "n"]) for (let l = 0; l < d; l++) add(`${p}${l}`, T, w, wp);
  add("H", T, nv, nvp);
  add("e", T, nv, nvp);
  for (const p of ["muTest", "mTest"]) for (let l = 0; l < d; l++) add(`${p}${l}`, Tt, w, wp);
  // minibatch scratch: part 0 (W, K, h, J0), part 1 (J_l, M_l)
  add("xbT", nv, mbs, mbs);
  add("eb", mbs, nv, nvp);
  add("mubTlast", w, mbs, mbs);
  add("db0main", mbs, w, wp);
  for (let l = 0; l < d; l++) {
    add(`mubT${l}`, w, mbs, mbs);
    add(`mbT${l}`, w, mbs, mbs);
    add(`db${l}`, mbs, w, wp);
  }
  const half = (n: number): [number, number, number] =>
    shape.threads === 2 ? [0, Math.floor(n / 2), n] : [0, n, n];
  return { ...shape, nvp, wp, slots, size: off, trainSplit: half(T), testSplit: half(Tt) };
}

/** Control block shared by the two threads (Int32Array over a SharedArrayBuffer). */
export const CTRL = {
  /** Barrier generation counter. */
  GEN: 0,
  /** Barrier arrival count. */
  COUNT: 1,
  /** Command: 1 = train step, 2 = test step, 3 = exit. */
  CMD: 2,
  /** 1 if the train step is followed by an M orthogonalisation (part 0 waits for it). */
  ORTH: 3,
  /** 1 if the train step is followed by the test-column pass (§4.7). */
  TEST: 4,
  /** Number of int32 entries, followed by the batch indices. */
  HEADER: 8,
} as const;

/** A two-party barrier over the control block (spins briefly, then sleeps with Atomics.wait). */
export function barrier(ctrl: Int32Array, threads: 1 | 2 = 2): void {
  if (threads === 1) return;
  const gen = Atomics.load(ctrl, CTRL.GEN);
  if (Atomics.add(ctrl, CTRL.COUNT, 1) === 1) {
    Atomics.store(ctrl, CTRL.COUNT, 0);
    Atomics.add(ctrl, CTRL.GEN, 1);
    Atomics.notify(ctrl, CTRL.GEN);
    return;
  }
  for (let i = 0; i < 20000; i++) if (Atomics.load(ctrl, CTRL.GEN) !== gen) return;
  while (Atomics.load(ctrl, CTRL.GEN) === gen) Atomics.wait(ctrl, CTRL.GEN, gen, 50);
}

/** The phases of the step for one part (0 or 1) over a shared memory. */
export class StepPart {
  readonly L: SimdLayout;
  readonly part: 0 | 1;
  readonly f: Float32Array;
  readonly k: SimdKernels;

  constructor(layout: SimdLayout, part: 0 | 1, f: Float32Array, kernels: SimdKernels) {
    this.L = layout;
    this.part = part;
    this.f = f;
    this.k = kernels;
  }

  /** C[rows r0…r1) (+)= A·B with k inner terms (slots by name). */
  #gemm(c: string, a: string, b: string, k: number, r0: number, r1: number, acc: 0 | 1) {
    const S = this.L.slots;
    const C = S[c], A = S[a], B = S[b];
    this.k.gemm(
      (A.off + r0 * A.ld) * 4,
      A.ld,
      B.off * 4,
      B.ld,
      (C.off + r0 * C.ld) * 4,
      C.ld,
      r1 - r0,
      k,
      C.ld / 8,
      acc,
    );
  }

  #tanh(name: string, r0: number, r1: number) {
    const s = this.L.slots[name];
    this.k.tanh((s.off + r0 * s.ld) * 4, ((r1 - r0) * s.ld) / 4);
  }

  /** Copies rows `cols` of slot `src` into slot `dst`: transposed and scaled (A form) or not. */
  #gather(dst: string, src: string, cols: Int32Array, transposed: boolean, scale: number) {
    const f = this.f;
    const D = this.L.slots[dst], S = this.L.slots[src];
    const n = cols.length;
    if (transposed) {
      for (let b = 0; b < n; b++) {
        const so = S.off + cols[b] * S.ld;
        for (let i = 0; i < S.cols; i++) f[D.off + i * D.ld + b] = scale * f[so + i];
      }
    } else {
      for (let b = 0; b < n; b++) {
        const so = S.off + cols[b] * S.ld;
        f.copyWithin(D.off + b * D.ld, so, so + S.ld);
      }
    }
  }

  /** Writes the paper-orientation copy `dst` (n × m) of the transposed weight `src` (m × n). */
  transposeInto(dst: string, src: string): void {
    const f = this.f;
    const D = this.L.slots[dst], S = this.L.slots[src];
    for (let i = 0; i < S.rows; i++) {
      for (let j = 0; j < S.cols; j++) f[D.off + j * D.ld + i] = f[S.off + i * S.ld + j];
    }
  }

  /** §4.4 weight update of this part's parameter classes: θ += (η/mbs) Σ_b (…). */
  update(eta: number, cols: Int32Array): void {
    const { d, nv, w, mbs } = this.L;
    const k = eta / mbs;
    if (this.part === 0 || this.L.threads === 1) {
      this.#gather("xbT", "x", cols, true, k);
      this.#gather("eb", "e", cols, false, 1);
      this.#gather("mubTlast", `mu${d - 1}`, cols, true, k);
      this.#gather("db0main", "delta0", cols, false, 1);
      this.#gemm("Wt", "xbT", "eb", mbs, 0, nv, 1);
      this.#gemm("Kt", "mubTlast", "eb", mbs, 0, w, 1);
      this.#gemm("J0t", "xbT", "db0main", mbs, 0, nv, 1);
      const f = this.f;
      const h = this.L.slots.h.off, eb = this.L.slots.eb;
      for (let j = 0; j < nv; j++) {
        let s = 0;
        for (let b = 0; b < mbs; b++) s += f[eb.off + b * eb.ld + j];
        f[h + j] += k * s;
      }
      this.transposeInto("Kp", "Kt");
    }
    if (this.part === 1 || this.L.threads === 1) {
      for (let l = 0; l < d; l++) {
        this.#gather(`db${l}`, `delta${l}`, cols, false, 1);
        this.#gather(`mbT${l}`, `m${l}`, cols, true, k);
        if (l < d - 1) this.#gather(`mubT${l}`, `mu${l}`, cols, true, k);
      }
      for (let l = 0; l < d - 1; l++) {
        this.#gemm(`Jt${l}`, `mubT${l}`, `db${l + 1}`, mbs, 0, w, 1);
        this.transposeInto(`Jp${l}`, `Jt${l}`);
      }
      for (let l = 0; l < d; l++) {
        this.#gemm(`Mt${l}`, `mbT${l}`, `db${l}`, mbs, 0, w, 1);
        this.transposeInto(`Mp${l}`, `Mt${l}`);
      }
    }
  }

  /** Forward relaxation of this part's training columns: μ_l, H, e; then n_l from the old δ. */
  forward(): void {
    const { d, nv, w, T, nvp, wp } = this.L;
    const S = this.L.slots;
    const f = this.f;
    const r0 = this.L.trainSplit[this.part], r1 = this.L.trainSplit[this.part + 1];
    this.#layers("mu", "m", "x", r0, r1);
    this.#gemm("H", `mu${d - 1}`, "Kt", w, r0, r1, 0);
    this.#gemm("H", "x", "Wt", nv, r0, r1, 1);
    const K = this.k;
    const H = S.H, e = S.e;
    K.addrow(4 * (H.off + r0 * nvp), 4 * S.h.off, 0, r1 - r0, nvp);
    f.copyWithin(e.off + r0 * nvp, H.off + r0 * nvp, H.off + r1 * nvp);
    this.#tanh("e", r0, r1);
    K.rsub(4 * (e.off + r0 * nvp), 4 * (S.s.off + r0 * nvp), ((r1 - r0) * nvp) / 4);
    // n(t) ← (n(t) + δ_old(t+1)) · ½ endKeep(t); δ_old(T) = 0
    const endKeep = S.endKeep.off;
    const rEnd = Math.min(r1, T - 1);
    for (let l = 0; l < d; l++) {
      const n = S[`n${l}`].off, del = S[`delta${l}`].off;
      K.avg(4 * (n + r0 * wp), 4 * (del + (r0 + 1) * wp), 4 * (endKeep + r0), rEnd - r0, wp);
      if (r1 === T) {
        const o = n + (T - 1) * wp;
        const keep = 0.5 * f[endKeep + T - 1];
        for (let j = 0; j < w; j++) f[o + j] *= keep;
      }
    }
  }

  /** m_l from the new μ_l(t−1), then δ_l top-down (§4.5) on this part's training columns. */
  backward(): void {
    const { d, nv, w, wp } = this.L;
    const S = this.L.slots;
    const f = this.f;
    const r0 = this.L.trainSplit[this.part], r1 = this.L.trainSplit[this.part + 1];
    const K = this.k;
    // m(t) ← (m(t) + μ(t−1)) · ½ startKeep(t); μ(−1) = 0
    const startKeep = S.startKeep.off;
    const rStart = Math.max(r0, 1);
    for (let l = 0; l < d; l++) {
      const m = S[`m${l}`].off, mu = S[`mu${l}`].off;
      if (r0 === 0) {
        const keep = 0.5 * f[startKeep];
        for (let j = 0; j < w; j++) f[m + j] *= keep;
      }
      K.avg(
        4 * (m + rStart * wp),
        4 * (mu + (rStart - 1) * wp),
        4 * (startKeep + rStart),
        r1 - rStart,
        wp,
      );
    }
    for (let l = d - 1; l >= 0; l--) {
      if (l === d - 1) this.#gemm(`delta${l}`, "e", "Kp", nv, r0, r1, 0);
      else this.#gemm(`delta${l}`, `delta${l + 1}`, `Jp${l}`, w, r0, r1, 0);
      this.#gemm(`delta${l}`, `n${l}`, `Mp${l}`, w, r0, r1, 1);
      const del = S[`delta${l}`].off, mu = S[`mu${l}`].off;
      K.xmul(4 * (del + r0 * wp), 4 * (mu + r0 * wp), ((r1 - r0) * wp) / 4);
    }
  }

  /** Test-column forward pass μ_test (§4.7) on this part's test columns. */
  testForward(): void {
    this.#layers(
      "muTest",
      "mTest",
      "xTest",
      this.L.testSplit[this.part],
      this.L.testSplit[this.part + 1],
    );
  }

  /** μ_l = tanh(J μ_{l−1} + M_l m_l) for every layer over rows r0…r1 (§4.5, §4.7). */
  #layers(mu: string, m: string, x: string, r0: number, r1: number): void {
    const { d, nv, w } = this.L;
    for (let l = 0; l < d; l++) {
      if (l === 0) this.#gemm(`${mu}0`, x, "J0t", nv, r0, r1, 0);
      else this.#gemm(`${mu}${l}`, `${mu}${l - 1}`, `Jt${l - 1}`, w, r0, r1, 0);
      this.#gemm(`${mu}${l}`, `${m}${l}`, `Mt${l}`, w, r0, r1, 1);
      this.#tanh(`${mu}${l}`, r0, r1);
    }
  }

  /** m_test(t) = μ_test(t−1), 0 at chorale starts (no averaging, §4.7). */
  testShift(): void {
    const { d, wp } = this.L;
    const S = this.L.slots;
    const f = this.f;
    const r0 = this.L.testSplit[this.part], r1 = this.L.testSplit[this.part + 1];
    const keep = S.startKeepTest.off;
    const rStart = Math.max(r0, 1);
    for (let l = 0; l < d; l++) {
      const m = S[`mTest${l}`].off, mu = S[`muTest${l}`].off;
      if (r0 === 0) f.fill(0, m, m + wp);
      this.k.keepcopy(
        4 * (m + rStart * wp),
        4 * (mu + (rStart - 1) * wp),
        4 * (keep + rStart),
        r1 - rStart,
        wp,
      );
    }
  }

  /** Runs this part's share of one command (see the module doc for the barrier points). */
  run(ctrl: Int32Array, orthogonalize: () => void): void {
    const cmd = ctrl[CTRL.CMD];
    if (cmd === 1) {
      const eta = new Float64Array(ctrl.buffer, CTRL.HEADER * 4, 1)[0];
      const cols = new Int32Array(ctrl.buffer, (CTRL.HEADER + 2) * 4, this.L.mbs);
      this.update(eta, cols);
      barrier(ctrl, this.L.threads);
      this.forward();
      barrier(ctrl, this.L.threads);
      this.backward();
      if (ctrl[CTRL.ORTH] === 1) {
        barrier(ctrl, this.L.threads);
        if (this.part === 0) orthogonalize();
        barrier(ctrl, this.L.threads);
      }
      if (ctrl[CTRL.TEST] === 1) {
        this.testForward();
        barrier(ctrl, this.L.threads);
        this.testShift();
      }
    }
    barrier(ctrl, this.L.threads);
  }
}
