/**
 * Tests of the notebook pipeline: the figures' display bundle, the headless runner (errors,
 * timeouts, missing figures, late outputs), the prerequisite message, the notebook type-check and
 * the report's browser check. Synthetic notebooks are written under build/tmp/.
 */

import assert from "node:assert/strict";
import {
  type DisplayBundle,
  type Figure,
  figure,
  line,
  markers,
  NBEXTENSION_PLOTLY,
} from "@lib/plot/mod.ts";
import { notebookProblems, plotlyPath, ROOT } from "../tools/prereq.ts";
import { readResult, runNotebooks } from "../tools/runner.ts";
import { parseArgs } from "../tools/reproduce.ts";
import { checkNotebooks, locate, notebookSource } from "../tools/check_notebooks.ts";
import { buildReport, describe, patchPage } from "../tools/report.ts";
import { checkReport } from "../tools/check_report.ts";
import {
  injectedCells,
  notebookParameters,
  parseOverride,
  parseParameters,
} from "../tools/parameters.ts";
import { formatSeconds, progress, progressLine, show } from "@lib/display.ts";

/** What the Deno kernel does with a displayed object: calls its Symbol.for("Jupyter.display"). */
const bundleOf = (fig: Figure) =>
  (fig as unknown as Record<symbol, () => DisplayBundle>)[Symbol.for("Jupyter.display")]();
const PLOTLY = "application/vnd.plotly.v1+json";

interface Cell {
  md?: string;
  code?: string;
  figures?: number;
  tags?: string[];
}

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[] | unknown>;
  ename?: string;
}

interface ExecutedNotebook {
  cells: { cell_type: string; outputs?: Output[]; execution_count?: number | null }[];
}

/** Writes a Deno-kernel notebook (nbformat 4) built from `cells`. */
async function writeNotebook(path: string, cells: Cell[], summary = "test notebook") {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
      language_info: { name: "typescript" },
      ghostlab: { summary },
    },
    cells: cells.map((c, i) =>
      c.md !== undefined ? { id: `c${i}`, cell_type: "markdown", metadata: {}, source: c.md } : {
        id: `c${i}`,
        cell_type: "code",
        metadata: {
          ...(c.figures ? { ghostlab: { figures: c.figures } } : {}),
          ...(c.tags ? { tags: c.tags } : {}),
        },
        execution_count: null,
        outputs: [],
        source: c.code,
      }
    ),
  };
  await Deno.writeTextFile(path, JSON.stringify(nb, null, 1));
}

const tmpDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of tmpDirs) Deno.removeSync(d, { recursive: true });
});

/** A fresh folder under build/tmp/, removed when the test module ends. */
async function tmpDir(prefix: string): Promise<string> {
  await Deno.mkdir(`${ROOT}/build/tmp`, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: `${ROOT}/build/tmp`, prefix });
  tmpDirs.push(dir);
  return dir;
}

async function readNotebook(path: string): Promise<ExecutedNotebook> {
  return JSON.parse(await Deno.readTextFile(path));
}

const codeCells = (nb: ExecutedNotebook) => nb.cells.filter((c) => c.cell_type === "code");
const plain = (o: Output) => {
  const t = o.data?.["text/plain"] ?? o.text ?? "";
  return Array.isArray(t) ? t.join("") : String(t);
};

Deno.test("figure display bundle: plotly JSON, self-drawing HTML and a text summary", () => {
  const fig = figure(
    [
      line(new Float64Array([0, 1, 2]), [1, NaN, Infinity], { name: "a </script> b" }),
      markers([0, 1], [2, 3]),
    ],
    { title: "Demo", xaxis: { title: "x" } },
    { height: 300, digits: 3 },
  );
  const b = bundleOf(fig);
  assert.deepEqual(Object.keys(b).sort(), [PLOTLY, "text/html", "text/plain"].sort());
  const spec = b[PLOTLY];
  assert.equal(spec.data.length, 2);
  assert.deepEqual(spec.data[0].x, [0, 1, 2]); // typed array -> plain array
  assert.deepEqual(spec.data[0].y, [1, null, null]); // non-finite -> null
  // plotly.js 3 needs titles as objects.
  assert.deepEqual(spec.layout.title, { text: "Demo" });
  assert.deepEqual((spec.layout.xaxis as { title: unknown }).title, { text: "x" });
  assert.equal(spec.layout.height, 300);
  assert.equal(b["text/plain"], "Figure: Demo (2 traces)");
  const html = b["text/html"];
  assert.match(html, /class="ghostlab-figure" data-traces="2"/);
  assert.ok(html.includes(`nbextensions/${NBEXTENSION_PLOTLY}`));
  // Exactly one closing script tag: the trace name cannot end the script early.
  assert.equal(html.split("</script>").length, 2);
  // The embedded JSON is the same spec.
  const json = html.match(/var spec=(.*?);var el=/)![1].replaceAll("<\\/", "</");
  assert.deepEqual(JSON.parse(json), spec);
  // Every display gets its own element id.
  const id = (h: string) => h.match(/id="([^"]+)"/)![1];
  assert.notEqual(id(html), id(bundleOf(fig)["text/html"]));
  // The bundle is JSON-serialisable as Jupyter needs.
  assert.deepEqual(JSON.parse(JSON.stringify(b)), b);
});

Deno.test("runner: a failing cell fails the notebook and stops it", async () => {
  const dir = await tmpDir("runner-error-");
  await writeNotebook(`${dir}/err.ipynb`, [
    { md: "# Error" },
    { code: 'console.log("first")' },
    { code: 'throw new RangeError("boom in cell two")' },
    { code: 'console.log("never")' },
  ]);
  const r = await runNotebooks({ notebooks: [`${dir}/err.ipynb`], outDir: `${dir}/out` });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL .*err\.ipynb/);
  assert.match(r.stdout, /code cell 2 failed: RangeError: boom in cell two/);
  assert.match(r.stdout, /notebooks: 0 passed, 1 failed\n$/);
  const res = await readResult(`${dir}/out`, "err.ipynb");
  assert.equal(res.status, "failed");
  const cells = codeCells(await readNotebook(`${dir}/out/err.ipynb`));
  assert.equal(plain(cells[0].outputs![0]), "first\n");
  assert.ok(cells[1].outputs!.some((o) => o.output_type === "error" && o.ename === "RangeError"));
  assert.deepEqual(cells[2].outputs, []); // not executed
});

Deno.test("runner: a syntax error is reported and shown as an error output", async () => {
  const dir = await tmpDir("runner-syntax-");
  await writeNotebook(`${dir}/syntax.ipynb`, [{ md: "# Syntax" }, { code: "const = ;" }]);
  const r = await runNotebooks({ notebooks: [`${dir}/syntax.ipynb`], outDir: `${dir}/out` });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /code cell 1 failed: .*syntax error/);
  const cells = codeCells(await readNotebook(`${dir}/out/syntax.ipynb`));
  assert.equal(cells[0].outputs![0].output_type, "error");
});

Deno.test("runner: a cell over the timeout fails the notebook", async () => {
  const dir = await tmpDir("runner-timeout-");
  await writeNotebook(`${dir}/slow.ipynb`, [
    { md: "# Slow" },
    { code: "1 + 1" },
    { code: "while (true) {}" },
  ]);
  const t0 = Date.now();
  const r = await runNotebooks({
    notebooks: [`${dir}/slow.ipynb`],
    outDir: `${dir}/out`,
    timeout: 3,
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /code cell 2 timed out after 3 s/);
  assert.ok(Date.now() - t0 < 60_000, "the stuck kernel was not stopped");
});

Deno.test("runner: fewer figures than declared fails; declared figures present passes", async () => {
  const dir = await tmpDir("runner-figures-");
  const imp = 'import { figure, line } from "@lib/plot/mod.ts";';
  const fig = (t: string) => `figure([line([0, 1], [0, 1])], { title: "${t}" })`;
  await writeNotebook(`${dir}/missing.ipynb`, [
    { md: "# Missing" },
    { code: imp },
    { code: `Deno.jupyter.display(${fig("one")});\n"no second figure"`, figures: 2 },
  ]);
  await writeNotebook(`${dir}/present.ipynb`, [
    { md: "# Present" },
    { code: imp },
    { code: `Deno.jupyter.display(${fig("one")});\n${fig("two")}`, figures: 2 },
  ]);
  const r = await runNotebooks({
    notebooks: [`${dir}/missing.ipynb`, `${dir}/present.ipynb`],
    outDir: `${dir}/out`,
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL .*missing\.ipynb/);
  assert.match(r.stdout, /code cell 2 declares 2 figure\(s\) but 1 arrived/);
  assert.match(r.stdout, /PASS .*present\.ipynb/);
  assert.match(r.stdout, /notebooks: 1 passed, 1 failed/);
  const ok = await readResult(`${dir}/out`, "present.ipynb");
  assert.equal(ok.figures, 2);
  assert.equal(ok.declaredFigures, 2);
});

Deno.test("runner: every output of many small cells is kept, run after run, side by side", async () => {
  // The Deno kernel publishes some outputs after the cell's `idle` (and tags outputs it sends
  // late with whatever request is current): each cell must nevertheless end up with exactly its
  // own outputs, every time — also with the three notebooks running at once (`--jobs 3`), each in
  // its own kernel.
  const dir = await tmpDir("runner-late-");
  const n = 30;
  const cells: Cell[] = [
    { md: "# Many outputs" },
    {
      code: 'import { figure, line } from "@lib/plot/mod.ts";\n' +
        "const f = (i: number) => figure([line([0, 1, 2], [i, 2 * i, 3 * i])], { title: `f${i}` });",
    },
  ];
  // An output published from a timer just after the cell returned: sent after the reply, while
  // the runner would already be starting the next cell.
  cells.push(
    { code: 'setTimeout(() => Deno.jupyter.display(f(999)), 5);\n"scheduled"', figures: 1 },
    { code: 'console.log("next");' },
  );
  for (let i = 0; i < n; i++) {
    cells.push(
      i % 2 === 0
        ? {
          code: `for (let k = 0; k < 3; k++) Deno.jupyter.display(f(${i} * 10 + k));\n` +
            `console.log("cell ${i}");\nf(${i})`,
          figures: 4,
        }
        : { code: `console.log("cell ${i}");\n({ x: ${i} })` },
    );
  }
  const runs = 3;
  const paths = Array.from({ length: runs }, (_, k) => `${dir}/late${k}.ipynb`);
  for (const p of paths) await writeNotebook(p, cells);
  const r = await runNotebooks({ notebooks: paths, outDir: `${dir}/out`, args: ["--jobs", "3"] });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // Whole lines: one RUN and one PASS line per notebook, then the summary.
  const lines = r.stdout.trim().split("\n");
  for (let k = 0; k < runs; k++) {
    assert.equal(
      lines.filter((l) => l.startsWith("RUN  ") && l.endsWith(`late${k}.ipynb`)).length,
      1,
    );
    assert.equal(
      lines.filter((l) => l.startsWith(`PASS `) && l.includes(`late${k}.ipynb (`)).length,
      1,
    );
  }
  assert.equal(lines.at(-1), `notebooks: ${runs} passed, 0 failed`);
  let late = 0;
  for (let k = 0; k < runs; k++) {
    const nb = await readNotebook(`${dir}/out/late${k}.ipynb`);
    const timer = codeCells(nb)[1].outputs!.map((o) => `${o.output_type}|${plain(o)}`);
    assert.deepEqual(timer, ["display_data|Figure: f999 (1 traces)", 'execute_result|"scheduled"']);
    assert.deepEqual(codeCells(nb)[2].outputs!.map(plain), ["next\n"]);
    const code = codeCells(nb).slice(3);
    assert.equal(code.length, n);
    code.forEach((c, i) => {
      const got = c.outputs!.map((o) => `${o.output_type}|${plain(o)}`).sort();
      const want = i % 2 === 0
        ? [
          ...[0, 1, 2].map((j) => `display_data|Figure: f${i * 10 + j} (1 traces)`),
          `execute_result|Figure: f${i} (1 traces)`,
          `stream|cell ${i}\n`,
        ]
        : [`execute_result|{ x: ${i} }`, `stream|cell ${i}\n`];
      assert.deepEqual(got, want.sort(), `run ${k}, cell ${i}`);
      // The execute_result is the cell's last output.
      assert.equal(c.outputs!.at(-1)!.output_type, "execute_result");
    });
    assert.deepEqual(
      codeCells(nb).map((c) => c.execution_count),
      Array.from({ length: n + 3 }, (_, i) => i + 1),
    );
    late += (await readResult(`${dir}/out`, `late${k}.ipynb`)).lateOutputs;
  }
  console.log(`late outputs kept over ${runs} runs: ${late}`);
});

Deno.test("prerequisites: a missing Jupyter gives an install message, not a stack trace", async () => {
  const problems = await notebookProblems("/nonexistent/python3");
  assert.equal(problems.length, 1);
  assert.match(problems[0], /\/nonexistent\/python3/);
  assert.match(problems[0], /apt-get install .*jupyter-nbconvert .*python3-nbclient/);
  assert.match(problems[0], /pip install nbclient/);
  const out = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read=.",
      "--allow-write=build",
      "--allow-run=/nonexistent/python3,deno",
      "--allow-env=GHOSTLAB_*",
      "tools/reproduce.ts",
      "tests/fixtures",
    ],
    cwd: ROOT,
    env: { GHOSTLAB_PYTHON: "/nonexistent/python3", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, err);
  assert.match(err, /deno task reproduce cannot run:/);
  assert.match(err, /install Jupyter/);
  assert.doesNotMatch(err, /^\s+at /m); // no stack trace
  assert.doesNotMatch(err, /Uncaught/);
});

Deno.test("check_notebooks: the fixture passes; a misspelled import and a type error fail", async () => {
  const good = await checkNotebooks([`${ROOT}/tests/fixtures/sample.ipynb`]);
  assert.ok(good.ok, good.output);
  // Not under build/: deno.json excludes it, and deno check skips excluded files.
  const dir = await Deno.makeTempDir({ dir: `${ROOT}/tests/fixtures`, prefix: ".tmp-nbcheck-" });
  try {
    await writeNotebook(`${dir}/bad.ipynb`, [
      { md: "# Bad" },
      {
        code:
          'import { figure } from "@lib/plot/mod.ts";\nimport { lien } from "@lib/plot/mod.ts";',
      },
      { code: "const a = 1;" },
      { code: 'const n: number = "three";\nvoid Deno.jupyter.display(figure([]));' },
    ]);
    const bad = await checkNotebooks([`${dir}/bad.ipynb`]);
    assert.equal(bad.ok, false);
    const at = bad.diagnostics.map((d) => [d.cell, d.line, d.message.slice(0, 6)]);
    assert.deepEqual(at, [[1, 2, "TS2305"], [3, 1, "TS2322"]], bad.output);
    assert.match(bad.output, /bad\.ipynb \(code cell 1, line 2:10\)/);
    // The temporary .ts files are gone.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".ts"));
    assert.deepEqual(left, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // A notebook in an excluded folder cannot pass unchecked.
  const excluded = await tmpDir("nbcheck-excluded-");
  await writeNotebook(`${excluded}/x.ipynb`, [{ code: 'const s: number = "x";' }]);
  const skipped = await checkNotebooks([`${excluded}/x.ipynb`]);
  assert.equal(skipped.ok, false);
  assert.match(skipped.output, /excluded by deno\.json/);
});

Deno.test("check_notebooks: cells map back to their lines", () => {
  const { source, spans } = notebookSource({
    cells: [
      { cell_type: "markdown", source: "# t" },
      { cell_type: "code", source: ["a;\n", "b;\n"] },
      { cell_type: "code", source: "c;" },
    ],
  });
  const lines = source.split("\n");
  assert.equal(lines[spans[0].start - 1], "a;");
  assert.equal(lines[spans[1].start - 1], "c;");
  assert.deepEqual(locate(spans, spans[0].start + 1), { cell: 1, line: 2 });
  assert.equal(locate(spans, 1), null);
});

Deno.test("report: pages render every figure in Chromium; a broken figure is caught", async () => {
  const dir = await tmpDir("report-");
  const r = await runNotebooks({
    notebooks: [`${ROOT}/tests/fixtures/sample.ipynb`],
    outDir: `${dir}/notebooks`,
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const entries = await buildReport({
    notebooks: [`${ROOT}/tests/fixtures/sample.ipynb`],
    executedDir: `${dir}/notebooks`,
    siteDir: `${dir}/site`,
  });
  assert.deepEqual(entries.map((e) => [e.title, e.status, e.figures]), [
    ["Pipeline sample", "passed", 2],
  ]);
  const index = await Deno.readTextFile(`${dir}/site/index.html`);
  assert.match(index, /Pipeline self-test/);
  assert.match(index, /href="sample\.html"/);
  const page = await Deno.readTextFile(`${dir}/site/sample.html`);
  assert.equal(page.split('<script src="plotly.min.js"></script>').length, 2); // loaded once
  assert.doesNotMatch(page, /cdn\.plot\.ly|cdnjs[^"]*plotly/);
  assert.equal(
    (await Deno.stat(`${dir}/site/plotly.min.js`)).size,
    (await Deno.stat(plotlyPath())).size,
  );
  // A copy whose second figure claims a trace it does not have.
  await Deno.writeTextFile(
    `${dir}/site/broken.html`,
    page.replace(/data-traces="2"/, 'data-traces="3"'),
  );
  const results = await checkReport(`${dir}/site`, `${dir}/screenshots`, { timeoutMs: 8000 });
  const byPage = Object.fromEntries(results.map((p) => [p.page, p]));
  assert.deepEqual(byPage["sample.html"].problems, []);
  assert.equal(byPage["sample.html"].figures.length, 2);
  assert.ok(byPage["sample.html"].figures.every((f) => f.svg && f.traces === f.expected));
  assert.deepEqual(byPage["index.html"].problems, []);
  assert.equal(byPage["broken.html"].problems.length, 1, byPage["broken.html"].problems.join());
  assert.match(byPage["broken.html"].problems[0], /drew 2 trace\(s\), expected 3/);
  const png = await Deno.readFile(`${dir}/screenshots/sample.png`);
  assert.deepEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  assert.ok(png.length > 10_000);
});

Deno.test("report: title, summary and page patch", () => {
  const nb = {
    cells: [
      { cell_type: "code", source: "# not a heading" },
      { cell_type: "markdown", source: ["Intro\n", "# The title\n", "text"] },
    ],
    metadata: { ghostlab: { summary: "One line." } },
  };
  assert.deepEqual(describe(nb), { title: "The title", summary: "One line." });
  const html = '<html><head><script src="file:///x/require.min.js"></script></head><body a="1">' +
    "<p>x</p></body></html>";
  const out = patchPage(html, {
    notebook: "a.ipynb",
    page: "a.html",
    title: "A",
    summary: "",
    status: "failed",
    failures: ["code cell 1 failed: <boom>"],
    figures: 0,
    seconds: 1,
    scale: "quick",
    overrides: { nR: 9 },
  });
  assert.match(out, /with <code>nR = 9<\/code>/);
  assert.doesNotMatch(out, /require\.min\.js/);
  assert.match(out, /<head>\n<script src="plotly\.min\.js"><\/script>/);
  assert.match(out, /<body a="1">\n<nav/);
  assert.match(out, /&lt;boom&gt;/);
});

Deno.test("parameters: the parameters cell parses; anything else in it is named", () => {
  const ps = parseParameters(
    "// grid\nconst nR = byScale({ quick: 17, paper: 49 }); // number of r values\n\n" +
      'const rs = [\n  1, 2,\n]; // the r values; a "quoted; thing"\n' +
      "const fromFile = true; // [paper] read the committed results\n",
  );
  assert.deepEqual(ps.map((p) => [p.name, p.value, p.only]), [
    ["nR", "byScale({ quick: 17, paper: 49 })", undefined],
    ["rs", "[\n  1, 2,\n]", undefined],
    ["fromFile", "true", "paper"],
  ]);
  assert.equal(ps[1].comment, 'the r values; a "quoted; thing"');
  assert.throws(() => parseParameters("const a = 1;"), /a needs a one-line `\/\/ comment`/);
  assert.throws(() => parseParameters("const a = 1; // x\nrun(a);"), /line 2 is not `const/);
  assert.throws(() => parseParameters("const a = 1; // x\nconst a = 2; // y"), /declared twice/);
  const nb = (cells: { cell_type: string; source: string; metadata?: { tags?: string[] } }[]) => ({
    cells,
  });
  const imports = { cell_type: "code", source: 'import { x } from "@lib/x.ts";' };
  assert.throws(
    () => notebookParameters(nb([imports, { cell_type: "code", source: "const a = 1; // a" }])),
    /tagged "parameters"/,
  );
  assert.throws(
    () =>
      notebookParameters(
        nb([{ cell_type: "code", source: "const a = 1;" }, imports]),
      ),
    /imports only/,
  );
});

Deno.test("parameters: --set parses and unknown notebooks / names / other-scale knobs are rejected", () => {
  assert.deepEqual(parseOverride("notebooks/03-x.ipynb:lr=0.01"), {
    notebook: "03-x",
    name: "lr",
    value: 0.01,
    text: "0.01",
  });
  assert.equal(parseOverride("a:opt=adam").value, "adam");
  assert.deepEqual(parseOverride("a:rs=[1,2]").value, [1, 2]);
  assert.throws(() => parseOverride("lr=0.01"), /expected NOTEBOOK:name=value/);
  assert.throws(() => parseOverride("a:x=1 2"), /must be JSON/);
  const params = new Map([[
    "03-x",
    parseParameters("const lr = 0.1; // rate\nconst cached = true; // [paper] read results"),
  ]]);
  assert.throws(
    () => injectedCells([parseOverride("04-y:lr=1")], params, "quick"),
    /no notebook 04-y in this run \(notebooks: 03-x\)/,
  );
  assert.throws(
    () => injectedCells([parseOverride("03-x:eta=1")], params, "quick"),
    /03-x has no parameter eta \(at quick scale: lr\)/,
  );
  assert.throws(
    () => injectedCells([parseOverride("03-x:cached=false")], params, "quick"),
    /cached is used only at paper scale/,
  );
  const cells = injectedCells([parseOverride("03-x:cached=false")], params, "paper");
  assert.deepEqual(cells.get("03-x")!.overrides, { cached: false });
  assert.match(cells.get("03-x")!.source, /^const cached = false;$/m);
});

Deno.test("reproduce: --jobs is read; a bad --jobs or an unknown option is named", async () => {
  assert.equal((await parseArgs(["--jobs", "3"])).jobs, 3);
  assert.equal((await parseArgs([])).jobs, undefined);
  for (const bad of ["0", "1.5", "x"]) {
    await assert.rejects(parseArgs(["--jobs", bad]), /--jobs must be a whole number >= 1/);
  }
  await assert.rejects(parseArgs(["--job", "2"]), /unknown option --job \(valid: .*--jobs N/);
});

Deno.test("reproduce --set: the override changes the computed output and is recorded", async () => {
  const dir = await tmpDir("params-");
  const nbPath = `${dir}/p1.ipynb`;
  await writeNotebook(nbPath, [
    { md: "# Parameters" },
    { code: 'import { md, show } from "@lib/display.ts";' },
    { code: 'const n = 3; // how many\nconst label = "sum"; // the label', tags: ["parameters"] },
    { code: "await show(md`${label} = ${2 * n}`);" },
  ]);
  const reproduce = (...set: string[]) =>
    new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read=.",
        "--allow-write=build",
        "--allow-run=/usr/bin/python3,deno",
        "--allow-env=GHOSTLAB_*",
        "tools/reproduce.ts",
        "--out",
        `${dir}/out`,
        nbPath,
        ...set.flatMap((s) => ["--set", s]),
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1", GHOSTLAB_SCALE: "quick" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  const text = async () =>
    codeCells(await readNotebook(`${dir}/out/notebooks/p1.ipynb`)).map((c) =>
      (c.outputs ?? []).map(plain).join("")
    );
  let r = await reproduce();
  assert.equal(r.code, 0, dec(r.stdout) + dec(r.stderr));
  assert.deepEqual((await text()).at(-1), "sum = 6");
  r = await reproduce("p1:n=5", "p1:label=total");
  assert.equal(r.code, 0, dec(r.stdout) + dec(r.stderr));
  assert.deepEqual((await text()).at(-1), "total = 10");
  const nb = JSON.parse(await Deno.readTextFile(`${dir}/out/notebooks/p1.ipynb`));
  const injected = nb.cells[3];
  assert.deepEqual(injected.metadata.tags, ["injected-parameters"]);
  assert.equal(nb.cells[2].metadata.tags[0], "parameters");
  assert.deepEqual(nb.metadata.ghostlab.overrides, { n: 5, label: "total" });
  assert.deepEqual((await readResult(`${dir}/out/notebooks`, "p1.ipynb")).overrides, {
    n: 5,
    label: "total",
  });
  const index = await Deno.readTextFile(`${dir}/out/site/index.html`);
  assert.match(index, /<code>n = 5<\/code>, <code>label = &quot;total&quot;<\/code>/);
  // A value of another type than the default fails the notebook with a message naming both.
  r = await reproduce("p1:n=true");
  assert.equal(r.code, 1);
  const res = await readResult(`${dir}/out/notebooks`, "p1.ipynb");
  assert.match(res.failures.join(";"), /--set p1:n=true: n must keep the type of its default 3/);
  // Unknown names are rejected before anything runs.
  r = await reproduce("p1:m=1");
  assert.equal(r.code, 2);
  assert.match(dec(r.stderr), /p1 has no parameter m \(at quick scale: n, label\)/);
});

Deno.test("display: plain text outside the kernel; progress validates and prints its last line", async () => {
  const logged: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => logged.push(a.join(" "));
  try {
    await show("**x** = 1");
    await show(figure([line([0, 1], [1, 2])], { title: "t" }));
    const p = progress("work", 4, 0);
    for (let i = 1; i <= 4; i++) await p.update(i);
    await p.done("ok");
    await p.done("twice");
    const short = progress("load", 100, 0);
    await short.done("partial file", 81);
  } finally {
    console.log = orig;
  }
  assert.equal(logged.length, 4);
  assert.equal(logged[0], "**x** = 1");
  assert.equal(logged[1], "Figure: t (1 traces)");
  assert.match(logged[2], /^work: 4\/4 \([\d.e+]+\/s, done in \d+ s\) — ok$/);
  // a final line counts what was finished, not the total (a partial result file: 81 of 100)
  assert.match(logged[3], /^load: 81\/100 \(.*done in \d+ s\) — partial file$/);
  assert.throws(() => progress("x", 0), /total must be an integer >= 1, got 0/);
  assert.throws(() => progress("x", 2, -1), /minIntervalMs must be a finite number >= 0/);
  assert.equal(progressLine("a", 1, 4, 2), "a: 1/4 (0.500/s, ETA 6 s)");
  assert.equal(progressLine("a", 0, 4, 2), "a: 0/4 (0.00/s, ETA ?)");
  assert.equal(formatSeconds(4000), "66.7 min");
});

Deno.test("display: in the kernel a progress line is one output, updated to its final text", async () => {
  const dir = await tmpDir("progress-");
  await writeNotebook(`${dir}/prog.ipynb`, [
    { md: "# Progress" },
    { code: 'import { progress, show } from "@lib/display.ts";' },
    {
      code: 'const p = progress("steps", 20, 0);\n' +
        "for (let i = 1; i <= 20; i++) {\n  await new Promise((r) => setTimeout(r, 10));\n" +
        '  await p.update(i, `at ${i}`);\n}\nawait p.done("finished");\nawait show("after");',
    },
    { code: 'await show("next cell");' },
  ]);
  const r = await runNotebooks({ notebooks: [`${dir}/prog.ipynb`], outDir: `${dir}/out` });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const cells = codeCells(await readNotebook(`${dir}/out/prog.ipynb`));
  const outs = cells[1].outputs!.map(plain);
  assert.equal(outs.length, 2, JSON.stringify(outs));
  assert.match(outs[0], /^steps: 20\/20 \(.*done in \d+ s\) — finished$/);
  assert.equal(outs[1], "after");
  assert.deepEqual(cells[2].outputs!.map(plain), ["next cell"]);
});

Deno.test("git clean filter: .gitattributes strips notebook outputs; clean notebooks pass byte for byte", async () => {
  const dir = await tmpDir("strip-");
  const clean = await Deno.readTextFile(`${ROOT}/notebooks/01-ghost-points.ipynb`);
  const nb = JSON.parse(clean);
  const code = nb.cells.findIndex((c: { cell_type: string }) => c.cell_type === "code");
  nb.cells[code].outputs = [{ output_type: "stream", name: "stdout", text: ["x\n"] }];
  nb.cells[code].execution_count = 7;
  nb.cells[code].metadata.scrolled = true;
  nb.metadata.signature = "sha256:0";
  const dirty = `${dir}/dirty.ipynb`;
  await Deno.writeTextFile(dirty, JSON.stringify(nb, null, 1));
  const git = async (args: string[], file: string) => {
    const r = await new Deno.Command("git", {
      args: [
        "-c",
        "filter.ghostlab-nbstrip.clean=/usr/bin/python3 tools/nbstrip.py",
        ...args,
        file,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    return new TextDecoder().decode(r.stdout).trim();
  };
  // What git would store for a notebook path (the filter applies through .gitattributes).
  const path = "--path=notebooks/99-any.ipynb";
  const stored = await git(["hash-object", path], dirty);
  await Deno.writeTextFile(`${dir}/clean.ipynb`, clean);
  assert.equal(stored, await git(["hash-object", "--no-filters"], `${dir}/clean.ipynb`));
  assert.equal(
    await git(["hash-object", path], `${dir}/clean.ipynb`),
    await git(["hash-object", "--no-filters"], `${dir}/clean.ipynb`),
  );
  // Not a notebook: passes unchanged.
  await Deno.writeTextFile(`${dir}/x.ipynb`, "{ not json");
  assert.equal(
    await git(["hash-object", path], `${dir}/x.ipynb`),
    await git(["hash-object", "--no-filters"], `${dir}/x.ipynb`),
  );
});

Deno.test("install script: a no-op here, a clear error for an unknown profile", async () => {
  const run = (args: string[]) =>
    new Deno.Command("bash", {
      args: ["tools/install.sh", ...args],
      cwd: ROOT,
      env: { GHOSTLAB_NO_INSTALL: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  const bad = await run(["tests"]);
  assert.equal(bad.code, 2);
  assert.match(
    dec(bad.stderr),
    /unknown profile 'tests' \(valid: reproduce, notebook, test, bench\)/,
  );
  const ok = await run(["reproduce"]);
  assert.equal(ok.code, 0, dec(ok.stdout) + dec(ok.stderr));
  assert.match(dec(ok.stdout), /install: all prerequisites present \(reproduce\)/);
  // The README's Quick start opens with exactly the two commands of tools/run.sh.
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const block = /^## Quick start\n\n```sh\n([\s\S]*?)```/m.exec(readme);
  assert.ok(block, "README: ## Quick start must open with a ```sh block");
  const cmds = block[1].split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
  assert.deepEqual(cmds, ["bash tools/run.sh reproduce", "bash tools/run.sh test"]);
});

Deno.test("runner: executed notebooks are signed (trusted by Jupyter)", async () => {
  const dir = await tmpDir("trust-");
  await writeNotebook(`${dir}/t.ipynb`, [
    { md: "# Trust" },
    { code: 'import { show } from "@lib/display.ts";\nawait show("hello");' },
  ]);
  const r = await runNotebooks({ notebooks: [`${dir}/t.ipynb`], outDir: `${dir}/out` });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const check = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import sys, nbformat; from nbformat.sign import NotebookNotary\n" +
      "nb = nbformat.read(sys.argv[1], 4); print(NotebookNotary().check_signature(nb))",
      `${dir}/out/t.ipynb`,
    ],
    stdout: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(check.stdout).trim(), "True");
});
