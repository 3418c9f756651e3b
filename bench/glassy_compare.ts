// Benchmark: one SGD step of the glassy trainer (docs/glassy-dynamics.md §4) at d = 2, w = 70,
// 54 pitch units, the 80 training chorales and the whole test set, in one run: our default engine
// ("simd": float32 wasm SIMD on 2 threads) → glassy_step_s, the TF.js wasm engine, and the authors'
// numpy step (bench/glassy_numpy.py) with OpenBLAS on 2 threads, its kernel auto-detected for this
// CPU (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE dropped, as a pip numpy would run) → glassy_numpy_step_s,
// and as found in the environment → glassy_numpy_env_step_s. glassy_ratio = numpy / ours.
//
// Usage: deno run -A bench/glassy_compare.ts [--steps N] [--cpu] [--no-numpy] [--no-js] [--no-tfjs]
// Needs the JSB file (GHOSTLAB_JSB_PATH, ../shared/data, or the data/ cache) and /usr/bin/python3
// with numpy for the comparison.
import { loadJsbChorales, prepareChoraleData } from "../lib/glassy/data.ts";
import { GlassyTrainer } from "../lib/glassy/trainer.ts";
import type { EngineName } from "../lib/glassy/engine.ts";

const args = Deno.args;
const flag = (name: string) => args.includes(name);
const stepsArg = args.indexOf("--steps");
const STEPS = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 20;

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

async function timeEngine(engine: EngineName, steps: number): Promise<number> {
  const tr = await GlassyTrainer.create(data, { depth: 2, width: 70 }, engine);
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

async function timeNumpy(steps: number, autoKernel: boolean): Promise<number | null> {
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
    if (blas) console.log(`glassy_numpy${autoKernel ? "" : "_env"}_blas: ${blas[1]}`);
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
const ours = await timeEngine("simd", STEPS);
console.log(`glassy_step_s: ${ours.toFixed(6)}  (simd engine: float32 wasm SIMD, 2 threads)`);
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
if (!flag("--no-numpy")) {
  const np = await timeNumpy(STEPS, true);
  const npEnv = await timeNumpy(STEPS, false);
  if (npEnv !== null) console.log(`glassy_numpy_env_step_s: ${npEnv.toFixed(6)}`);
  if (np !== null) {
    console.log(`glassy_numpy_step_s: ${np.toFixed(6)}  (OpenBLAS kernel auto-detected)`);
    console.log(`glassy_ratio: ${(np / ours).toFixed(2)}  (numpy time / our time; target >= 2)`);
  }
}
