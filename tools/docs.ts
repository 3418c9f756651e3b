/**
 * The model docs (`docs/*.md`): their section and equation labels, the citations of them in the
 * code and notebooks, and their HTML rendering into the report (`<site>/docs/<page>.html`).
 *
 * Sections are headings `## §1 …`, `### §1.1 …`; equations are paragraphs starting with a bold
 * label, `**(1.1.1)** \`dx/dt = x² + r\``. Code cites them as `docs/ghost-mechanism.md §1.1` and
 * `Eq. (1.1.1)` (a bare `Eq. (…)` refers to the docs page the same file cites).
 *
 * @module
 */

import { marked } from "marked";
import { ROOT } from "./prereq.ts";

/** The docs pages, by file name. */
export const DOC_PAGES = ["ghost-mechanism.md", "glassy-dynamics.md"] as const;

/** The section and equation labels of one docs page. */
export interface DocLabels {
  /** Section numbers, e.g. `1.1`, in order. */
  sections: string[];
  /** Equation numbers, e.g. `1.1.1`, in order, with the section they appear in. */
  equations: { label: string; section: string }[];
}

const HEADING = /^(#{2,4}) §(\d+(?:\.\d+)*)\s/;
const EQUATION = /^\*\*\((\d+(?:\.\d+)+)\)\*\*/;

/** Reads the section and equation labels of a docs page's markdown. */
export function docLabels(markdown: string): DocLabels {
  const sections: string[] = [];
  const equations: { label: string; section: string }[] = [];
  let section = "";
  for (const line of markdown.split("\n")) {
    const h = HEADING.exec(line);
    if (h) {
      section = h[2];
      sections.push(section);
      continue;
    }
    const e = EQUATION.exec(line);
    if (e) equations.push({ label: e[1], section });
  }
  return { sections, equations };
}

/** One citation of the docs found in a source file. */
export interface Citation {
  file: string;
  line: number;
  /** Docs page cited (`ghost-mechanism.md`, …); for a bare `Eq.` the page the file cites. */
  page: string | null;
  kind: "section" | "equation";
  label: string;
  /** True for an old `spec §x` citation that still has to be rewritten to the docs. */
  legacy: boolean;
  /** The matched text. */
  text: string;
}

const LABEL = String.raw`\d+(?:\.\d+)*`;
// a run of section labels after one "§": "§1.1, §2.4", "§1.1–§1.2", "§5.2–5.3", "§2.1 and §2.7"
const SECTION_RUN = new RegExp(
  String.raw`§(${LABEL})((?:\s*(?:,|–|-|and|or)\s*§?${LABEL})*)`,
  "g",
);
const DOC_REF = /docs\/(ghost-mechanism|glassy-dynamics)\.md/g;
const LEGACY =
  /\b(?:(ghost(?:-mechanism)?|mechanism|glassy)\s+)?spec(?:\s+`?(glassy-dynamics|ghost-mechanism)(?:\.md)?`?)?\s+(?=§)/g;
const EQ_RUN = new RegExp(
  String.raw`Eqs?\.\s*\((${LABEL})\)((?:\s*(?:,|–|and|or)\s*\((?:${LABEL})\))*)`,
  "g",
);

function labelsIn(first: string, rest: string): string[] {
  return [first, ...[...rest.matchAll(new RegExp(LABEL, "g"))].map((m) => m[0])];
}

/** Which page a legacy `spec §x` citation means (by its qualifier, else by the file's paper). */
function legacyPage(qualifier: string | undefined, file: string): string {
  if (qualifier && /glassy/.test(qualifier)) return "glassy-dynamics.md";
  if (qualifier && /ghost|mechanism/.test(qualifier)) return "ghost-mechanism.md";
  return /glassy|0[89]-/.test(file) ? "glassy-dynamics.md" : "ghost-mechanism.md";
}

/** Finds every docs citation (new style and legacy `spec §x`) in one file's text. */
export function findCitations(file: string, text: string): Citation[] {
  const out: Citation[] = [];
  const pagesCited = new Set([...text.matchAll(DOC_REF)].map((m) => `${m[1]}.md`));
  const filePage = pagesCited.size === 1 ? [...pagesCited][0] : null;
  text.split("\n").forEach((lineText, i) => {
    const line = i + 1;
    // new style: "docs/<page>.md §a, §b"
    for (const m of lineText.matchAll(DOC_REF)) {
      const after = lineText.slice(m.index! + m[0].length);
      const s = /^\s+§/.test(after) ? new RegExp(SECTION_RUN.source).exec(after) : null;
      if (s && after.indexOf("§") === s.index) {
        for (const label of labelsIn(s[1], s[2])) {
          out.push({
            file,
            line,
            page: `${m[1]}.md`,
            kind: "section",
            label,
            legacy: false,
            text: m[0] + " " + s[0],
          });
        }
      }
    }
    // legacy: "spec §x", "ghost spec §x", "spec `glassy-dynamics.md` §x"
    for (const m of lineText.matchAll(LEGACY)) {
      const after = lineText.slice(m.index! + m[0].length);
      const s = new RegExp(SECTION_RUN.source).exec(after);
      if (!s || s.index !== 0) continue;
      const page = legacyPage(m[1] ?? m[2], file);
      for (const label of labelsIn(s[1], s[2])) {
        out.push({ file, line, page, kind: "section", label, legacy: true, text: m[0] + s[0] });
      }
    }
    for (const m of lineText.matchAll(EQ_RUN)) {
      const before = lineText.slice(0, m.index!);
      const near = [...before.matchAll(DOC_REF)].pop();
      const page = near ? `${near[1]}.md` : filePage;
      for (const label of labelsIn(m[1], m[2])) {
        out.push({ file, line, page, kind: "equation", label, legacy: false, text: m[0] });
      }
    }
  });
  return out;
}

/** Why a citation does not resolve, or null when it does. */
export function unresolved(c: Citation, labels: Map<string, DocLabels>): string | null {
  const pages = c.page ? [c.page] : [...labels.keys()];
  const ok = pages.some((p) => {
    const l = labels.get(p);
    if (!l) return false;
    return c.kind === "section"
      ? l.sections.includes(c.label)
      : l.equations.some((e) => e.label === c.label);
  });
  if (ok) return null;
  const what = c.kind === "section" ? `§${c.label}` : `Eq. (${c.label})`;
  return `${c.file}:${c.line}: ${what} is not in ${
    pages.map((p) => `docs/${p}`).join(" or ")
  } ("${c.text}")`;
}

/** The labels of every docs page in `docs/`. */
export async function readDocLabels(root = ROOT): Promise<Map<string, DocLabels>> {
  const out = new Map<string, DocLabels>();
  for (const p of DOC_PAGES) out.set(p, docLabels(await Deno.readTextFile(`${root}/docs/${p}`)));
  return out;
}

const esc = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/**
 * One docs page as HTML: sections get ids `s1.1`, equations `eq-1.1.1`, so that
 * `docs/ghost-mechanism.html#s1.1` and `#eq-1.1.1` link to them.
 */
export function docPage(markdown: string): string {
  const title = /^# (.*)$/m.exec(markdown)?.[1] ?? "ghostlab docs";
  let body = marked.parse(markdown, { async: false }) as string;
  body = body.replace(/<h([2-4])>§(\d+(?:\.\d+)*)/g, (_, n, l) => `<h${n} id="s${l}">§${l}`);
  body = body.replace(
    /<strong>\((\d+(?:\.\d+)+)\)<\/strong>/g,
    (_, l) => `<strong id="eq-${l}">(${l})</strong>`,
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2em auto;max-width:900px;padding:0 1em;color:#222}
code{font:14px ui-monospace,monospace;background:#f5f5f5;padding:1px 3px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
strong[id^="eq-"]{display:inline-block;min-width:5em;color:#555}
</style></head><body>
<nav style="font-size:14px;margin-bottom:1em"><a href="../index.html">&larr; ghostlab report</a></nav>
${body}</body></html>
`;
}

/**
 * Renders every docs page into `<siteDir>/docs/<page>.html` and adds links to them to the site's
 * `index.html` (when it exists). Returns the written page paths relative to the site.
 */
export async function renderDocs(siteDir: string, root = ROOT): Promise<string[]> {
  await Deno.mkdir(`${siteDir}/docs`, { recursive: true });
  const pages: { href: string; title: string }[] = [];
  for (const p of DOC_PAGES) {
    const md = await Deno.readTextFile(`${root}/docs/${p}`);
    const href = `docs/${p.replace(/\.md$/, ".html")}`;
    await Deno.writeTextFile(`${siteDir}/${href}`, docPage(md));
    pages.push({ href, title: /^# (.*)$/m.exec(md)?.[1] ?? p });
  }
  const index = `${siteDir}/index.html`;
  const html = await Deno.readTextFile(index).catch(() => null);
  if (html !== null && !html.includes('class="ghostlab-docs"')) {
    const links = pages.map((p) => `<li><a href="${p.href}">${esc(p.title)}</a></li>`).join("");
    const block = `<h2 class="ghostlab-docs">Model docs</h2><ul>${links}</ul>\n`;
    await Deno.writeTextFile(index, html.replace("</body>", `${block}</body>`));
  }
  return pages.map((p) => p.href);
}
