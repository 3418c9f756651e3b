/**
 * The live classic Notebook UI in Chromium (tools/check_ui.ts, run as `deno task check:ui` in a
 * subprocess because playwright-core needs more permissions than the test task grants): notebook
 * 01 (a few seconds) runs Run All 3 times and its slider must change the figure, a stress notebook
 * of 40 output cells (all through lib/display.ts, the one output path of every notebook) runs 5
 * times, the other cheap notebooks ({@linkcode UI_TEST_NOTEBOOKS}) once; no cell may error, every
 * declared figure must be drawn, no output may appear under the wrong cell, and a new notebook
 * imports @lib/. The notebooks that take minutes at quick scale (02–07) are executed headlessly by
 * tests/notebooks_test.ts; their Run All in the UI is `deno task check:ui` (all notebooks), a task
 * of its own so that `deno task test` stays within its budget (README, "The Notebook UI in a
 * browser"). Screenshots: build/ui/screenshots/.
 */

import assert from "node:assert/strict";
import { notebooksIn, notebookUiProblems, ROOT } from "../tools/prereq.ts";
import type { UiNotebook } from "../tools/check_ui.ts";
import { jsbPath } from "./helpers.ts";

async function checkUi(args: string[], env: Record<string, string> = {}) {
  const jsb = jsbPath();
  const r = await new Deno.Command("deno", {
    args: ["task", "check:ui", ...args],
    cwd: ROOT,
    env: {
      NO_COLOR: "1",
      GHOSTLAB_SCALE: "quick",
      ...(jsb ? { GHOSTLAB_JSB_PATH: jsb } : {}),
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

/** Notebooks run in the UI by `deno task test`: those of a few seconds to a minute at quick scale. */
export const UI_TEST_NOTEBOOKS = /\/(01|08|09)-[^/]*$/;

Deno.test("Notebook UI: Run All in Chromium — figures drawn, no errors, no misplaced outputs", async () => {
  const all = (await notebooksIn(`${ROOT}/notebooks`)).filter((p) => UI_TEST_NOTEBOOKS.test(p));
  assert.equal(all.length, 3, `notebooks 01, 08, 09 expected in notebooks/, found ${all.length}`);
  const first = all.filter((p) => /\/01-[^/]*$/.test(p));
  const rest = all.filter((p) => !first.includes(p));
  const out: UiNotebook[] = [];
  // Notebook 01 (and the stress notebook) several times, the others once.
  for (const [nbs, runs] of [[first, "3"], [rest, "1"]] as const) {
    if (!nbs.length) continue;
    const r = await checkUi([...nbs, "--runs", runs, "--stress-runs", nbs === first ? "5" : "1"]);
    const lines = r.stdout.trim().split("\n");
    console.log(lines.slice(0, -1).join("\n"));
    assert.notEqual(r.code, 2, r.stderr);
    out.push(...JSON.parse(lines.at(-1)!));
  }
  for (const nb of out) {
    for (const [k, run] of nb.runs.entries()) {
      const at = `${nb.notebook}, Run All ${k + 1}`;
      assert.deepEqual(run.errors, [], `${at}: cells with errors`);
      assert.deepEqual(run.figureProblems, [], at);
      assert.ok(run.figures >= run.declared, `${at}: ${run.figures}/${run.declared} figures`);
      assert.equal(run.misplaced, 0, `${at}: ${run.misplacedCells.join("; ")}`);
    }
  }
  const stress = out.filter((n) => n.notebook === "zz-ui-stress.ipynb");
  assert.ok(stress.length >= 1 && stress[0].runs.length === 5, "the stress notebook ran 5 times");
  assert.ok(stress[0].runs.every((r) => r.figures === 10), "stress: 10 figures per run");
  const nb01 = out.find((n) => n.notebook.startsWith("01-"));
  if (nb01) assert.equal(nb01.sliderChanged, true, "notebook 01: the slider changes the figure");
  const fresh = out.find((n) => n.notebook === "zz-ui-new-notebook.ipynb");
  assert.ok(fresh && fresh.runs[0].errors.length === 0, "a new notebook can import @lib/");
  for (const a of all) {
    const name = a.replace(/^.*\//, "");
    assert.ok(out.some((n) => n.notebook === name), `${name} was not opened in the UI`);
  }
  await Deno.stat(`${ROOT}/build/ui/screenshots/zz-ui-stress-run1.png`);
});

Deno.test("Notebook UI: a missing jupyter-notebook names the package", async () => {
  const problems = await notebookUiProblems("/nonexistent/python3");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /install the package jupyter-notebook/);
  assert.match(problems[0], /apt-get install -y --no-install-recommends jupyter-notebook/);
  const r = await checkUi([], { GHOSTLAB_PYTHON: "/nonexistent/python3" });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /deno task check:ui cannot run:[\s\S]*jupyter-notebook/);
});
