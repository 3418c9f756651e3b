/**
 * `deno task check:ui [NOTEBOOK ...] [--runs N] [--stress-runs N]` — the live classic Notebook UI
 * in a real browser. Starts `jupyter notebook` on a free localhost port with the project's
 * kernelspec and plotly nbextension (what `deno task notebook` does), drives Debian's Chromium
 * with playwright-core (no browser download), and for every notebook: opens it, runs Cell → Run
 * All `--runs` times (default 1) and records per run the cells that errored, the figures (Plotly's
 * SVG drawn with all the traces its `data-traces` names, for every cell's declared
 * `ghostlab.figures`) and **misplaced outputs** (a cell showing more or fewer outputs than its
 * straight-line `await show(…)` calls, i.e. another cell's output under it). Also runs a stress
 * notebook of many small output cells `--stress-runs` times (default 5; every cell must show
 * exactly its own token), a new notebook that imports `@lib/…`, and notebook 01's slider (moving
 * it must change the figure). Notebooks are copied to build/ui/ first, so the UI's autosave never
 * touches the tracked files. Screenshots go to build/ui/screenshots/. Prints a JSON report as the
 * last line; exit 1 when a check failed, 2 when a prerequisite is missing.
 *
 * @module
 */

/// <reference lib="dom" />

import { chromium as playwright } from "playwright-core";
import type { Page } from "playwright-core";
import { installNbextension, jupyterPath } from "./notebook.ts";
import {
  browserProblems,
  chromium,
  notebookProblems,
  notebooksIn,
  notebookUiProblems,
  problemMessage,
  python,
  ROOT,
} from "./prereq.ts";
import { CHROMIUM_FLAGS } from "./check_report.ts";

/** What one Run All of one notebook showed. */
export interface UiRun {
  /** 1-based code-cell numbers whose output holds an error. */
  errors: number[];
  /** Figures drawn (Plotly SVG with every trace) / declared. */
  figures: number;
  declared: number;
  /** Problems with figures, e.g. `cell 3: 0 of 1 declared figures drawn`. */
  figureProblems: string[];
  /** Outputs under the wrong cell (see the module docs). */
  misplaced: number;
  /** Details of the misplaced outputs. */
  misplacedCells: string[];
  seconds: number;
}

/** The checks of one notebook. */
export interface UiNotebook {
  notebook: string;
  runs: UiRun[];
  /** Notebook 01 only: whether moving the slider changed the figure. */
  sliderChanged?: boolean;
}

const STRESS = "zz-ui-stress.ipynb";
const NEW = "zz-ui-new-notebook.ipynb";

function notebookJson(cells: { code: string; figures?: number }[], title: string) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
      language_info: { name: "typescript" },
      ghostlab: { summary: title },
    },
    cells: [
      { id: "t", cell_type: "markdown", metadata: {}, source: `# ${title}` },
      ...cells.map((c, i) => ({
        id: `c${i}`,
        cell_type: "code",
        metadata: c.figures ? { ghostlab: { figures: c.figures } } : {},
        execution_count: null,
        outputs: [],
        source: c.code,
      })),
    ],
  };
}

/** The stress notebook: 40 cells, each showing its own token (markdown, text or a figure). */
function stressNotebook() {
  const cells = [{
    code:
      'import { md, show } from "@lib/display.ts";\nimport { figure, line } from "@lib/plot/mod.ts";',
  }];
  for (let i = 0; i < 40; i++) {
    cells.push(
      i % 4 === 3
        ? {
          code: `await show(figure([line([0, 1], [0, ${i}])], { title: "tok ${i}" }));`,
          figures: 1,
        } as { code: string; figures?: number }
        : { code: `await show(md\`tok ${i}\`);` },
    );
  }
  return notebookJson(cells, "UI stress: one output per cell");
}

/** Expected outputs of a straight-line cell (no loops, no progress): its awaited shows/awards. */
function expectedOutputs(src: string): number | null {
  if (/\b(for|while|do)\b|progress\(|\.forEach\(|\.map\(/.test(src)) return null;
  return (src.match(/await (show|award)\(/g) ?? []).length;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitForServer(url: string, child: Deno.ChildProcess, seconds = 60) {
  const t0 = performance.now();
  for (;;) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      if (r.ok) return;
    } catch { /* not up yet */ }
    if (performance.now() - t0 > seconds * 1000) {
      child.kill();
      throw new Error(`the Notebook server did not answer at ${url} within ${seconds} s`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Runs all cells in the open notebook and waits until every code cell finished. */
async function runAll(page: Page, timeoutMs: number): Promise<void> {
  await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const nb = (globalThis as any).Jupyter.notebook;
    nb.clear_all_output();
    for (const c of nb.get_cells()) if (c.cell_type === "code") c.set_input_prompt(null);
    nb.execute_all_cells();
  });
  await page.waitForFunction(
    () => {
      // deno-lint-ignore no-explicit-any
      const J = (globalThis as any).Jupyter;
      const cells = J.notebook.get_cells().filter((c: { cell_type: string }) =>
        c.cell_type === "code"
      );
      const done = cells.every((c: { input_prompt_number: unknown; get_text(): string }) =>
        c.get_text().trim() === "" ||
        (typeof c.input_prompt_number === "number")
      );
      const errored = cells.some((c: { output_area: { outputs: { output_type: string }[] } }) =>
        c.output_area.outputs.some((o) => o.output_type === "error")
      );
      return (done || errored) && J.notebook.kernel.is_connected() &&
        document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null;
    },
    undefined,
    { timeout: timeoutMs, polling: 200 },
  );
  await page.waitForTimeout(1500); // late outputs would arrive now
  // Plotly draws asynchronously: on a loaded machine a figure with many traces can need a few
  // seconds more after its output arrived. Wait (up to 30 s) until every figure is drawn with all
  // its traces; what is still not drawn then is reported by `inspect`.
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll(".ghostlab-figure")].every((el) =>
        el.classList.contains("js-plotly-plot") && el.querySelector("svg.main-svg") !== null &&
        // deno-lint-ignore no-explicit-any
        ((el as any)._fullData?.length ?? 0) === Number((el as HTMLElement).dataset.traces)
      ),
    undefined,
    { timeout: 30_000, polling: 250 },
  ).catch(() => {});
}

/** Inspects the outputs of the open notebook after a Run All. */
async function inspect(page: Page, stress: boolean): Promise<Omit<UiRun, "seconds">> {
  type CellInfo = {
    src: string;
    declared: number;
    outputs: { type: string; text: string }[];
    figs: { want: number; drawn: number }[];
  };
  const cells: CellInfo[] = await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const J = (globalThis as any).Jupyter;
    // deno-lint-ignore no-explicit-any
    return J.notebook.get_cells().filter((c: any) => c.cell_type === "code").map((c: any) => {
      const figs = [...c.output_area.element[0].querySelectorAll(".ghostlab-figure")].map(
        // deno-lint-ignore no-explicit-any
        (el: any) => ({
          want: Number(el.dataset.traces),
          drawn: el.classList.contains("js-plotly-plot") && !!el.querySelector("svg.main-svg")
            ? (el._fullData?.length ?? 0)
            : 0,
        }),
      );
      return {
        src: c.get_text(),
        declared: c.metadata?.ghostlab?.figures ?? 0,
        // deno-lint-ignore no-explicit-any
        outputs: c.output_area.outputs.map((o: any) => ({
          type: o.output_type,
          text: String(o.data?.["text/plain"] ?? o.text ?? o.evalue ?? ""),
        })),
        figs,
      };
    });
  });
  const run: Omit<UiRun, "seconds"> = {
    errors: [],
    figures: 0,
    declared: 0,
    figureProblems: [],
    misplaced: 0,
    misplacedCells: [],
  };
  cells.forEach((c, k) => {
    const n = k + 1;
    if (c.outputs.some((o) => o.type === "error")) run.errors.push(n);
    const ok = c.figs.filter((f) => f.drawn === f.want && f.want > 0).length;
    run.figures += ok;
    run.declared += c.declared;
    if (ok < c.declared || c.figs.length !== ok) {
      run.figureProblems.push(
        `cell ${n}: ${ok} of ${c.declared} declared figures drawn with all traces`,
      );
    }
    if (stress) {
      const tok = /tok (\d+)/.exec(c.src)?.[1];
      if (tok === undefined) return;
      const own = c.outputs.filter((o) =>
        o.text.includes(`tok ${tok}`) ||
        o.text.includes(`Figure: tok ${tok} `)
      ).length;
      const bad = c.outputs.length - own + Math.max(0, 1 - own);
      if (bad) {
        run.misplaced += bad;
        run.misplacedCells.push(`cell ${n}: ${JSON.stringify(c.outputs.map((o) => o.text))}`);
      }
      return;
    }
    const want = expectedOutputs(c.src);
    if (want !== null && !run.errors.length && c.outputs.length !== want) {
      run.misplaced += Math.abs(c.outputs.length - want);
      run.misplacedCells.push(
        `cell ${n}: ${c.outputs.length} outputs, expected ${want} (its awaited show/award calls; ` +
          "notebooks output only through @lib/display.ts, DEVELOPING.md)",
      );
    }
  });
  return run;
}

/** Moves notebook 01's slider; true when the figure's drawn traces changed. */
async function moveSlider(page: Page): Promise<boolean> {
  const shape = () =>
    page.evaluate(() =>
      [...document.querySelectorAll(".js-plotly-plot")]
        .filter((el) => el.querySelector(".slider-container"))
        .map((el) =>
          [...el.querySelectorAll(".scatterlayer path.js-line")]
            .map((p) => p.getAttribute("d")).join("|")
        )
        .join("#")
    );
  const before = await shape();
  const rail = page.locator(".js-plotly-plot .slider-container .slider-rail-touch-rect").first();
  if (await rail.count() === 0) return false;
  await rail.scrollIntoViewIfNeeded();
  await page.waitForTimeout(200);
  const box = await rail.boundingBox();
  if (!box || !before) return false;
  const x = box.x + box.width * 0.05;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.up();
  await page.waitForTimeout(800);
  const after = await shape();
  return after !== before && after.length > 0;
}

/** Options for {@linkcode checkUi}. */
export interface UiOptions {
  /** Notebooks (default: every notebook in notebooks/). */
  notebooks?: string[];
  /** Run All per notebook (default 1). */
  runs?: number;
  /** Run All of the stress notebook (default 5). */
  stressRuns?: number;
  /** Longest Run All of one notebook, in seconds (default 900). */
  timeout?: number;
}

/** Runs the UI checks (see the module docs). */
export async function checkUi(opts: UiOptions = {}): Promise<UiNotebook[]> {
  const runs = opts.runs ?? 1;
  const stressRuns = opts.stressRuns ?? 5;
  const work = `${ROOT}/build/ui`;
  const shots = `${work}/screenshots`;
  await Deno.mkdir(`${work}/notebooks`, { recursive: true });
  await Deno.mkdir(shots, { recursive: true });
  const sources = opts.notebooks ?? await notebooksIn(`${ROOT}/notebooks`);
  const names: string[] = [];
  for (const src of sources) {
    const name = src.replace(/^.*\//, "");
    await Deno.copyFile(src, `${work}/notebooks/${name}`);
    names.push(name);
  }
  await Deno.writeTextFile(`${work}/notebooks/${STRESS}`, JSON.stringify(stressNotebook()));
  await Deno.writeTextFile(
    `${work}/notebooks/${NEW}`,
    JSON.stringify(notebookJson([{
      code:
        'import { linspace } from "@lib/numeric.ts";\nimport { md, show } from "@lib/display.ts";\n' +
        "await show(md`lib import ok: ${linspace(0, 1, 5).length} points`);",
    }], "A new notebook")),
  );
  await installNbextension();
  const port = freePort();
  const token = crypto.randomUUID().replaceAll("-", "");
  let root = false;
  try {
    root = Deno.uid() === 0;
  } catch { /* assume not root */ }
  const server = new Deno.Command(python(), {
    args: [
      "-m",
      "notebook",
      "--no-browser",
      `--port=${port}`,
      "--ip=127.0.0.1",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${work}`,
      ...(root ? ["--allow-root"] : []),
    ],
    cwd: work,
    env: { JUPYTER_PATH: jupyterPath(), NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const results: UiNotebook[] = [];
  const browser = await playwright.launch({
    executablePath: chromium(),
    args: CHROMIUM_FLAGS.filter((f) => f !== "--headless"),
    headless: true,
  });
  try {
    await waitForServer(`${base}/api/status?token=${token}`, server);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const order = [...names, STRESS, NEW];
    for (const name of order) {
      await page.goto(`${base}/notebooks/notebooks/${name}?token=${token}`);
      await page.waitForFunction(
        () => {
          // deno-lint-ignore no-explicit-any
          const J = (globalThis as any).Jupyter;
          return J?.notebook?.kernel?.is_connected?.() && J.notebook.kernel.info_reply;
        },
        undefined,
        { timeout: 60_000, polling: 200 },
      );
      const stress = name === STRESS;
      const n = stress ? stressRuns : name === NEW ? 1 : runs;
      const entry: UiNotebook = { notebook: name, runs: [] };
      for (let k = 0; k < n; k++) {
        const t0 = performance.now();
        await runAll(page, (opts.timeout ?? 900) * 1000);
        const run = await inspect(page, stress);
        entry.runs.push({ ...run, seconds: (performance.now() - t0) / 1000 });
        if (k === 0 || run.misplaced || run.errors.length) {
          await page.screenshot({
            path: `${shots}/${name.replace(/\.ipynb$/, "")}-run${k + 1}.png`,
            fullPage: true,
          });
        }
      }
      if (name.startsWith("01-")) entry.sliderChanged = await moveSlider(page);
      results.push(entry);
      // Stop the kernel before the next notebook (two cores).
      await page.evaluate(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).Jupyter.notebook.session.delete()
      );
      await page.waitForTimeout(300);
    }
  } finally {
    await browser.close();
    try {
      server.kill("SIGTERM");
    } catch { /* gone */ }
    await server.status;
  }
  return results;
}

/** Problems found in {@linkcode checkUi}'s results (empty when all is well). */
export function uiProblems(results: UiNotebook[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    r.runs.forEach((run, k) => {
      const at = `${r.notebook} run ${k + 1}`;
      if (run.errors.length) out.push(`${at}: error in code cell(s) ${run.errors.join(", ")}`);
      out.push(...run.figureProblems.map((p) => `${at}: ${p}`));
      if (run.misplaced) out.push(`${at}: ${run.misplaced} misplaced: ${run.misplacedCells}`);
    });
    if (r.sliderChanged === false) out.push(`${r.notebook}: moving the slider changed nothing`);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const opts: UiOptions = {};
  const nbs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs" || a === "--stress-runs" || a === "--timeout") {
      const v = Number(argv[++i]);
      if (!(Number.isInteger(v) && v >= 1)) {
        console.error(`check:ui: ${a} needs an integer >= 1, got ${argv[i]}`);
        return 2;
      }
      if (a === "--runs") opts.runs = v;
      else if (a === "--stress-runs") opts.stressRuns = v;
      else opts.timeout = v;
    } else if (a.startsWith("--")) {
      console.error(
        `check:ui: unknown option ${a} (valid: --runs N, --stress-runs N, --timeout S)`,
      );
      return 2;
    } else nbs.push(a.startsWith("/") ? a : `${Deno.cwd()}/${a}`);
  }
  const problems = [
    ...await notebookProblems(),
    ...await notebookUiProblems(),
    ...await browserProblems(),
  ];
  if (problems.length) {
    console.error(problemMessage("deno task check:ui", problems));
    return 2;
  }
  if (nbs.length) opts.notebooks = nbs;
  const results = await checkUi(opts);
  const bad = uiProblems(results);
  for (const r of results) {
    const m = r.runs.reduce((s, x) => s + x.misplaced, 0);
    const f = r.runs.map((x) => `${x.figures}/${x.declared}`).join(" ");
    console.log(
      `${bad.some((p) => p.startsWith(r.notebook)) ? "FAIL" : "PASS"} ${r.notebook}: ` +
        `${r.runs.length} Run All, figures ${f}, misplaced ${m}` +
        (r.sliderChanged === undefined ? "" : `, slider ${r.sliderChanged ? "works" : "BROKEN"}`),
    );
  }
  for (const p of bad) console.log(`  - ${p}`);
  console.log(JSON.stringify(results));
  return bad.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
