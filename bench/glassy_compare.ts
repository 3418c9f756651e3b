// Benchmark: one SGD step of the glassy trainer (docs/glassy-dynamics.md §4) at d = 2, w = 70,
// 54 pitch units, the 80 training chorales and the whole test set, in one run: our default engine
// ("simd": float32 wasm SIMD on 2 threads) → glassy_step_s, the TF.js wasm engine, and the authors'
// numpy step (bench/glassy_numpy.py) with OpenBLAS on 2 threads, its kernel auto-detected for this
// CPU (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE dropped, as a pip numpy would run) → glassy_numpy_step_s,
// and as found in the environment → glassy_numpy_env_step_s. glassy_ratio = numpy / ours.
// glassy_step_exact_test_s: our step without the test pass (testStates "exact", §4.7), which the
// aging sweep uses; it is not the authors' step and is not in the ratio.
// Ours and numpy (auto kernel) are timed in alternating rounds (--rounds R, default 5), so that a
// burst of load on a shared machine hits both sides alike; each prints the median step time over
// the rounds with its range, and glassy_ratio is the median of the per-round ratios.
//
// Usage: deno run -A bench/glassy_compare.ts [--steps N] [--rounds R] [--cpu] [--no-numpy]
//        [--no-js] [--no-tfjs]
// Needs the JSB file (GHOSTLAB_JSB_PATH, ../shared/data, or the data/ cache) and /usr/bin/python3
// with numpy for the comparison.
import { loadJsbChorales, prepareChoraleData } from "../lib/glassy/data.ts";
import { GlassyTrainer } from "../lib/glassy/trainer.ts";
import type { EngineName } from "../lib/glassy/engine.ts";
import type { TestStates } from "../lib/glassy/config.ts";

const args = Deno.args;
const flag = (name: string) => args.includes(name);
const stepsArg = args.indexOf("--steps");
const STEPS = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 20;
const roundsArg = args.indexOf("--rounds");
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 5;
for (const [name, v] of [["--steps", STEPS], ["--rounds", ROUNDS]] as const) {
  if (!(Number.isInteger(v) && v >= 1)) {
    console.error(`glassy_compare: ${name} must be a whole number >= 1, got ${v}`);
    Deno.exit(2);
  }
}

async function jsbPath(): Promise<string | undefined> {
  const env = Deno.env.get("GHOSTLAB_JSB_PATH");
  if (env) return env;
  const shared = new URL("../../shared/data/jsb-chorales-quarter.json", import.meta.url).pathname;
  try {
    await Deno.stat(shared);
    return shared;
  } catch {
    return undefined; // the loader falls back to the data/ cache or downloads
  }
}

const path = await jsbPath();
const ds = await loadJsbChorales({ path });
const data = prepareChoraleData(ds);

async function timeEngine(
  engine: EngineName,
  steps: number,
  testStates: TestStates = "relaxed",
): Promise<number> {
  const tr = await GlassyTrainer.create(data, { depth: 2, width: 70, testStates }, engine);
  tr.run(5); // warm-up (step 0 also records losses)
  const t0 = performance.now();
  tr.run(steps); // steps 5 … 5+steps−1: no record, no re-orthogonalisation
  const dt = (performance.now() - t0) / 1000 / steps;
  tr.dispose();
  return dt;
}

/** Plain float64 JS time of the step's dense products alone (a lower bound on a JS engine). */
function timeJsMatmuls(): number {
  const T = data.train.T;
  const Tt = data.test.T;
  const mm = (rows: number, k: number, cols: number) => {
    const a = new Float64Array(rows * k).fill(0.01);
    const b = new Float64Array(k * cols).fill(0.02);
    const c = new Float64Array(rows * cols);
    const t0 = performance.now();
    for (let i = 0; i < rows; i++) {
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p];
        const bo = p * cols;
        const co = i * cols;
        for (let j = 0; j < cols; j++) c[co + j] += aip * b[bo + j];
      }
    }
    return (performance.now() - t0) / 1000;
  };
  // forward (x J0ᵀ, m M1ᵀ, μ1 J1ᵀ, m2 M2ᵀ, μ2 Kᵀ, x Wᵀ), backward (n M ×2, e K, δ J), test (4)
  return mm(T, 54, 70) + 4 * mm(T, 70, 70) + mm(T, 70, 54) + mm(T, 54, 54) +
    mm(T, 54, 70) + 2 * mm(T, 70, 70) + mm(Tt, 54, 70) + 3 * mm(Tt, 70, 70);
}

async function timeNumpy(
  steps: number,
  autoKernel: boolean,
  printBlas = true,
): Promise<number | null> {
  if (path === undefined) {
    console.log("glassy_numpy: skipped (the numpy script needs a local JSB path)");
    return null;
  }
  const script = new URL("./glassy_numpy.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, ...(autoKernel ? ["--auto-kernel"] : []), path, String(steps)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const m = text.match(/glassy_numpy_step_s: ([0-9.eE+-]+)/);
    const blas = text.match(/glassy_numpy_blas: (.*)/);
    if (blas && printBlas) {
      console.log(`glassy_numpy${autoKernel ? "" : "_env"}_blas: ${blas[1]}`);
    }
    if (!out.success || !m) {
      console.log(`glassy_numpy: failed (${new TextDecoder().decode(out.stderr).slice(-300)})`);
      return null;
    }
    return Number(m[1]);
  } catch (e) {
    console.log(`glassy_numpy: not run (${(e as Error).message})`);
    return null;
  }
}

console.log(
  `glassy_bench: d=2 w=70 nv=${data.nv} T=${data.train.T} T_test=${data.test.T} ` +
    `batch=300 steps=${STEPS}`,
);
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const range = (v: number[], digits: number) =>
  v.length > 1
    ? `, ${Math.min(...v).toFixed(digits)}–${
      Math.max(...v).toFixed(digits)
    } over ${v.length} rounds`
    : "";
const runNumpy = !flag("--no-numpy");
const oursRounds: number[] = [];
const exactRounds: number[] = [];
const npRounds: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  oursRounds.push(await timeEngine("simd", STEPS));
  exactRounds.push(await timeEngine("simd", STEPS, "exact"));
  if (runNumpy) {
    const t = await timeNumpy(STEPS, true, r === 0);
    if (t !== null) npRounds.push(t);
  }
}
const ours = median(oursRounds);
console.log(
  `glassy_step_s: ${ours.toFixed(6)}  (simd engine: float32 wasm SIMD, 2 threads; median${
    range(oursRounds, 4)
  })`,
);
console.log(
  `glassy_step_exact_test_s: ${
    median(exactRounds).toFixed(6)
  }  (simd engine without the per-step ` +
    `test pass, testStates "exact" (Eq. 4.7.1), as the aging sweep runs; not in the ratio; median${
      range(exactRounds, 4)
    })`,
);
if (!flag("--no-tfjs")) {
  const t = await timeEngine("tfjs-wasm", Math.max(3, Math.round(STEPS / 4)));
  console.log(`glassy_tfjs_wasm_step_s: ${t.toFixed(6)}`);
}
if (flag("--cpu")) {
  const cpu = await timeEngine("tfjs-cpu", Math.max(3, Math.round(STEPS / 10)));
  console.log(`glassy_tfjs_cpu_step_s: ${cpu.toFixed(6)}`);
}
if (!flag("--no-js")) {
  console.log(
    `glassy_js_f64_matmuls_s: ${timeJsMatmuls().toFixed(6)}  (plain JS f64, products only)`,
  );
}
if (runNumpy) {
  const npEnv = await timeNumpy(STEPS, false);
  if (npEnv !== null) console.log(`glassy_numpy_env_step_s: ${npEnv.toFixed(6)}`);
  if (npRounds.length === oursRounds.length) {
    const ratios = npRounds.map((t, r) => t / oursRounds[r]);
    console.log(
      `glassy_numpy_step_s: ${median(npRounds).toFixed(6)}  (OpenBLAS kernel auto-detected; median${
        range(npRounds, 4)
      })`,
    );
    console.log(
      `glassy_ratio: ${median(ratios).toFixed(2)}  (numpy time / our time, median of the rounds${
        range(ratios, 2)
      }; target >= 2)`,
    );
  }
}
