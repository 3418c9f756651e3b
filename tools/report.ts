/**
 * The static HTML report: one page per notebook (nbconvert's HTML export of the executed notebook,
 * with plotly.js loaded once per page from a single local copy) and an index listing every notebook
 * with its title, one-line summary and run status.
 *
 * @module
 */

import { renderDocs } from "./docs.ts";
import { plotlyPath, python, run } from "./prereq.ts";

/** What the runner (tools/run_notebooks.py) records for one notebook. */
export interface RunResult {
  notebook: string;
  title: string;
  summary: string;
  status: "passed" | "failed";
  failures: string[];
  warnings: string[];
  seconds: number;
  figures: number;
  declaredFigures: number;
  lateOutputs: number;
  scale: string;
  /** Parameters overridden with `deno task reproduce --set` (absent or empty: none). */
  overrides?: Record<string, unknown>;
}

/** One line of the report index. */
export interface ReportEntry {
  /** Notebook file name, e.g. `01-ghost-points.ipynb`. */
  notebook: string;
  /** Page file name inside the site folder, e.g. `01-ghost-points.html`. */
  page: string;
  title: string;
  summary: string;
  status: "passed" | "failed" | "not run";
  failures: string[];
  figures: number;
  seconds: number | null;
  scale: string | null;
  /** Parameters overridden with `--set` in the run shown. */
  overrides: Record<string, unknown>;
}

/** Minimal notebook shape read here. */
interface Notebook {
  cells: { cell_type: string; source: string | string[]; outputs?: unknown[] }[];
  metadata?: { ghostlab?: { summary?: string } };
}

function text(src: string | string[]): string {
  return Array.isArray(src) ? src.join("") : src;
}

/** Title (first `# ` heading of a markdown cell) and summary (metadata ghostlab.summary). */
export function describe(nb: Notebook): { title: string; summary: string } {
  let title = "";
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    const line = text(c.source).split("\n").find((l) => l.startsWith("# "));
    if (line) {
      title = line.slice(2).trim();
      break;
    }
  }
  return { title, summary: nb.metadata?.ghostlab?.summary ?? "" };
}

const esc = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );

function stem(file: string): string {
  return file.replace(/^.*\//, "").replace(/\.ipynb$/, "");
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch {
    return null;
  }
}

/**
 * Makes an nbconvert page self-contained for the report: drops the require.js script (figures
 * draw with the page's `Plotly` global), loads `plotly.min.js` once from the site folder before
 * anything else, and adds a header linking back to the index with the notebook's status.
 */
export function patchPage(html: string, entry: ReportEntry): string {
  const head = `<script src="plotly.min.js"></script>`;
  let out = html.replace(/<script[^>]*src="[^"]*require(\.min)?\.js"[^>]*><\/script>\s*/g, "");
  out = out.replace(/<head>/i, `<head>\n${head}`);
  const failures = entry.failures.length
    ? `<ul>${entry.failures.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>`
    : "";
  const bar = `<nav class="ghostlab-nav" style="font:14px sans-serif;padding:8px 16px;` +
    `border-bottom:1px solid #ddd"><a href="index.html">&larr; ghostlab report</a> &middot; ` +
    `<span class="ghostlab-status ${entry.status.replace(" ", "-")}">${entry.status}</span>` +
    `${entry.scale ? ` &middot; scale ${esc(entry.scale)}` : ""}${
      overridesText(entry.overrides, " &middot; ")
    }${failures}</nav>`;
  return out.replace(/<body([^>]*)>/i, (m) => `${m}\n${bar}`);
}

/** `--set` overrides as `with name = value, …` (empty when there are none). */
export function overridesText(overrides: Record<string, unknown>, prefix = ""): string {
  const items = Object.entries(overrides);
  if (!items.length) return "";
  return `${prefix}<span class="ghostlab-overrides">with ${
    items.map(([k, v]) => `<code>${esc(k)} = ${esc(JSON.stringify(v))}</code>`).join(", ")
  }</span>`;
}

/** The index page listing every notebook. */
export function indexPage(entries: ReportEntry[]): string {
  const rows = entries.map((e) =>
    `<tr class="${e.status.replace(" ", "-")}"><td><a href="${esc(e.page)}">${
      esc(e.title || e.notebook)
    }</a><div class="file">${esc(e.notebook)}</div></td><td>${esc(e.summary)}</td>` +
    `<td class="status">${e.status}</td><td>${e.figures}</td><td>${
      e.seconds === null ? "" : e.seconds.toFixed(0) + " s"
    }</td><td>${e.scale ?? ""}${overridesText(e.overrides, "<br>")}</td></tr>`
  ).join("\n");
  const passed = entries.filter((e) => e.status === "passed").length;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ghostlab report</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px 8px;
text-align:left;vertical-align:top}.file{color:#777;font-size:12px}
.passed .status{color:#17803d}.failed .status{color:#b42318;font-weight:bold}
.not-run .status{color:#777}
</style></head><body>
<h1>ghostlab report</h1>
<p>Executable notebooks reproducing “A ghost mechanism: an analytical model of abrupt learning”
(Dinc et al.) and “Glassy dynamics near the learnability transition in deep recurrent networks”
(Hertz &amp; Tyrcha). ${passed} of ${entries.length} notebooks passed.</p>
<table><thead><tr><th>Notebook</th><th>Summary</th><th>Status</th><th>Figures</th><th>Time</th>
<th>Scale</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}

/** Options for {@linkcode buildReport}. */
export interface ReportOptions {
  /** Source notebooks listed in the index, in order. */
  notebooks: string[];
  /** Folder with the runner's executed notebooks and result files. */
  executedDir: string;
  /** Output folder of the site. */
  siteDir: string;
}

/**
 * Builds the static site: exports every notebook (the executed copy when there is one, else the
 * source) with nbconvert, patches the pages, copies plotly.min.js once and writes index.html.
 *
 * @returns the index entries.
 * @throws {Error} when nbconvert fails.
 */
export async function buildReport(opts: ReportOptions): Promise<ReportEntry[]> {
  await Deno.mkdir(opts.siteDir, { recursive: true });
  const entries: ReportEntry[] = [];
  const sources: string[] = [];
  for (const nbPath of opts.notebooks) {
    const name = stem(nbPath);
    const executed = `${opts.executedDir}/${name}.ipynb`;
    const result = await readJson<RunResult>(`${opts.executedDir}/${name}.result.json`);
    const hasExecuted = result !== null && (await readJson<Notebook>(executed)) !== null;
    const src = hasExecuted ? executed : nbPath;
    const nb = await readJson<Notebook>(src);
    if (nb === null) throw new Error(`cannot read notebook ${src}`);
    const { title, summary } = describe(nb);
    entries.push({
      notebook: `${name}.ipynb`,
      page: `${name}.html`,
      title,
      summary,
      status: hasExecuted ? result!.status : "not run",
      failures: hasExecuted ? result!.failures : [],
      figures: hasExecuted ? result!.figures : 0,
      seconds: hasExecuted ? result!.seconds : null,
      scale: hasExecuted ? result!.scale : null,
      overrides: hasExecuted ? result!.overrides ?? {} : {},
    });
    sources.push(src);
  }
  if (sources.length) {
    const r = await run(python(), [
      "-m",
      "nbconvert",
      "--to",
      "html",
      "--log-level=WARN",
      "--output-dir",
      opts.siteDir,
      ...sources,
    ]);
    if (r.code !== 0) throw new Error(`nbconvert failed:\n${r.stderr.trim()}`);
  }
  for (const e of entries) {
    const page = `${opts.siteDir}/${e.page}`;
    await Deno.writeTextFile(page, patchPage(await Deno.readTextFile(page), e));
  }
  // Pages of notebooks no longer listed (renamed, removed) go.
  const keep = new Set(["index.html", ...entries.map((e) => e.page)]);
  for await (const f of Deno.readDir(opts.siteDir)) {
    if (f.isFile && f.name.endsWith(".html") && !keep.has(f.name)) {
      await Deno.remove(`${opts.siteDir}/${f.name}`);
    }
  }
  await Deno.copyFile(plotlyPath(), `${opts.siteDir}/plotly.min.js`);
  await Deno.writeTextFile(`${opts.siteDir}/index.html`, indexPage(entries));
  await renderDocs(opts.siteDir); // docs/*.md → <site>/docs/*.html, linked from the index
  return entries;
}
