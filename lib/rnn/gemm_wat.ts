/**
 * WebAssembly-text source of the SIMD (f64x2) version of {@linkcode gemmABt} used by the
 * full-rank engine (docs/ghost-mechanism.md §5: speed). `gemm_wasm.ts` holds the compiled bytes
 * (wat2wasm from the npm package `wabt@1.0.39`); regenerate them after editing this generator.
 *
 * Exported function `gemm(aOff, nA, bOff, nB, len, cOff, ldc)` (offsets in float64 elements of
 * the imported memory `env.mem`): C[cOff + a·ldc + b] = Σ_k A[aOff + a·len + k]·B[bOff + b·len + k],
 * blocked 2×4 (then 2×1, 1×4, 1×1), two k per f64x2 lane pair, scalar tail for odd `len`.
 *
 * @module
 */

function block(rows: number, cols: number): string {
  const L: string[] = [];
  const s = (i: number, j: number) => `$s${i}${j}`;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) L.push(`(local.set ${s(i, j)} (f64x2.splat (f64.const 0)))`);
  }
  L.push(`(local.set $kb (i32.const 0))`);
  L.push(`(block $kd (loop $kl`);
  L.push(`(br_if $kd (i32.ge_u (local.get $kb) (local.get $n2b)))`);
  for (let i = 0; i < rows; i++) {
    L.push(`(local.set $x${i} (v128.load (i32.add (local.get $pa${i}) (local.get $kb))))`);
  }
  for (let j = 0; j < cols; j++) {
    L.push(`(local.set $y (v128.load (i32.add (local.get $pb${j}) (local.get $kb))))`);
    for (let i = 0; i < rows; i++) {
      L.push(
        `(local.set ${s(i, j)} (f64x2.add (local.get ${
          s(i, j)
        }) (f64x2.mul (local.get $x${i}) (local.get $y))))`,
      );
    }
  }
  L.push(`(local.set $kb (i32.add (local.get $kb) (i32.const 16)))`);
  L.push(`(br $kl)))`);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const sum = `(f64.add (f64x2.extract_lane 0 (local.get ${
        s(i, j)
      })) (f64x2.extract_lane 1 (local.get ${s(i, j)})))`;
      const tail = `(f64.mul (f64.load (i32.add (local.get $pa${i}) (local.get $n2b))) ` +
        `(f64.load (i32.add (local.get $pb${j}) (local.get $n2b))))`;
      L.push(`(local.set $t ${sum})`);
      L.push(`(if (local.get $odd) (then (local.set $t (f64.add (local.get $t) ${tail}))))`);
      L.push(
        `(f64.store (i32.add (local.get $pc${i}) (i32.shl (i32.add (local.get $b) (i32.const ${j})) (i32.const 3))) (local.get $t))`,
      );
    }
  }
  return L.join("\n");
}

function setPb(cols: number): string {
  const L = [
    `(local.set $pb0 (i32.shl (i32.add (local.get $bOff) (i32.mul (local.get $b) (local.get $len))) (i32.const 3)))`,
  ];
  for (let j = 1; j < cols; j++) {
    L.push(`(local.set $pb${j} (i32.add (local.get $pb${j - 1}) (local.get $rowB)))`);
  }
  return L.join("\n");
}

function colLoop(rows: number): string {
  return `
(local.set $b (i32.const 0))
(block $b4d (loop $b4l
  (br_if $b4d (i32.ge_s (local.get $b) (local.get $nB4)))
  ${setPb(4)}
  ${block(rows, 4)}
  (local.set $b (i32.add (local.get $b) (i32.const 4)))
  (br $b4l)))
(block $b1d (loop $b1l
  (br_if $b1d (i32.ge_s (local.get $b) (local.get $nB)))
  ${setPb(1)}
  ${block(rows, 1)}
  (local.set $b (i32.add (local.get $b) (i32.const 1)))
  (br $b1l)))`;
}

/** The WAT text of the gemm module. */
export function gemmWat(): string {
  const vlocals: string[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) vlocals.push(`(local $s${i}${j} v128)`);
  return `(module
(import "env" "mem" (memory 1))
(func (export "gemm") (param $aOff i32) (param $nA i32) (param $bOff i32) (param $nB i32)
  (param $len i32) (param $cOff i32) (param $ldc i32)
  (local $a i32) (local $b i32) (local $kb i32) (local $n2b i32) (local $odd i32) (local $rowB i32)
  (local $nB4 i32) (local $pa0 i32) (local $pa1 i32) (local $pb0 i32) (local $pb1 i32)
  (local $pb2 i32) (local $pb3 i32) (local $pc0 i32) (local $pc1 i32) (local $t f64)
  (local $x0 v128) (local $x1 v128) (local $y v128)
  ${vlocals.join(" ")}
  (local.set $rowB (i32.shl (local.get $len) (i32.const 3)))
  (local.set $n2b (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3)))
  (local.set $odd (i32.and (local.get $len) (i32.const 1)))
  (local.set $nB4 (i32.and (local.get $nB) (i32.const -4)))
  (local.set $a (i32.const 0))
  (block $a2d (loop $a2l
    (br_if $a2d (i32.ge_s (i32.add (local.get $a) (i32.const 1)) (local.get $nA)))
    (local.set $pa0 (i32.shl (i32.add (local.get $aOff) (i32.mul (local.get $a) (local.get $len))) (i32.const 3)))
    (local.set $pa1 (i32.add (local.get $pa0) (local.get $rowB)))
    (local.set $pc0 (i32.shl (i32.add (local.get $cOff) (i32.mul (local.get $a) (local.get $ldc))) (i32.const 3)))
    (local.set $pc1 (i32.add (local.get $pc0) (i32.shl (local.get $ldc) (i32.const 3))))
    ${colLoop(2)}
    (local.set $a (i32.add (local.get $a) (i32.const 2)))
    (br $a2l)))
  (if (i32.lt_s (local.get $a) (local.get $nA)) (then
    (local.set $pa0 (i32.shl (i32.add (local.get $aOff) (i32.mul (local.get $a) (local.get $len))) (i32.const 3)))
    (local.set $pc0 (i32.shl (i32.add (local.get $cOff) (i32.mul (local.get $a) (local.get $ldc))) (i32.const 3)))
    ${colLoop(1)}
  ))
)
)`;
}

if (import.meta.main) console.log(gemmWat());
