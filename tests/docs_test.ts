// The model docs: fixed section numbering, per-section equation numbering, every citation of them
// in lib/, tools/ and notebooks/ resolves (no legacy "spec §" citations left), and the pages render
// into the report.
import assert from "node:assert/strict";
import {
  type Citation,
  docLabels,
  docPage,
  findCitations,
  readDocLabels,
  renderDocs,
  unresolved,
} from "../tools/docs.ts";
import { ROOT } from "../tools/prereq.ts";

/** The section numbers both pages must keep (those of the implementation specs they replace). */
const REQUIRED: Record<string, string[]> = {
  "ghost-mechanism.md": [
    "0",
    "1",
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "1.6",
    "2",
    "2.1",
    "2.2",
    "2.3",
    "2.4",
    "2.5",
    "2.6",
    "2.7",
    "2.8",
    "3",
    "4",
    "5",
    "6",
  ],
  "glassy-dynamics.md": [
    "0",
    "1",
    "2",
    "2.1",
    "2.2",
    "3",
    "4",
    "4.1",
    "4.2",
    "4.3",
    "4.4",
    "4.5",
    "4.6",
    "4.7",
    "4.8",
    "5",
    "5.1",
    "5.2",
    "5.3",
    "5.4", // ours: quick against paper settings
    "6",
    "6.1",
    "6.2",
    "6.3",
    "6.4",
    "6.5",
    "6.6",
    "6.7",
    "6.8", // ours: re-orthogonalisation jumps of Δ
    "7",
    "8",
    "9",
    "10",
  ],
}; // deno-fmt-ignore

async function sourceFiles(): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string) {
    for await (const e of Deno.readDir(`${ROOT}/${dir}`)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (/\.(ts|ipynb|md)$/.test(e.name)) out.push(p);
    }
  }
  for (const d of ["lib", "tools", "notebooks"]) await walk(d);
  return out.sort();
}

Deno.test("docs: both pages keep the specs' section numbering, in order", async () => {
  const labels = await readDocLabels();
  for (const [page, required] of Object.entries(REQUIRED)) {
    assert.deepEqual(labels.get(page)!.sections, required, `docs/${page} sections`);
  }
});

Deno.test("docs: equations are numbered per section, in order, without gaps or repeats", async () => {
  for (const [page, l] of await readDocLabels()) {
    const next = new Map<string, number>();
    for (const { label, section } of l.equations) {
      const prefix = label.slice(0, label.lastIndexOf("."));
      const own = section.includes(".") ? section : `${section}.0`;
      assert.equal(prefix, own, `docs/${page}: Eq. (${label}) sits in §${section}`);
      const n = Number(label.slice(label.lastIndexOf(".") + 1));
      assert.equal(n, (next.get(prefix) ?? 0) + 1, `docs/${page}: Eq. (${label}) out of order`);
      next.set(prefix, n);
    }
    assert.ok(l.equations.length >= 15, `docs/${page} has ${l.equations.length} equations`);
  }
});

Deno.test("docs: the citation finder reads every citation style", () => {
  const text = [
    "/** The flow (docs/ghost-mechanism.md §1.1, §2.4 and §2.7; Eq. (1.1.3)). */",
    "// see docs/glassy-dynamics.md §5.2–5.3",
    " * exact Hessian, Eqs. (2.4.3), (2.7.2)",
    " * (ghost spec §2.1) and (spec `glassy-dynamics.md` §6.4)",
  ].join("\n");
  const c = findCitations("lib/x.ts", text);
  const short = (x: Citation) => `${x.legacy ? "L" : ""}${x.kind[0]}:${x.page}:${x.label}`;
  assert.deepEqual(c.map(short), [
    "s:ghost-mechanism.md:1.1",
    "s:ghost-mechanism.md:2.4",
    "s:ghost-mechanism.md:2.7",
    "e:ghost-mechanism.md:1.1.3",
    "s:glassy-dynamics.md:5.2",
    "s:glassy-dynamics.md:5.3",
    "e:null:2.4.3",
    "e:null:2.7.2",
    "Ls:ghost-mechanism.md:2.1",
    "Ls:glassy-dynamics.md:6.4",
  ]);
  const labels = new Map([["ghost-mechanism.md", docLabels("### §1.1 A\n\n**(1.1.1)** `x`\n")]]);
  assert.equal(unresolved({ ...c[0] }, labels), null);
  assert.match(
    unresolved({ ...c[1] }, labels)!,
    /lib\/x\.ts:1: §2\.4 is not in docs\/ghost-mechanism\.md/,
  );
});

Deno.test("docs: every citation in lib/, tools/ and notebooks/ resolves", async () => {
  const labels = await readDocLabels();
  const problems: string[] = [];
  const legacy: string[] = [];
  let checked = 0;
  for (const f of await sourceFiles()) {
    for (const c of findCitations(f, await Deno.readTextFile(`${ROOT}/${f}`))) {
      checked++;
      const why = unresolved(c, labels);
      if (why) problems.push(why);
      if (c.legacy) legacy.push(`${f}:${c.line}: "${c.text}" → docs/${c.page} §${c.label}`);
    }
  }
  assert.ok(checked > 0, "no citations found at all");
  assert.deepEqual(
    problems,
    [],
    `${problems.length} unresolved docs citations:\n  ${problems.join("\n  ")}`,
  );
  // old "spec §x" citations cite a spec that is not in the repo: rewrite them to the docs page
  // (`docs/<page>.md §x`, same section number).
  assert.deepEqual(
    legacy,
    [],
    `${legacy.length} legacy "spec §" citations to rewrite:\n  ${legacy.join("\n  ")}`,
  );
});

// writes into build/: skipped (reported as ignored) when run with read permission only
const canWriteBuild =
  Deno.permissions.querySync({ name: "write", path: `${ROOT}/build` }).state === "granted";

Deno.test({
  name: "docs: pages render to HTML with anchors, linked from the report index",
  ignore: !canWriteBuild,
}, async () => {
  const site = await Deno.makeTempDir({ dir: `${ROOT}/build`, prefix: "docs-test-" });
  try {
    await Deno.writeTextFile(
      `${site}/index.html`,
      "<html><body><h1>ghostlab report</h1></body></html>",
    );
    const pages = await renderDocs(site);
    assert.deepEqual(pages, ["docs/ghost-mechanism.html", "docs/glassy-dynamics.html"]);
    const labels = await readDocLabels();
    for (const [page, l] of labels) {
      const html = await Deno.readTextFile(`${site}/docs/${page.replace(".md", ".html")}`);
      for (const s of l.sections) {
        assert.ok(html.includes(`id="s${s}"`), `${page}: anchor of §${s}`);
      }
      for (const e of l.equations) {
        assert.ok(html.includes(`id="eq-${e.label}"`), `${page}: Eq. (${e.label})`);
      }
      assert.match(html, /<table>/); // the tag tables render
      assert.doesNotMatch(html, /\*\*\(/); // no unrendered equation labels
    }
    const index = await Deno.readTextFile(`${site}/index.html`);
    assert.match(index, /<a href="docs\/ghost-mechanism\.html">A ghost mechanism/);
    await renderDocs(site); // idempotent: one link block
    assert.equal((await Deno.readTextFile(`${site}/index.html`)).split("Model docs").length, 2);
    assert.match(docPage("# T\n\n### §1.1 X\n"), /<h3 id="s1\.1">§1\.1 X<\/h3>/);
  } finally {
    await Deno.remove(site, { recursive: true });
  }
});
