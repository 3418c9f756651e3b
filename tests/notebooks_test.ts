/**
 * The project's notebooks end to end: they type-check, `deno task reproduce` executes all of them
 * at quick scale with every declared figure present, and every page of the report renders its
 * figures in headless Chromium. While notebooks/ is empty, the fixture notebook stands in.
 */

import assert from "node:assert/strict";
import { notebooksIn, ROOT } from "../tools/prereq.ts";
import { jsbPath } from "./helpers.ts";
import { checkNotebooks } from "../tools/check_notebooks.ts";
import { checkReport } from "../tools/check_report.ts";
import { readResult } from "../tools/runner.ts";
import { notebookParameters } from "../tools/parameters.ts";

/**
 * A notebook as git stores it (the index blob, else HEAD's), so that outputs a user's Notebook
 * UI autosaved into the working copy do not matter: the clean filter (tools/nbstrip.py) strips
 * them when staging. Outside a git checkout: the file itself.
 */
async function stored(rel: string): Promise<string> {
  for (const spec of [`:${rel}`, `HEAD:${rel}`]) {
    try {
      const r = await new Deno.Command("git", {
        args: ["show", spec],
        cwd: ROOT,
        stdout: "piped",
        stderr: "null",
      }).output();
      if (r.code === 0) return new TextDecoder().decode(r.stdout);
    } catch { /* git missing or not allowed: use the file */ }
  }
  return await Deno.readTextFile(`${ROOT}/${rel}`);
}

async function projectNotebooks(): Promise<string[]> {
  return (await notebooksIn(`${ROOT}/notebooks`)).map((p) => p.slice(p.lastIndexOf("/") + 1));
}

const notebooks = await projectNotebooks();
const useFixture = notebooks.length === 0;
const names = useFixture ? ["sample.ipynb"] : notebooks;
const out = useFixture ? `${ROOT}/build/tmp/notebooks-fixture` : `${ROOT}/build`;

Deno.test("notebooks follow the format conventions", async () => {
  const dir = useFixture ? `${ROOT}/tests/fixtures` : `${ROOT}/notebooks`;
  for (const name of names) {
    assert.match(name, useFixture ? /\.ipynb$/ : /^\d\d-[a-z0-9-]+\.ipynb$/, name);
    const nb = JSON.parse(
      useFixture ? await Deno.readTextFile(`${dir}/${name}`) : await stored(`notebooks/${name}`),
    );
    assert.equal(nb.nbformat, 4, name);
    assert.deepEqual(
      nb.metadata.kernelspec,
      { name: "deno", display_name: "Deno", language: "typescript" },
      `${name}: kernelspec`,
    );
    assert.equal(nb.metadata.language_info?.name, "typescript", `${name}: language_info`);
    assert.equal(typeof nb.metadata.ghostlab?.summary, "string", `${name}: ghostlab.summary`);
    const first = nb.cells[0];
    const src = (c: { source: string | string[] }) =>
      Array.isArray(c.source) ? c.source.join("") : c.source;
    assert.ok(first.cell_type === "markdown" && src(first).startsWith("# "), `${name}: title cell`);
    // nbformat ≥ 4.5 requires a unique id on every cell (Jupyter warns, later versions refuse)
    if (nb.nbformat_minor >= 5) {
      const ids = nb.cells.map((c: { id?: unknown }) => c.id);
      assert.ok(
        ids.every((id: unknown) => typeof id === "string" && id !== ""),
        `${name}: cell ids`,
      );
      assert.equal(new Set(ids).size, ids.length, `${name}: cell ids are unique`);
    }
    for (const [i, c] of nb.cells.entries()) {
      if (c.cell_type !== "code") continue;
      assert.deepEqual(c.outputs, [], `${name}: cell ${i} has committed outputs (git stores them)`);
      assert.equal(c.execution_count, null, `${name}: cell ${i} has an execution count`);
      const figs = c.metadata?.ghostlab?.figures;
      if (figs !== undefined) {
        assert.ok(Number.isInteger(figs) && figs >= 0, `${name}: cell ${i} ghostlab.figures`);
      }
    }
  }
});

Deno.test("every notebook has an imports cell, then a parameters cell of commented knobs", async () => {
  const dir = useFixture ? `${ROOT}/tests/fixtures` : `${ROOT}/notebooks`;
  const problems: string[] = [];
  for (const name of useFixture ? [] : names) {
    const nb = JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
    try {
      const ps = notebookParameters(nb);
      if (ps.length === 0) problems.push(`${name}: the parameters cell declares no knob`);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(problems, [], `DEVELOPING.md, Notebooks:\n${problems.join("\n")}`);
});

Deno.test("notebooks type-check", async () => {
  const r = await checkNotebooks([useFixture ? `${ROOT}/tests/fixtures` : `${ROOT}/notebooks`]);
  assert.ok(r.ok, r.output);
});

Deno.test("deno task reproduce runs every notebook at quick scale with all figures", async () => {
  const env: Record<string, string> = { GHOSTLAB_SCALE: "quick", NO_COLOR: "1" };
  // The chorales: CI and developers keep them beside the project (../shared/data).
  const jsb = jsbPath();
  if (jsb) env.GHOSTLAB_JSB_PATH = jsb;
  const args = useFixture
    ? ["task", "reproduce", "--out", out, `${ROOT}/tests/fixtures`]
    : ["task", "reproduce"];
  const r = await new Deno.Command("deno", {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(r.stdout);
  const stderr = new TextDecoder().decode(r.stderr);
  console.log(stdout.trim());
  assert.equal(r.code, 0, `${stdout}\n${stderr.slice(-4000)}`);
  assert.match(stdout, new RegExp(`notebooks: ${names.length} passed, 0 failed`));
  for (const name of names) {
    const res = await readResult(`${out}/notebooks`, name);
    assert.equal(res.status, "passed", `${name}: ${res.failures.join("; ")}`);
    assert.equal(res.scale, "quick");
    assert.ok(
      res.declaredFigures > 0,
      `${name} declares no figures (cell metadata ghostlab.figures)`,
    );
    assert.ok(res.figures >= res.declaredFigures, `${name}: ${res.figures} figures`);
    assert.ok(res.title.length > 0, `${name} has no "# " title`);
    assert.ok(res.summary.length > 0, `${name} has no metadata ghostlab.summary`);
  }
  const index = await Deno.readTextFile(`${out}/site/index.html`);
  for (const name of names) assert.ok(index.includes(name), `${name} missing from the index`);
});

Deno.test("the report renders every figure in Chromium", async () => {
  const results = await checkReport(`${out}/site`, `${ROOT}/build/screenshots`);
  for (const name of names) {
    const page = results.find((p) => p.page === name.replace(/\.ipynb$/, ".html"));
    assert.ok(page, `no page for ${name}`);
    const res = await readResult(`${out}/notebooks`, name);
    assert.equal(page.figures.length, res.figures, `${page.page}: figures on the page`);
  }
  for (const p of results) assert.deepEqual(p.problems, [], `${p.page}: ${p.problems.join("; ")}`);
});
