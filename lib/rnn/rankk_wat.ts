/**
 * WebAssembly-text source of the fused rank-K training kernel (docs/ghost-mechanism.md §2.3, §5:
 * speed): whole SGD epochs — forward pass, hand-written BPTT, global gradient norm, divergence
 * check and SGD step — of **two rank-K networks at once, one per f64x2 lane** (members of one
 * batched job share N, K and the task; they differ in weights and learning rate).
 * `rankk_wasm.ts` holds the compiled bytes (wat2wasm from npm `wabt`, `deno task wasm`).
 *
 * The same generator writes the float32 variant, `rankKWat("f32x4")` (bytes in
 * `rankk_f32x4_wasm.ts`): **four networks per f32x4 lane group**, the same buffers and byte strides
 * (16 bytes per element, now four float32 lanes), every add, multiply, divide and square root a
 * float32 operation; tanh widens each half to float64, runs the float64 tanh below and rounds back
 * (fround(tanh(x))), the sigmoid rounds the imported `Math.exp` to float32; the shared initial
 * state, targets, α, 1 − α and the loss scale are float32. Its numbers are those of a plain float32
 * replay of the epoch below (tests/rnn_fused_f32_test.ts).
 *
 * The f64x2 kernel gives bit-for-bit the numbers of `RankKEngine.run` (with the f64x2 gemm of `gemm_wat.ts`) followed by
 * `Trainer.step`: every dot product Σ_l a_l b_l is summed as the gemm kernel does it — the even-l
 * and odd-l terms in two sequential sums (its two lanes), added, then the last term when the length
 * is odd; tanh is the engine's table-driven tanh evaluated with the same operations in the same
 * order (`Math.round` as ceil-and-correct, the 2^h factor built from its exponent bits, one table
 * gather per lane); the read-out sigmoid calls the imported `Math.exp`; the gradient norm is the
 * sequential Σ g² over the flat layout; the SGD step is p − lr·g. No FMA (no relaxed SIMD).
 *
 * The epoch is organised as the engine's: per step pre = κ_t n, φ = tanh(pre + b),
 * [κ, z]_{t+1} = (1 − α)[κ, z]_t + α φ [m | W_out]; backward g_φ = [g_κ, g_z][m | W_out]ᵀ,
 * g_pre = α g_φ (1 − φ²), g_κ ← (1 − α) g_κ + g_pre nᵀ; then ∂L/∂[m | W_out] and ∂L/∂n as
 * products over time. Matrix–vector products run in "axpy" form (`$gemv`, output rows contiguous)
 * or row form (`$gemvr`); the time products (`$atbt`) read αφ, [g_κ, g_z], κ and g_pre stored
 * transposed (time contiguous). All sums keep the gemm kernel's order, so blocking changes nothing.
 *
 * Memory (imported `env.mem`): a header at byte 0 ({@linkcode HEADER}: sizes, byte addresses of
 * the buffers, parameter offsets, α, 1 − α, the loss scale, the two learning rates, the lane mask),
 * the 2^{j/64} table of the tanh at the fixed address `HEADER.TABLE`, then buffers of lane pairs
 * (16 bytes: network A, network B) and the shared initial state r₀ and targets y as float64.
 *
 * Exports: `train(n)` runs up to n epochs and returns how many it completed — it stops *before*
 * the SGD step of an epoch whose loss or gradient norm is NaN/±Inf in an active lane (that epoch
 * is left to the caller, `trainEnsemble`, which ends that lane's run as diverged). For tests: `tanh(p, n)`
 * (the vector tanh in place on n v128s at byte address p) and the three products `gemv`, `gemvr`,
 * `atbt` (signatures at their generators below).
 *
 * @module
 */

/** Byte offsets of the header fields (i32 unless noted). */
export const HEADER = {
  N: 0,
  K: 4,
  S: 8,
  SIZE: 12,
  /** parameters, flat layout (pairs) */
  P: 16,
  /** gradient, flat layout */
  G: 20,
  /** N × (K + 1): rows [m[j, :], W_out[j]] */
  ME: 24,
  /** (S + 1) × K: κ_t rows */
  KAP: 28,
  /** K × (S + 1): κ transposed (time contiguous) */
  KAPT: 32,
  /** S + 1: z_t */
  Z: 36,
  /** S × N: φ_t rows */
  PHI: 40,
  /** N × S: α φ transposed */
  APHIT: 44,
  /** N: pre-activations / g_φ of the current step */
  PRE: 48,
  /** K + 1: [κ, z] increments / g_pre nᵀ of the current step */
  ACC: 52,
  /** S: outputs */
  OUT: 56,
  /** (K + 1) × S: [g_κ, g_z] of state t + 1, transposed */
  GGT: 60,
  /** K + 1: the current [g_κ, g_z] */
  GK: 64,
  /** N: g_pre of the current step */
  GPRE: 68,
  /** N × S: g_pre transposed */
  GPRET: 72,
  /** N float64: initial state */
  R0: 76,
  /** S float64: targets */
  Y: 80,
  OM: 88,
  ON: 92,
  OB: 96,
  OW: 100,
  OBO: 104,
  /** α (float64, resp. float32) */
  ALPHA: 112,
  /** 1 − α */
  A1: 120,
  /** loss scale */
  SCALE: 128,
  /** learning rates of the lanes (f64x2, resp. f32x4) */
  LR: 144,
  /** lane mask, all ones = active (i64x2, resp. i32x4) */
  MASK: 160,
  /** loss of each lane in the last epoch run */
  LOSS: 176,
  /** gradient norm of each lane in the last epoch run */
  GNORM: 192,
  /** the 64 float64 of the tanh table 2^{j/64} (a fixed address: the gather's load offset) */
  TABLE: 256,
  /** first byte after the header and the table */
  END: 768,
} as const;

/** `(f64.const …)` text of a double, exact (hexadecimal float). */
export function hexFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`hexFloat needs a finite number, got ${x}`);
  if (x === 0) return Object.is(x, -0) ? "-0x0p+0" : "0x0p+0";
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0), lo = dv.getUint32(4);
  const sign = hi >>> 31 ? "-" : "";
  const bexp = (hi >>> 20) & 0x7ff;
  const mant = (hi & 0xfffff).toString(16).padStart(5, "0") + lo.toString(16).padStart(8, "0");
  if (bexp === 0) return `${sign}0x0.${mant}p-1022`;
  return `${sign}0x1.${mant}p${bexp - 1023 >= 0 ? "+" : ""}${bexp - 1023}`;
}

const g = (n: string) => `(local.get $${n})`;
const set = (n: string, v: string) => `(local.set $${n} ${v})`;
const i32 = (v: number) => `(i32.const ${v})`;
const iadd = (a: string, b: string) => `(i32.add ${a} ${b})`;
const imul = (a: string, b: string) => `(i32.mul ${a} ${b})`;
const x16 = (a: string) => `(i32.shl ${a} (i32.const 4))`;
const vload = (a: string, off = 0) => `(v128.load${off ? ` offset=${off}` : ""} ${a})`;
const vstore = (a: string, v: string, off = 0) =>
  `(v128.store${off ? ` offset=${off}` : ""} ${a} ${v})`;
/**
 * The lane type of the kernel being generated: `f64x2` (two networks per v128, the committed
 * default) or `f32x4` (four networks per v128, float32 arithmetic). Set by {@linkcode rankKWat}
 * for the duration of one generation; every lane-typed helper below reads it.
 */
export type RankKLanes = "f64x2" | "f32x4";
let LANES: RankKLanes = "f64x2";
const vadd = (a: string, b: string) => `(${LANES}.add ${a} ${b})`;
const vsub = (a: string, b: string) => `(${LANES}.sub ${a} ${b})`;
const vmul = (a: string, b: string) => `(${LANES}.mul ${a} ${b})`;
const ZERO = "(v128.const i64x2 0 0)";
// float64 operations of the tanh (float64 in both kernels)
const dadd = (a: string, b: string) => `(f64x2.add ${a} ${b})`;
const dsub = (a: string, b: string) => `(f64x2.sub ${a} ${b})`;
const dmul = (a: string, b: string) => `(f64x2.mul ${a} ${b})`;
const inc = (n: string, by: string) => set(n, iadd(g(n), by));

/** `for (n = from; n < to; n += step) body` with labels made unique by `n`. */
function loop(n: string, from: string, to: string, step: string, body: string): string {
  return `${set(n, from)}
(block $${n}_d (loop $${n}_l
  (br_if $${n}_d (i32.ge_s ${g(n)} ${to}))
  ${body}
  ${inc(n, step)}
  (br $${n}_l)))`;
}

// Constants of the engine's tanh (lib/rnn/engine.ts), computed with the same JS expressions.
const INV_LN2_64 = 64 / Math.LN2;
const LN2_64_HI = 6.93147180369123816490e-01 / 64;
const LN2_64_LO = 1.90821492927058770002e-10 / 64;

/**
 * Splatted f64x2 constants of one function, hoisted into locals: V8 rebuilds a `v128.const` from
 * immediates wherever it appears, which inside the tanh loop costs more than the arithmetic.
 */
class Consts {
  readonly #names = new Map<string, string>();
  /** `(local.get $cN)` holding the f64x2 splat(x) (the tanh's constants: float64 in both kernels). */
  f(x: number): string {
    return this.#get(`f64x2 ${hexFloat(x)} ${hexFloat(x)}`);
  }
  /** `(local.get $cN)` holding splat(x) in the kernel's lane type (x rounded to float32 for f32x4). */
  v(x: number): string {
    if (LANES === "f64x2") return this.f(x);
    const h = hexFloat(Math.fround(x));
    return this.#get(`f32x4 ${h} ${h} ${h} ${h}`);
  }
  /** `(local.get $cN)` holding the i64x2 constant x in both lanes (decimal text, may be negative). */
  i(x: string): string {
    return this.#get(`i64x2 ${x} ${x}`);
  }
  #get(text: string): string {
    let n = this.#names.get(text);
    if (n === undefined) {
      n = `c${this.#names.size}`;
      this.#names.set(text, n);
    }
    return `(local.get $${n})`;
  }
  /** Local declarations and initialisations (put at the top of the function). */
  prologue(): string {
    const L: string[] = [];
    for (const n of this.#names.values()) L.push(`(local $${n} v128)`);
    for (const [text, n] of this.#names) L.push(`(local.set $${n} (v128.const ${text}))`);
    return L.join("\n");
  }
}

// 1.5·2^52: x + MAGIC holds the integer x in the low mantissa bits (|x| < 2^51, exact).
const MAGIC = 1.5 * 2 ** 52;
const MAGIC_BITS = 0x4338000000000000n;

/**
 * Vector tanh of local `src` into local `dst` (the engine's tanh, same operations, both lanes).
 * The engine returns ±1 beyond ±20; here the argument is clamped to [−30, 30] instead (`pmax`,
 * `pmin`: NaN passes), on which the formula below is exactly ±1 beyond ±19.1 (2/(q + 1) < 2⁻⁵⁴,
 * resp. q + 1 = 1). Then y = 2x; k = round(y·64/ln2) with JS `Math.round` semantics (ceil, minus
 * one when ceil − ½ > value); r = (y − k·ln2hi/64) − k·ln2lo/64; q = (2^{k>>6} · 2^{(k&63)/64}) ·
 * P5(r); tanh = 1 − 2/(q + 1). The integer k is read from the bits of k + 1.5·2^52; 2^{k>>6} is
 * built from its exponent bits ((k + 1023·64) >> 6) << 52 (exact: |k| ≤ 5540 for |x| ≤ 30); the
 * table value is gathered lane by lane from {@linkcode HEADER}.TABLE. NaN gives NaN; nothing
 * traps. Uses locals ty tv tc tk tr tp tt (v128).
 */
function tanhLines(dst: string, src: string, c: Consts, sfx = ""): string[] {
  const l = (n: string) => g(n + sfx);
  const st = (n: string, v: string) => set(n + sfx, v);
  const poly = dadd(
    c.f(1),
    dmul(
      l("tr"),
      dadd(
        c.f(1),
        dmul(
          l("tr"),
          dadd(
            c.f(0.5),
            dmul(
              l("tr"),
              dadd(c.f(1 / 6), dmul(l("tr"), dadd(c.f(1 / 24), dmul(l("tr"), c.f(1 / 120))))),
            ),
          ),
        ),
      ),
    ),
  );
  const gather = (lane: number) =>
    `offset=${HEADER.TABLE} (i32.wrap_i64 (i64x2.extract_lane ${lane} ${l("tt")}))`;
  return [
    st("ty", `(f64x2.pmin (f64x2.pmax ${g(src)} ${c.f(-30)}) ${c.f(30)})`),
    st("ty", dmul(c.f(2), l("ty"))),
    st("tv", dmul(l("ty"), c.f(INV_LN2_64))),
    st("tc", `(f64x2.ceil ${l("tv")})`),
    st(
      "tk",
      dsub(l("tc"), `(v128.and (f64x2.gt ${dsub(l("tc"), c.f(0.5))} ${l("tv")}) ${c.f(1)})`),
    ),
    st("tr", dsub(dsub(l("ty"), dmul(l("tk"), c.f(LN2_64_HI))), dmul(l("tk"), c.f(LN2_64_LO)))),
    // bits of k + 1.5·2^52 = MAGIC_BITS + k (two's complement in the low bits)
    st("tc", dadd(l("tk"), c.f(MAGIC))),
    st(
      "tp",
      `(i64x2.shl (v128.and (i64x2.add ${l("tc")} ${c.i(String(65472n - MAGIC_BITS))}) ${
        c.i("-64")
      }) (i32.const 46))`,
    ),
    st("tt", `(i64x2.shl (v128.and ${l("tc")} ${c.i("63")}) (i32.const 3))`),
    st("tt", `(f64x2.replace_lane 1 (v128.load64_splat ${gather(0)}) (f64.load ${gather(1)}))`),
    st("tp", dmul(dmul(l("tp"), l("tt")), poly)),
    set(dst, dsub(c.f(1), `(f64x2.div ${c.f(2)} ${dadd(l("tp"), c.f(1))})`)),
  ];
}

/** {@linkcode tanhLines} as one block of WAT. */
function tanhCode(dst: string, src: string, c: Consts): string {
  return tanhLines(dst, src, c).join("\n");
}

/**
 * 1/(1 + e^x) of each lane of local `x` (the read-out sigmoid of −x), through the imported
 * `Math.exp`: per lane 1/(1 + exp(x)) in float64; in the f32x4 kernel the lane is widened (exact),
 * exp's result rounded to float32, and the add and divide are float32 operations — i.e.
 * fround(1/fround(1 + fround(exp(x)))).
 */
function sigmoidCode(x: string): string {
  if (LANES === "f64x2") {
    const lane = (i: number) =>
      `(f64.div (f64.const 1) (f64.add (f64.const 1) (call $exp (f64x2.extract_lane ${i} ${
        g(x)
      }))))`;
    return `(f64x2.replace_lane 1 (f64x2.splat ${lane(0)}) ${lane(1)})`;
  }
  const lane = (i: number) =>
    `(f32.div (f32.const 1) (f32.add (f32.const 1) (f32.demote_f64 (call $exp (f64.promote_f32 (f32x4.extract_lane ${i} ${
      g(x)
    }))))))`;
  return `(f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat ${
    lane(0)
  }) ${lane(1)}) ${lane(2)}) ${lane(3)})`;
}

/**
 * Vector tanh of local `src` into local `dst` in the kernel's lane type. f32x4: each half of the
 * four lanes is widened to float64 (exact), goes through the float64 tanh (the two halves
 * interleaved), and is rounded back to float32 — each lane is fround(tanh(x)) of the engine's tanh.
 * Uses locals hx, hxb besides the tanh's.
 */
function tanhVec(dst: string, src: string, c: Consts): string {
  if (LANES === "f64x2") return tanhCode(dst, src, c);
  const hi = `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${g(src)} ${g(src)})`;
  const lo = (v: string) => `(f32x4.demote_f64x2_zero ${g(v)})`;
  return [
    set("hx", `(f64x2.promote_low_f32x4 ${g(src)})`),
    set("hxb", `(f64x2.promote_low_f32x4 ${hi})`),
    tanh2Code(["hx", "hxb"], ["hx", "hxb"], c),
    set(dst, `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${lo("hx")} ${lo("hxb")})`),
  ].join("\n");
}

/**
 * Two independent tanh evaluations with their instructions interleaved: each one is a long chain
 * of dependent operations, and interleaving gives the out-of-order core twice the independent work.
 */
function tanh2Code(dsts: [string, string], srcs: [string, string], c: Consts): string {
  const a = tanhLines(dsts[0], srcs[0], c), b = tanhLines(dsts[1], srcs[1], c, "b");
  return a.flatMap((line, i) => [line, b[i]]).join("\n");
}

/** The tanh's locals (and, in the f32x4 kernel, {@linkcode tanhVec}'s). */
const tanhLocals = () =>
  ["ty", "tv", "tc", "tk", "tr", "tp", "tt", ...(LANES === "f32x4" ? ["hx"] : [])]
    .flatMap((n) => [`(local $${n} v128)`, `(local $${n}b v128)`]).join(" ");

/** Output blocks: 4 wide, then 2, then 1 (independent sums keep the adders busy). */
function outBlocks(O: string, o: string, block: (w: number) => string): string {
  return [4, 2, 1].map((w) =>
    `(block $b${w}d (loop $b${w}l
    (br_if $b${w}d (i32.gt_s (i32.add ${g(o)} (i32.const ${w})) ${g(O)}))
    ${block(w)}
    ${inc(o, i32(w))}
    (br $b${w}l)))`
  ).join("\n");
}

const SUM_LOCALS = "(local $ve v128) (local $vo v128) " +
  [0, 1, 2, 3].map((i) => `(local $e${i} v128) (local $d${i} v128)`).join(" ");

/**
 * One block of w outputs of a matrix–vector product, each summed like one dot product of the gemm
 * kernel: even l into e_i, odd l into d_i (over the pairs of v, local `pv` up to `pvEnd`), e_i + d_i,
 * then the odd tail; stored at out + 16o. `elem(i, odd)` loads output i's matrix element of the
 * current even (odd) l; after the loop `elem(i, false)` is the tail element.
 */
function sumBlock(
  w: number,
  setup: string[],
  elem: (i: number, odd: boolean) => string,
  advance: string[],
): string {
  const L: string[] = [...setup, set("pv", g("v"))];
  for (let i = 0; i < w; i++) L.push(set(`e${i}`, ZERO), set(`d${i}`, ZERO));
  const body: string[] = [set("ve", vload(g("pv"))), set("vo", vload(g("pv"), 16))];
  for (let i = 0; i < w; i++) {
    body.push(set(`e${i}`, vadd(g(`e${i}`), vmul(g("ve"), elem(i, false)))));
    body.push(set(`d${i}`, vadd(g(`d${i}`), vmul(g("vo"), elem(i, true)))));
  }
  body.push(inc("pv", i32(32)), ...advance);
  L.push(`(block $kd (loop $kl
  (br_if $kd (i32.ge_u ${g("pv")} ${g("pvEnd")}))
  ${body.join("\n  ")}
  (br $kl)))`);
  for (let i = 0; i < w; i++) L.push(set(`e${i}`, vadd(g(`e${i}`), g(`d${i}`))));
  const tail: string[] = [set("ve", vload(g("pv")))];
  for (let i = 0; i < w; i++) {
    tail.push(set(`e${i}`, vadd(g(`e${i}`), vmul(g("ve"), elem(i, false)))));
  }
  L.push(`(if ${g("odd")} (then ${tail.join("\n")}))`);
  L.push(set("po", iadd(g("out"), x16(g("o")))));
  for (let i = 0; i < w; i++) L.push(vstore(g("po"), g(`e${i}`), 16 * i));
  return L.join("\n");
}

/** Locals and prologue shared by the two matrix–vector products (pairs of v, odd length). */
const GEMV_PROLOGUE = `(local $o i32) (local $pv i32) (local $pvEnd i32) (local $po i32)
  (local $odd i32) ${SUM_LOCALS}
  ${set("pvEnd", iadd(g("v"), x16(`(i32.and ${g("L")} (i32.const -2))`)))}
  ${set("odd", `(i32.and ${g("L")} (i32.const 1))`)}
  ${set("o", i32(0))}`;

/**
 * `$gemv(v, L, M, sl, O, out)`, "axpy" form: out[o] = Σ_{l<L} v[l]·M[l·sl + 16o] for o < O, on
 * lane pairs (byte addresses; `sl` = row stride in bytes; a row of M is contiguous in o).
 */
function gemvFunc(): string {
  const block = (w: number) =>
    sumBlock(
      w,
      [set("pm", iadd(g("M"), x16(g("o")))), set("pmo", iadd(g("pm"), g("sl")))],
      (i, odd) => vload(g(odd ? "pmo" : "pm"), 16 * i),
      [inc("pm", g("sl2")), inc("pmo", g("sl2"))],
    );
  return `(func $gemv (param $v i32) (param $L i32) (param $M i32) (param $sl i32) (param $O i32)
  (param $out i32) (local $pm i32) (local $pmo i32) (local $sl2 i32)
  ${GEMV_PROLOGUE}
  ${set("sl2", `(i32.shl ${g("sl")} (i32.const 1))`)}
  ${outBlocks("O", "o", block)}
)`;
}

/**
 * `$gemvr(v, L, R, so, O, out)`, row ("dot") form: out[o] = Σ_{l<L} v[l]·R[so·o + 16l] for o < O
 * (row o of R contiguous in l).
 */
function gemvrFunc(): string {
  const block = (w: number) =>
    sumBlock(
      w,
      Array.from(
        { length: w },
        (_, i) => set(`r${i}`, iadd(g("R"), imul(iadd(g("o"), i32(i)), g("so")))),
      ),
      (i, odd) => vload(g(`r${i}`), odd ? 16 : 0),
      Array.from({ length: w }, (_, i) => inc(`r${i}`, i32(32))),
    );
  return `(func $gemvr (param $v i32) (param $L i32) (param $R i32) (param $so i32) (param $O i32)
  (param $out i32) (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
  ${GEMV_PROLOGUE}
  ${outBlocks("O", "o", block)}
)`;
}

/**
 * `$atbt(x, ldx, A, y, ldy, B, T, out, ldo)`: out[a·ldo + 16b] = Σ_{t<T} x[a·ldx + 16t]·y[b·ldy + 16t]
 * for a < A, b < B (lane pairs; rows of x and y contiguous in t), each summed like one dot product
 * of the gemm kernel (even t, odd t, added, odd tail). Blocks 2×2, then 2×1, 1×2, 1×1.
 */
function atbtFunc(): string {
  const block = (ra: number, rb: number) => {
    const L: string[] = [];
    const acc = (i: number, j: number, p: string) => `${p}${i}${j}`;
    for (let i = 0; i < ra; i++) {
      for (let j = 0; j < rb; j++) L.push(set(acc(i, j, "e"), ZERO), set(acc(i, j, "d"), ZERO));
    }
    L.push(set("px0", iadd(g("x"), imul(g("a"), g("ldx")))));
    if (ra > 1) L.push(set("px1", iadd(g("px0"), g("ldx"))));
    L.push(set("py0", iadd(g("y"), imul(g("b"), g("ldy")))));
    if (rb > 1) L.push(set("py1", iadd(g("py0"), g("ldy"))));
    L.push(set("pxEnd", iadd(g("px0"), x16(g("n2")))));
    const body: string[] = [];
    for (const [p, off] of [["e", 0], ["d", 16]] as const) {
      for (let i = 0; i < ra; i++) body.push(set(`x${i}`, vload(g(`px${i}`), off)));
      for (let j = 0; j < rb; j++) body.push(set(`y${j}`, vload(g(`py${j}`), off)));
      for (let i = 0; i < ra; i++) {
        for (let j = 0; j < rb; j++) {
          body.push(set(acc(i, j, p), vadd(g(acc(i, j, p)), vmul(g(`x${i}`), g(`y${j}`)))));
        }
      }
    }
    for (let i = 0; i < ra; i++) body.push(inc(`px${i}`, i32(32)));
    for (let j = 0; j < rb; j++) body.push(inc(`py${j}`, i32(32)));
    L.push(`(block $td (loop $tl
  (br_if $td (i32.ge_u ${g("px0")} ${g("pxEnd")}))
  ${body.join("\n  ")}
  (br $tl)))`);
    for (let i = 0; i < ra; i++) {
      for (let j = 0; j < rb; j++) {
        L.push(set(acc(i, j, "e"), vadd(g(acc(i, j, "e")), g(acc(i, j, "d")))));
      }
    }
    const tail: string[] = [];
    for (let i = 0; i < ra; i++) tail.push(set(`x${i}`, vload(g(`px${i}`))));
    for (let j = 0; j < rb; j++) tail.push(set(`y${j}`, vload(g(`py${j}`))));
    for (let i = 0; i < ra; i++) {
      for (let j = 0; j < rb; j++) {
        tail.push(set(acc(i, j, "e"), vadd(g(acc(i, j, "e")), vmul(g(`x${i}`), g(`y${j}`)))));
      }
    }
    L.push(`(if ${g("odd")} (then ${tail.join("\n")}))`);
    for (let i = 0; i < ra; i++) {
      L.push(set("po", iadd(iadd(g("out"), imul(iadd(g("a"), i32(i)), g("ldo"))), x16(g("b")))));
      for (let j = 0; j < rb; j++) L.push(vstore(g("po"), g(acc(i, j, "e")), 16 * j));
    }
    return L.join("\n");
  };
  const cols = (ra: number) =>
    `${set("b", i32(0))}
(block $c2d (loop $c2l
  (br_if $c2d (i32.gt_s (i32.add ${g("b")} (i32.const 2)) ${g("B")}))
  ${block(ra, 2)}
  ${inc("b", i32(2))}
  (br $c2l)))
(if (i32.lt_s ${g("b")} ${g("B")}) (then ${block(ra, 1)}))`;
  const accs: string[] = [];
  for (const p of ["e", "d"]) for (const ij of ["00", "01", "10", "11"]) accs.push(`$${p}${ij}`);
  return `(func $atbt (param $x i32) (param $ldx i32) (param $A i32) (param $y i32) (param $ldy i32)
  (param $B i32) (param $T i32) (param $out i32) (param $ldo i32)
  (local $a i32) (local $b i32) (local $n2 i32) (local $odd i32) (local $pxEnd i32)
  (local $px0 i32) (local $px1 i32) (local $py0 i32) (local $py1 i32) (local $po i32)
  (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
  ${accs.map((a) => `(local ${a} v128)`).join(" ")}
  ${set("n2", `(i32.and ${g("T")} (i32.const -2))`)}
  ${set("odd", `(i32.and ${g("T")} (i32.const 1))`)}
  ${set("a", i32(0))}
  (block $r2d (loop $r2l
    (br_if $r2d (i32.gt_s (i32.add ${g("a")} (i32.const 2)) ${g("A")}))
    ${cols(2)}
    ${inc("a", i32(2))}
    (br $r2l)))
  (if (i32.lt_s ${g("a")} ${g("A")}) (then ${cols(1)}))
)`;
}

/**
 * The forward step's φ = tanh(pre + b) (stored row-wise at q) and αφ (stored transposed at r),
 * from p (pre) and pb (b): f64x2, two elements at a time with the two tanh interleaved, then the
 * odd one; f32x4, one element at a time (its two halves are the interleaved pair).
 */
function forwardTanh(c: Consts): string {
  if (LANES === "f32x4") {
    return loop(
      "j",
      i32(0),
      g("N"),
      i32(1),
      `${set("x", vadd(vload(g("p")), vload(g("pb"))))}
    ${tanhVec("f", "x", c)}
    ${vstore(g("q"), g("f"))}
    ${vstore(g("r"), vmul(g("alpha"), g("f")))}
    ${inc("p", i32(16))}
    ${inc("pb", i32(16))}
    ${inc("q", i32(16))}
    ${inc("r", g("S16"))}`,
    );
  }
  return `${
    loop(
      "j",
      i32(0),
      `(i32.and ${g("N")} (i32.const -2))`,
      i32(2),
      `${set("x", vadd(vload(g("p")), vload(g("pb"))))}
    ${set("xb", vadd(vload(g("p"), 16), vload(g("pb"), 16)))}
    ${tanh2Code(["f", "fb"], ["x", "xb"], c)}
    ${vstore(g("q"), g("f"))}
    ${vstore(g("q"), g("fb"), 16)}
    ${vstore(g("r"), vmul(g("alpha"), g("f")))}
    ${vstore(iadd(g("r"), g("S16")), vmul(g("alpha"), g("fb")))}
    ${inc("p", i32(32))}
    ${inc("pb", i32(32))}
    ${inc("q", i32(32))}
    ${inc("r", `(i32.shl ${g("S16")} (i32.const 1))`)}`,
    )
  }
  (if (i32.and ${g("N")} (i32.const 1)) (then
    ${set("x", vadd(vload(g("p")), vload(g("pb"))))}
    ${tanhCode("f", "x", c)}
    ${vstore(g("q"), g("f"))}
    ${vstore(g("r"), vmul(g("alpha"), g("f")))}))`;
}

/**
 * One epoch of both lanes: forward, BPTT, parameter gradients, global gradient norm, divergence
 * check, SGD step. Returns 1 after the step, 0 (no step) if an active lane is not finite.
 */
function epochFunc(): string {
  const h = HEADER;
  const c = new Consts();
  const ints = [
    "N",
    "K",
    "S",
    "SIZE",
    "P",
    "G",
    "ME",
    "KAP",
    "KAPT",
    "Z",
    "PHI",
    "APHIT",
    "PRE",
    "ACC",
    "OUT",
    "GGT",
    "GK",
    "GPRE",
    "GPRET",
    "R0",
    "Y",
    "OM",
    "ON",
    "OB",
    "OW",
    "OBO",
  ] as const;
  const ivars = [...ints, "K1", "N16", "K16", "K116", "S16", "S116", "i", "j", "k", "t"];
  const pvars = ["p", "q", "r", "u", "pm", "pb"];
  const vvars = ["alpha", "a1", "scale", "lr", "mask", "loss", "bo", "z", "x", "f", "o", "d"];
  vvars.push("xb", "fb");
  vvars.push("e", "gbo", "w", "s", "y");
  const at = (base: string, idx: string) => iadd(g(base), x16(idx)); // byte address of pair idx
  // a shared scalar (float64, resp. float32 in the f32x4 kernel) in every lane
  const [splatLoad, scalarShift] = LANES === "f64x2"
    ? ["v128.load64_splat", 3]
    : ["v128.load32_splat", 2];
  const splat8 = (base: string, idx: string) =>
    `(${splatLoad} ${iadd(g(base), `(i32.shl ${idx} (i32.const ${scalarShift}))`)})`;
  const forJ = (body: string) => loop("j", i32(0), g("N"), i32(1), body);
  const forK = (body: string, to = g("K")) => loop("k", i32(0), to, i32(1), body);
  const lines = [
    ...ints.map((n) => set(n, `(i32.load (i32.const ${h[n]}))`)),
    set("K1", iadd(g("K"), i32(1))),
    set("N16", x16(g("N"))),
    set("K16", x16(g("K"))),
    set("K116", x16(g("K1"))),
    set("S16", x16(g("S"))),
    set("S116", x16(iadd(g("S"), i32(1)))),
    set("alpha", `(${splatLoad} (i32.const ${h.ALPHA}))`),
    set("a1", `(${splatLoad} (i32.const ${h.A1}))`),
    set("scale", `(${splatLoad} (i32.const ${h.SCALE}))`),
    set("lr", `(v128.load (i32.const ${h.LR}))`),
    set("mask", `(v128.load (i32.const ${h.MASK}))`),
    ";; ME[j] = [m[j, :], W_out[j]]: the matrix of the forward [κ, z] update and of g_φ",
    forJ(`${set("pm", at("P", iadd(g("OM"), imul(g("j"), g("K")))))}
  ${set("p", at("ME", imul(g("j"), g("K1"))))}
  ${
      forK(`${vstore(g("p"), vload(g("pm")))}
    ${inc("pm", i32(16))}
    ${inc("p", i32(16))}`)
    }
  ${vstore(g("p"), vload(at("P", iadd(g("OW"), g("j")))))}`),
    ";; κ_0 = x_0 m, z_0 = x_0·W_out (sequential sums over j, as the engine)",
    forK(vstore(at("KAP", g("k")), ZERO)),
    set("z", ZERO),
    forJ(`${set("x", splat8("R0", g("j")))}
  ${set("z", vadd(g("z"), vmul(g("x"), vload(at("P", iadd(g("OW"), g("j")))))))}
  ${set("pm", at("P", iadd(g("OM"), imul(g("j"), g("K")))))}
  ${set("p", g("KAP"))}
  ${
      forK(`${vstore(g("p"), vadd(vload(g("p")), vmul(g("x"), vload(g("pm")))))}
    ${inc("pm", i32(16))}
    ${inc("p", i32(16))}`)
    }`),
    forK(vstore(iadd(g("KAPT"), imul(g("k"), g("S116"))), vload(at("KAP", g("k"))))),
    vstore(g("Z"), g("z")),
    set("bo", vload(at("P", g("OBO")))),
    set("loss", ZERO),
    ";; forward",
    loop(
      "t",
      i32(0),
      g("S"),
      i32(1),
      `(call $gemv ${at("KAP", imul(g("t"), g("K")))} ${g("K")} ${at("P", g("ON"))} ${g("N16")} ${
        g("N")
      } ${g("PRE")})
  ${set("p", g("PRE"))}
  ${set("pb", at("P", g("OB")))}
  ${set("q", at("PHI", imul(g("t"), g("N"))))}
  ${set("r", at("APHIT", g("t")))}
  ${forwardTanh(c)}
  (call $gemv ${at("PHI", imul(g("t"), g("N")))} ${g("N")} ${g("ME")} ${g("K116")} ${g("K1")} ${
        g("ACC")
      })
  ${set("p", at("KAP", imul(g("t"), g("K"))))}
  ${set("u", at("KAPT", iadd(g("t"), i32(1))))}
  ${
        forK(
          `${
            set("w", vadd(vmul(g("a1"), vload(g("p"))), vmul(g("alpha"), vload(at("ACC", g("k"))))))
          }
    ${vstore(iadd(g("p"), g("K16")), g("w"))}
    ${vstore(g("u"), g("w"))}
    ${inc("p", i32(16))}
    ${inc("u", g("S116"))}`,
        )
      }
  ${
        set(
          "z",
          vadd(vmul(g("a1"), vload(at("Z", g("t")))), vmul(g("alpha"), vload(at("ACC", g("K"))))),
        )
      }
  ${vstore(at("Z", iadd(g("t"), i32(1))), g("z"))}
  ${set("x", `(${LANES}.neg ${vadd(g("z"), g("bo"))})`)}
  ${set("o", sigmoidCode("x"))}
  ${vstore(at("OUT", g("t")), g("o"))}
  ${set("d", vsub(g("o"), splat8("Y", g("t"))))}
  ${set("loss", vadd(g("loss"), vmul(g("d"), g("d"))))}`,
    ),
    set("loss", vmul(g("loss"), g("scale"))),
    ";; backward",
    forK(vstore(at("GK", g("k")), ZERO), g("K1")),
    forJ(vstore(at("G", iadd(g("OB"), g("j"))), ZERO)),
    set("gbo", ZERO),
    set("t", iadd(g("S"), i32(-1))),
    `(block $bt_d (loop $bt_l
  (br_if $bt_d (i32.lt_s ${g("t")} (i32.const 0)))
  ${set("o", vload(at("OUT", g("t"))))}
  ${
      set(
        "e",
        vmul(
          vmul(vmul(vmul(c.v(2), vsub(g("o"), splat8("Y", g("t")))), g("scale")), g("o")),
          vsub(c.v(1), g("o")),
        ),
      )
    }
  ${set("p", at("GK", g("K")))}
  ${vstore(g("p"), vadd(vload(g("p")), g("e")))}
  ${set("gbo", vadd(g("gbo"), g("e")))}
  ${set("u", at("GGT", g("t")))}
  ${
      forK(
        `${vstore(g("u"), vload(at("GK", g("k"))))}
    ${inc("u", g("S16"))}`,
        g("K1"),
      )
    }
  (call $gemvr ${g("GK")} ${g("K1")} ${g("ME")} ${g("K116")} ${g("N")} ${g("PRE")})
  ${set("p", at("PHI", imul(g("t"), g("N"))))}
  ${set("q", g("GPRE"))}
  ${set("u", at("GPRET", g("t")))}
  ${set("pb", at("G", g("OB")))}
  ${set("pm", g("PRE"))}
  ${
      forJ(`${set("f", vload(g("p")))}
    ${set("d", vmul(vmul(g("alpha"), vload(g("pm"))), vsub(c.v(1), vmul(g("f"), g("f")))))}
    ${vstore(g("q"), g("d"))}
    ${vstore(g("u"), g("d"))}
    ${vstore(g("pb"), vadd(vload(g("pb")), g("d")))}
    ${inc("p", i32(16))}
    ${inc("q", i32(16))}
    ${inc("u", g("S16"))}
    ${inc("pb", i32(16))}
    ${inc("pm", i32(16))}`)
    }
  (call $gemvr ${g("GPRE")} ${g("N")} ${at("P", g("ON"))} ${g("N16")} ${g("K")} ${g("ACC")})
  ${
      forK(`${set("p", at("GK", g("k")))}
    ${vstore(g("p"), vadd(vmul(g("a1"), vload(g("p"))), vload(at("ACC", g("k")))))}`)
    }
  ${set("p", at("GK", g("K")))}
  ${vstore(g("p"), vmul(vload(g("p")), g("a1")))}
  ${inc("t", i32(-1))}
  (br $bt_l)))`,
    ";; ∂L/∂[m | W_out] = Σ_t αφ_tᵀ [g_κ, g_z]_{t+1} + x₀ᵀ [g_κ, g_z]_0, ∂L/∂n = Σ_t κ_tᵀ g_pre,t",
    `(call $atbt ${g("APHIT")} ${g("S16")} ${g("N")} ${g("GGT")} ${g("S16")} ${g("K")} ${g("S")} ${
      at("G", g("OM"))
    } ${g("K16")})`,
    `(call $atbt ${g("APHIT")} ${g("S16")} ${g("N")} ${iadd(g("GGT"), imul(g("K"), g("S16")))} ${
      g("S16")
    } (i32.const 1) ${g("S")} ${at("G", g("OW"))} (i32.const 16))`,
    forJ(`${set("x", splat8("R0", g("j")))}
  ${set("p", at("G", iadd(g("OM"), imul(g("j"), g("K")))))}
  ${set("q", g("GK"))}
  ${
      forK(`${vstore(g("p"), vadd(vload(g("p")), vmul(g("x"), vload(g("q")))))}
    ${inc("p", i32(16))}
    ${inc("q", i32(16))}`)
    }
  ${set("p", at("G", iadd(g("OW"), g("j"))))}
  ${vstore(g("p"), vadd(vload(g("p")), vmul(g("x"), vload(g("q")))))}`),
    `(call $atbt ${g("KAPT")} ${g("S116")} ${g("K")} ${g("GPRET")} ${g("S16")} ${g("N")} ${
      g("S")
    } ${at("G", g("ON"))} ${g("N16")})`,
    vstore(at("G", g("OBO")), g("gbo")),
    ";; global gradient norm (sequential Σ g² over the flat layout), divergence check, SGD step",
    set("s", ZERO),
    set("p", g("G")),
    loop(
      "i",
      i32(0),
      g("SIZE"),
      i32(1),
      `${set("w", vload(g("p")))}
  ${set("s", vadd(g("s"), vmul(g("w"), g("w"))))}
  ${inc("p", i32(16))}`,
    ),
    set("s", `(${LANES}.sqrt ${g("s")})`),
    `(v128.store (i32.const ${h.LOSS}) ${g("loss")})`,
    `(v128.store (i32.const ${h.GNORM}) ${g("s")})`,
    `(if (v128.any_true (v128.andnot ${g("mask")} (v128.and
    (${LANES}.eq ${vsub(g("loss"), g("loss"))} ${ZERO})
    (${LANES}.eq ${vsub(g("s"), g("s"))} ${ZERO}))))
  (then (return (i32.const 0))))`,
    set("p", g("P")),
    set("q", g("G")),
    loop(
      "i",
      i32(0),
      g("SIZE"),
      i32(1),
      `${vstore(g("p"), vsub(vload(g("p")), vmul(g("lr"), vload(g("q")))))}
  ${inc("p", i32(16))}
  ${inc("q", i32(16))}`,
    ),
    "(i32.const 1)",
  ];
  return `(func $epoch (result i32)
  ${[...ivars, ...pvars].map((n) => `(local $${n} i32)`).join(" ")}
  ${vvars.map((n) => `(local $${n} v128)`).join(" ")}
  ${tanhLocals()}
  ${c.prologue()}
  ${lines.join("\n")}
)`;
}

/**
 * The WAT text of the fused rank-K kernel: `f64x2` (two networks per lane pair, the engine's
 * float64 numbers; the default) or `f32x4` (four networks per v128, float32 arithmetic).
 */
export function rankKWat(lanes: RankKLanes = "f64x2"): string {
  const before = LANES;
  LANES = lanes;
  try {
    return moduleText();
  } finally {
    LANES = before;
  }
}

function moduleText(): string {
  const c = new Consts();
  const tanhLoop = LANES === "f32x4"
    ? loop(
      "i",
      i32(0),
      g("n"),
      i32(1),
      `${set("x", vload(g("p")))}
  ${tanhVec("f", "x", c)}
  ${vstore(g("p"), g("f"))}
  ${inc("p", i32(16))}`,
    )
    : `${
      loop(
        "i",
        i32(0),
        `(i32.and ${g("n")} (i32.const -2))`,
        i32(2),
        `${set("x", vload(g("p")))}
  ${set("xb", vload(g("p"), 16))}
  ${tanh2Code(["f", "fb"], ["x", "xb"], c)}
  ${vstore(g("p"), g("f"))}
  ${vstore(g("p"), g("fb"), 16)}
  ${inc("p", i32(32))}`,
      )
    }
(if (i32.and ${g("n")} (i32.const 1)) (then
  ${set("x", vload(g("p")))}
  ${tanhCode("f", "x", c)}
  ${vstore(g("p"), g("f"))}))`;
  return `(module
(import "env" "mem" (memory 1))
(import "env" "exp" (func $exp (param f64) (result f64)))
${gemvFunc()}
${gemvrFunc()}
${atbtFunc()}
${epochFunc()}
(export "gemv" (func $gemv))
(export "gemvr" (func $gemvr))
(export "atbt" (func $atbt))
(func (export "train") (param $n i32) (result i32) (local $i i32)
  (block $d (loop $l
    (br_if $d (i32.ge_s (local.get $i) (local.get $n)))
    (br_if $d (i32.eqz (call $epoch)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $l)))
  (local.get $i))
(func (export "tanh") (param $p i32) (param $n i32) (local $i i32) (local $x v128) (local $f v128)
  (local $xb v128) (local $fb v128)
  ${tanhLocals()}
  ${c.prologue()}
  ${tanhLoop}
)
)`;
}

if (import.meta.main) console.log(rankKWat(Deno.args[0] === "f32x4" ? "f32x4" : "f64x2"));
