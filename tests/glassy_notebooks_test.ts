// Executes the glassy notebooks (08, 09) at quick scale with the headless runner and checks that
// every declared figure arrived. Needs the JSB file: GHOSTLAB_JSB_PATH, else ../shared/data/.
import assert from "node:assert/strict";
import { readResult, runNotebooks } from "../tools/runner.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const SHARED = `${ROOT}/../shared/data/jsb-chorales-quarter.json`;

function jsbPath(): string | null {
  for (const p of [Deno.env.get("GHOSTLAB_JSB_PATH"), SHARED]) {
    if (!p) continue;
    try {
      Deno.statSync(p);
      return Deno.realPathSync(p); // absolute: the kernel runs in notebooks/
    } catch { /* next */ }
  }
  return null;
}

const path = jsbPath();

for (const nb of ["08-glassy-learning-times", "09-glassy-aging"]) {
  Deno.test({
    name: `notebook ${nb} executes at quick scale with every figure`,
    ignore: path === null,
    fn: async () => {
      const outDir = `${ROOT}/build/test-notebooks`;
      const res = await runNotebooks({
        notebooks: [`${ROOT}/notebooks/${nb}.ipynb`],
        outDir,
        timeout: 600,
        env: { GHOSTLAB_JSB_PATH: path!, GHOSTLAB_SCALE: "quick" },
      });
      const result = await readResult(outDir, `${nb}.ipynb`);
      assert.equal(result.status, "passed", `${res.stdout}\n${res.stderr}\n${result.failures}`);
      assert.ok(result.declaredFigures > 0);
      assert.equal(result.figures, result.declaredFigures);
      assert.equal(res.code, 0);
    },
  });
}
