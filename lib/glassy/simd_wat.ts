/**
 * WebAssembly-text source of the float32 SIMD (f32x4) kernels of the glassy engine
 * (`docs/glassy-dynamics.md` §8: speed). `simd_wasm.ts` holds the compiled bytes; regenerate them
 * after editing this generator with `deno task wasm` (`tools/wasm.ts`, npm `wabt`).
 *
 * The module imports a shared memory `env.mem` (so that a Web Worker can run the same kernels on
 * the same buffers) and exports, with all pointers in bytes and strides in float32 elements:
 *
 * - `gemm(a, lda, b, ldb, c, ldc, rows, k, nblk, acc)`:
 *   C[r, j] (+)= Σ_{p<k} A[r·lda + p] · B[p·ldb + j] for r < rows, j < 8·nblk (`acc` = 1 adds to C,
 *   0 overwrites). Register-blocked 4 rows × 8 columns, FMA by `f32x4.relaxed_madd`.
 * - `tanh(p, n4)`: in-place tanh of 4·n4 floats by a [13/6] rational approximation (the one in
 *   Eigen's `ptanh_float`, |error| ≲ 4 ulp), clamped at |x| = 7.905 where tanh rounds to ±1.
 * - `xmul(d, u, n4)`: d ← d ⊙ (1 − u²) (the δ factor X = 1 − μ², §4.5).
 * - `rsub(d, s, n4)`: d ← s − d (e = S − tanh H).
 * - `avg(d, s, keep, rows, ld)`: row r: d_r ← (d_r + s_r) · ½ keep[r] (the m, n averaging; the
 *   caller offsets `s` by one row for the shift).
 * - `keepcopy(d, s, keep, rows, ld)`: row r: d_r ← s_r · keep[r] (the test m = shifted μ).
 * - `addrow(d, h, rows, ld)`: row r: d_r ← d_r + h (the output bias).
 *
 * @module
 */

const ROWS = 4;

function blockRows(rows: number): string {
  const L: string[] = [];
  const s = (i: number, v: number) => `$s${i}${v}`;
  for (let i = 0; i < rows; i++) {
    L.push(
      `(local.set $pa${i} (i32.add (local.get $a) (i32.mul (i32.add (local.get $r) (i32.const ${i})) (local.get $ldaB))))`,
    );
    L.push(
      `(local.set $pc${i} (i32.add (local.get $c) (i32.mul (i32.add (local.get $r) (i32.const ${i})) (local.get $ldcB))))`,
    );
  }
  L.push(`(local.set $j (i32.const 0))`);
  L.push(`(block $jd (loop $jl`);
  L.push(`(br_if $jd (i32.ge_u (local.get $j) (local.get $nB)))`);
  for (let i = 0; i < rows; i++) {
    for (let v = 0; v < 2; v++) {
      L.push(
        `(local.set ${s(i, v)} (if (result v128) (local.get $acc) (then (v128.load offset=${
          16 * v
        } (i32.add (local.get $pc${i}) (local.get $j)))) (else (v128.const i32x4 0 0 0 0))))`,
      );
    }
  }
  L.push(`(local.set $pb (i32.add (local.get $b) (local.get $j)))`);
  L.push(`(local.set $p (i32.const 0))`);
  L.push(`(block $pd (loop $pl`);
  L.push(`(br_if $pd (i32.ge_u (local.get $p) (local.get $kB)))`);
  L.push(`(local.set $b0 (v128.load (local.get $pb)))`);
  L.push(`(local.set $b1 (v128.load offset=16 (local.get $pb)))`);
  for (let i = 0; i < rows; i++) {
    L.push(`(local.set $x (v128.load32_splat (i32.add (local.get $pa${i}) (local.get $p))))`);
    L.push(
      `(local.set ${s(i, 0)} (f32x4.relaxed_madd (local.get $x) (local.get $b0) (local.get ${
        s(i, 0)
      })))`,
    );
    L.push(
      `(local.set ${s(i, 1)} (f32x4.relaxed_madd (local.get $x) (local.get $b1) (local.get ${
        s(i, 1)
      })))`,
    );
  }
  L.push(`(local.set $pb (i32.add (local.get $pb) (local.get $ldbB)))`);
  L.push(`(local.set $p (i32.add (local.get $p) (i32.const 4)))`);
  L.push(`(br $pl)))`);
  for (let i = 0; i < rows; i++) {
    for (let v = 0; v < 2; v++) {
      L.push(
        `(v128.store offset=${16 * v} (i32.add (local.get $pc${i}) (local.get $j)) (local.get ${
          s(i, v)
        }))`,
      );
    }
  }
  L.push(`(local.set $j (i32.add (local.get $j) (i32.const 32)))`);
  L.push(`(br $jl)))`);
  return L.join("\n");
}

const ALPHA = [
  4.89352455891786e-03,
  6.37261928875436e-04,
  1.48572235717979e-05,
  5.12229709037114e-08,
  -8.60467152213735e-11,
  2.00018790482477e-13,
  -2.76076847742355e-16,
];
const BETA = [
  4.89352518554385e-03,
  2.26843463243900e-03,
  1.18534705686654e-04,
  1.19825839466702e-06,
];

function splat(v: number): string {
  return `(v128.const f32x4 ${v} ${v} ${v} ${v})`;
}

function horner(coefs: number[], x2: string): string {
  // c0 + x2 (c1 + x2 (c2 + …))
  let e = splat(coefs[coefs.length - 1]);
  for (let i = coefs.length - 2; i >= 0; i--) {
    e = `(f32x4.relaxed_madd ${x2} ${e} ${splat(coefs[i])})`;
  }
  return e;
}

/**
 * A row-wise SIMD loop `name(d, s, keep, rows, ld)` storing `expr` into d: `half` true → k = ½ keep[r],
 * false → k = keep[r], null → no keep factor and `s` is the same row vector for every row.
 */
function rowOp(name: string, expr: string, half: boolean | null): string {
  const k = half === null
    ? ""
    : `(local.set $k (f32x4.splat (f32.mul (f32.load (local.get $keep)) (f32.const ${
      half ? 0.5 : 1
    }))))
      (local.set $keep (i32.add (local.get $keep) (i32.const 4)))`;
  const sAdvance = half === null ? "" : `(local.set $s (i32.add (local.get $s) (i32.const 16)))`;
  const sReset = half === null ? `(local.set $s (local.get $s0))` : "";
  return `(func (export "${name}") (param $d i32) (param $s i32) (param $keep i32) (param $rows i32) (param $ld i32)
  (local $r i32) (local $j i32) (local $n4 i32) (local $k v128) (local $s0 i32)
  (local.set $n4 (i32.shr_u (local.get $ld) (i32.const 2)))
  (local.set $s0 (local.get $s))
  (block $rb (loop $rl
    (br_if $rb (i32.ge_u (local.get $r) (local.get $rows)))
    ${k}
    ${sReset}
    (local.set $j (i32.const 0))
    (block $jb (loop $jl
      (br_if $jb (i32.ge_u (local.get $j) (local.get $n4)))
      (v128.store (local.get $d) ${expr})
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      ${half === null ? `(local.set $s (i32.add (local.get $s) (i32.const 16)))` : sAdvance}
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $jl)))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $rl)))
)`;
}

/** The WAT text of the kernel module. */
export function simdWat(): string {
  const vl: string[] = [];
  for (let i = 0; i < ROWS; i++) for (let v = 0; v < 2; v++) vl.push(`(local $s${i}${v} v128)`);
  const il: string[] = [];
  for (let i = 0; i < ROWS; i++) il.push(`(local $pa${i} i32) (local $pc${i} i32)`);
  const clamp = 7.90531110763549805;
  return `(module
(import "env" "mem" (memory 1 65536 shared))
(func (export "gemm") (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32)
  (param $c i32) (param $ldc i32) (param $rows i32) (param $k i32) (param $nblk i32) (param $acc i32)
  (local $r i32) (local $j i32) (local $p i32) (local $pb i32) (local $ldaB i32) (local $ldbB i32)
  (local $ldcB i32) (local $kB i32) (local $nB i32) (local $rows4 i32)
  ${il.join(" ")}
  (local $b0 v128) (local $b1 v128) (local $x v128)
  ${vl.join(" ")}
  (local.set $ldaB (i32.shl (local.get $lda) (i32.const 2)))
  (local.set $ldbB (i32.shl (local.get $ldb) (i32.const 2)))
  (local.set $ldcB (i32.shl (local.get $ldc) (i32.const 2)))
  (local.set $kB (i32.shl (local.get $k) (i32.const 2)))
  (local.set $nB (i32.shl (local.get $nblk) (i32.const 5)))
  (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
  (local.set $r (i32.const 0))
  (block $rd (loop $rl
    (br_if $rd (i32.ge_u (local.get $r) (local.get $rows4)))
    ${blockRows(ROWS)}
    (local.set $r (i32.add (local.get $r) (i32.const 4)))
    (br $rl)))
  (block $r1d (loop $r1l
    (br_if $r1d (i32.ge_u (local.get $r) (local.get $rows)))
    ${blockRows(1)}
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br $r1l)))
)
(func (export "xmul") (param $d i32) (param $u i32) (param $n4 i32)
  (local $end i32) (local $x v128)
  (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n4) (i32.const 4))))
  (block $b (loop $l
    (br_if $b (i32.ge_u (local.get $d) (local.get $end)))
    (local.set $x (v128.load (local.get $u)))
    (v128.store (local.get $d) (f32x4.mul (v128.load (local.get $d))
      (f32x4.sub ${splat(1)} (f32x4.mul (local.get $x) (local.get $x)))))
    (local.set $d (i32.add (local.get $d) (i32.const 16)))
    (local.set $u (i32.add (local.get $u) (i32.const 16)))
    (br $l)))
)
(func (export "rsub") (param $d i32) (param $s i32) (param $n4 i32)
  (local $end i32)
  (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n4) (i32.const 4))))
  (block $b (loop $l
    (br_if $b (i32.ge_u (local.get $d) (local.get $end)))
    (v128.store (local.get $d) (f32x4.sub (v128.load (local.get $s)) (v128.load (local.get $d))))
    (local.set $d (i32.add (local.get $d) (i32.const 16)))
    (local.set $s (i32.add (local.get $s) (i32.const 16)))
    (br $l)))
)
${
    rowOp(
      "avg",
      "(f32x4.mul (f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s))) (local.get $k))",
      true,
    )
  }
${rowOp("keepcopy", "(f32x4.mul (v128.load (local.get $s)) (local.get $k))", false)}
${rowOp("addrow", "(f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s)))", null)}
(func (export "tanh") (param $p i32) (param $n4 i32)
  (local $end i32) (local $x v128) (local $x2 v128)
  (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n4) (i32.const 4))))
  (block $d (loop $l
    (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
    (local.set $x (f32x4.max ${splat(-clamp)} (f32x4.min ${
    splat(clamp)
  } (v128.load (local.get $p)))))
    (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
    (v128.store (local.get $p) (f32x4.div
      (f32x4.mul (local.get $x) ${horner(ALPHA, "(local.get $x2)")})
      ${horner(BETA, "(local.get $x2)")}))
    (local.set $p (i32.add (local.get $p) (i32.const 16)))
    (br $l)))
)
)`;
}
