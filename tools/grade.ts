/**
 * `deno task grade [--reference NOTEBOOK|DIR] [--out DIR] [--timeout S] SUBMISSION.ipynb...`
 *
 * Executes submitted notebooks headlessly with the project's runner (tools/run_notebooks.py via
 * tools/runner.ts) and prints a per-exercise score table; writes `<out>/grades.csv` (one row per
 * submission and exercise) and the executed submissions to `<out>/executed/` (default out:
 * `build/grades`).
 *
 * A broken submission never stops the grading: before execution every code cell is wrapped in
 * `try { … } catch (e) { await cellFailed(…) }` — its top-level `const`/`let`/`function`/`class`
 * declarations turned into `var` so that later cells still see them, imports hoisted out, a cell
 * that does not even parse replaced by a recorded SyntaxError — so a cell error costs the points
 * of its exercise (with the error shown) and the notebook goes on. A failing solution cell leaves
 * its names undefined, so its check fails too, and so does any later cell that uses those names.
 * Check cells and points are taken from the reference notebook (default: the notebook of the same
 * name in notebooks/, if any) so an edited check cannot award points.
 *
 * An exercise scores its points when its check cell published `award(id, points)` and no error.
 *
 * @module
 */

import { parse } from "@babel/parser";
import { EXERCISE_MIME, type ExerciseOutcome } from "../lib/exercise.ts";
import {
  type Check,
  findExercises,
  type Notebook,
  notebookText,
  readNotebook,
  sourceLines,
  sourceOf,
  stripOutputs,
} from "./assignment.ts";
import { ROOT } from "./prereq.ts";
import { runNotebooks } from "./runner.ts";

/** The score of one exercise check in one submission. */
export interface ExerciseScore {
  exercise: string;
  points: number;
  max: number;
  /** Why points were lost (empty when full points). */
  error: string;
}

/** The grading of one submission. */
export interface Grade {
  /** The submission's path as given. */
  submission: string;
  scores: ExerciseScore[];
  total: number;
  max: number;
  /** Notes about the submission (edited checks restored, failing non-exercise cells, …). */
  notes: string[];
}

type Statement = ReturnType<typeof parse>["program"]["body"][number];

const FAILED = "__ghostlabCellFailed";

/**
 * Rewrites a cell's code so that an error inside it is recorded instead of stopping the
 * notebook, keeping its top-level names visible to later cells (see the module docs).
 */
export function wrapCell(source: string, exercise: string | undefined): string {
  const tag = exercise === undefined ? "undefined" : JSON.stringify(exercise);
  let statements: Statement[];
  try {
    statements = parse(source, { sourceType: "module", plugins: ["typescript"] }).program.body;
  } catch (e) {
    const msg = JSON.stringify(`cell does not parse: ${(e as Error).message}`);
    return `await ${FAILED}(${tag}, new SyntaxError(${msg}));\n`;
  }
  const imports: string[] = [];
  const hoisted: string[] = [];
  const body: string[] = [];
  let prev = 0;
  for (const st of statements) {
    const lead = source.slice(prev, st.start!);
    const text = source.slice(st.start!, st.end!);
    prev = st.end!;
    if (st.type === "ImportDeclaration" || st.type === "TSImportEqualsDeclaration") {
      imports.push(text);
    } else if (st.type === "VariableDeclaration" && st.kind !== "var" && !st.declare) {
      body.push(lead + text.replace(/^(const|let)\b/, "var"));
    } else if (st.type === "FunctionDeclaration" && st.id) {
      // a block-level function is block-scoped: bind it to a var, first (declarations hoist)
      hoisted.push(`var ${st.id.name} = ${text};`);
    } else if (st.type === "ClassDeclaration" && st.id && !st.declare) {
      body.push(`${lead}var ${st.id.name} = ${text};`);
    } else body.push(lead + text);
  }
  body.push(source.slice(prev));
  const code = (hoisted.map((h) => `${h}\n`).join("") + body.join("")).trim();
  const wrapped = code
    ? `try {\n${code}\n} catch (__ghostlabError) {\n  await ${FAILED}(${tag}, __ghostlabError);\n}\n`
    : "";
  return [...imports, wrapped].filter((x) => x).join("\n");
}

/**
 * The notebook the grader executes: check cells and points restored from `reference` (when
 * given), every code cell wrapped by {@linkcode wrapCell}, the first one importing `cellFailed`.
 */
export function gradingNotebook(
  submitted: Notebook,
  reference: Notebook | undefined,
  name: string,
): { notebook: Notebook; checks: Check[]; notes: string[] } {
  const notes: string[] = [];
  const nb = stripOutputs(submitted);
  let checks = findExercises(nb, name, { submission: true }).checks;
  if (reference) {
    const ref = findExercises(reference, "reference", { submission: true }).checks;
    const mine = new Map(checks.map((c) => [c.exercise, c]));
    for (const r of ref) {
      const c = mine.get(r.exercise);
      const original = sourceOf(reference.cells[r.cell]);
      if (c === undefined) {
        notes.push(`check cell of ${r.exercise} missing from the submission: scored 0`);
      } else if (sourceOf(nb.cells[c.cell]) !== original) {
        notes.push(`check cell of ${r.exercise} was edited: graded with the original`);
        nb.cells[c.cell].source = sourceLines(original);
      }
    }
    checks = ref.map((r) => ({ ...r, cell: mine.get(r.exercise)?.cell ?? -1 }));
  }
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    const g = cell.metadata?.ghostlab;
    cell.source = sourceLines(wrapCell(sourceOf(cell), g?.check ?? g?.solution));
    if (!sourceOf(cell).trim()) cell.source = [];
  }
  const first = nb.cells.find((c) => c.cell_type === "code");
  if (first) {
    const line = `import { cellFailed as ${FAILED} } from "@lib/exercise.ts";\n`;
    first.source = sourceLines(line + sourceOf(first));
  }
  return {
    notebook: nb,
    checks,
    notes,
  };
}

function outcomes(nb: Notebook, cell: number): ExerciseOutcome[] {
  const outs = nb.cells[cell]?.outputs ?? [];
  return outs.map((o) => o.data?.[EXERCISE_MIME]).filter((d) =>
    d !== undefined
  ) as ExerciseOutcome[];
}

/** Scores an executed grading notebook (see the module docs for the rule). */
export function score(
  executed: Notebook,
  checks: Check[],
  runnerFailure: string,
  submission: string,
  notes: string[],
): Grade {
  const failedCells = new Map<string, string>(); // exercise → first error of its solution cell
  executed.cells.forEach((c, i) => {
    const g = c.metadata?.ghostlab;
    for (const o of outcomes(executed, i)) {
      if (o.passed) continue;
      if (g?.solution && !failedCells.has(g.solution)) failedCells.set(g.solution, o.error ?? "");
      if (!g?.solution && !g?.check) notes.push(`cell ${i + 1} failed: ${o.error}`);
    }
  });
  const scores = checks.map((c): ExerciseScore => {
    const base = { exercise: c.exercise, max: c.points };
    if (c.cell < 0) return { ...base, points: 0, error: "check cell missing" };
    const cell = executed.cells[c.cell];
    if (cell.execution_count == null && !(cell.outputs?.length)) {
      return { ...base, points: 0, error: `not run: ${runnerFailure || "the notebook stopped"}` };
    }
    const os = outcomes(executed, c.cell);
    const err = os.find((o) => !o.passed);
    const ok = os.some((o) => o.passed && o.exercise === c.exercise);
    if (ok && !err) return { ...base, points: c.points, error: "" };
    const sol = failedCells.get(c.exercise);
    const why = sol ? `solution: ${sol}` : err?.error ?? "the check did not reach award()";
    return { ...base, points: 0, error: why };
  });
  return {
    submission,
    scores,
    total: scores.reduce((s, x) => s + x.points, 0),
    max: scores.reduce((s, x) => s + x.max, 0),
    notes,
  };
}

/** Options for {@linkcode grade}. */
export interface GradeOptions {
  /** A reference notebook, or a folder holding notebooks of the same names (default notebooks/). */
  reference?: string;
  /** Output folder (default build/grades). */
  out?: string;
  /** Per-cell timeout in seconds. */
  timeout?: number;
}

async function referenceFor(sub: string, ref: string | undefined): Promise<Notebook | undefined> {
  const base = sub.replace(/^.*\//, "");
  const path = ref === undefined
    ? `${ROOT}/notebooks/${base}`
    : (await Deno.stat(ref)).isDirectory
    ? `${ref}/${base}`
    : ref;
  const exists = await Deno.stat(path).then(() => true, () => false);
  if (!exists) {
    if (ref !== undefined) throw new Error(`no reference notebook ${path}`);
    return undefined;
  }
  return await readNotebook(path);
}

/** Grades submissions (see the module docs); never throws for a broken submission. */
export async function grade(submissions: string[], opts: GradeOptions = {}): Promise<Grade[]> {
  const out = opts.out ?? `${ROOT}/build/grades`;
  await Deno.mkdir(`${ROOT}/build`, { recursive: true });
  // inside the project, so that the kernel finds deno.json and `@lib/` resolves
  const work = await Deno.makeTempDir({ dir: `${ROOT}/build`, prefix: "grading-" });
  const jobs: { sub: string; file: string; checks: Check[]; notes: string[] }[] = [];
  const grades: Grade[] = [];
  const broken = new Map<string, Grade>();
  for (const [k, sub] of submissions.entries()) {
    const stem = sub.replace(/^.*\//, "").replace(/\.ipynb$/, "");
    const file = `${work}/${String(k + 1).padStart(3, "0")}-${stem}.ipynb`;
    let reference: Notebook | undefined;
    try {
      reference = await referenceFor(sub, opts.reference);
      const nb = await readNotebook(sub);
      const g = gradingNotebook(nb, reference, sub);
      await Deno.writeTextFile(file, notebookText(g.notebook));
      jobs.push({ sub, file, checks: g.checks, notes: g.notes });
    } catch (e) {
      const error = (e as Error).message;
      let ref: Check[] = [];
      try {
        if (reference) ref = findExercises(reference, "reference", { submission: true }).checks;
      } catch { /* the error above already says what is wrong */ }
      const scores = ref.map((c) => ({ exercise: c.exercise, points: 0, max: c.points, error }));
      const max = scores.reduce((a, x) => a + x.max, 0);
      broken.set(sub, {
        submission: sub,
        scores,
        total: 0,
        max,
        notes: scores.length ? [] : [error],
      });
    }
  }
  const executedDir = `${out}/executed`;
  const run = jobs.length
    ? await runNotebooks({
      notebooks: jobs.map((j) => j.file),
      outDir: executedDir,
      timeout: opts.timeout,
    })
    : { code: 0, stdout: "", stderr: "" };
  for (const sub of submissions) {
    const b = broken.get(sub);
    if (b) {
      grades.push(b);
      continue;
    }
    const j = jobs.find((x) => x.sub === sub)!;
    const name = j.file.replace(/^.*\//, "");
    const resultPath = `${executedDir}/${name.replace(/\.ipynb$/, ".result.json")}`;
    try {
      const result = JSON.parse(await Deno.readTextFile(resultPath));
      const failures = (result.failures as string[]).filter((f) => !/figure/.test(f));
      const executed = await readNotebook(`${executedDir}/${name}`);
      grades.push(score(executed, j.checks, failures.join("; "), sub, j.notes));
    } catch (e) {
      const why = `the runner produced no result (${(e as Error).message}); runner output:\n` +
        (run.stdout + run.stderr).trim();
      grades.push({
        submission: sub,
        scores: j.checks.map((c) => ({
          exercise: c.exercise,
          points: 0,
          max: c.points,
          error: why,
        })),
        total: 0,
        max: j.checks.reduce((s, c) => s + c.points, 0),
        notes: j.notes,
      });
    }
  }
  await Deno.remove(work, { recursive: true });
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(`${out}/grades.csv`, gradesCsv(grades));
  return grades;
}

function csvField(s: string | number): string {
  const t = String(s);
  return /[",\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
}

/** The grades as CSV: `submission,exercise,points,max,error`, one row per exercise and a total. */
export function gradesCsv(grades: Grade[]): string {
  const rows = [["submission", "exercise", "points", "max", "error"]];
  for (const g of grades) {
    for (const s of g.scores) {
      rows.push([g.submission, s.exercise, String(s.points), String(s.max), s.error]);
    }
    rows.push([g.submission, "total", String(g.total), String(g.max), g.notes.join("; ")]);
  }
  return rows.map((r) => r.map(csvField).join(",")).join("\n") + "\n";
}

/** The score table printed by `deno task grade`, followed by the reasons for lost points. */
export function gradesTable(grades: Grade[]): string {
  const ids = [...new Set(grades.flatMap((g) => g.scores.map((s) => s.exercise)))];
  const head = ["submission", ...ids, "total"];
  const rows = grades.map((g) => [
    g.submission,
    ...ids.map((id) => {
      const s = g.scores.filter((x) => x.exercise === id);
      return s.length
        ? `${s.reduce((a, x) => a + x.points, 0)}/${s.reduce((a, x) => a + x.max, 0)}`
        : "–";
    }),
    `${g.total}/${g.max}`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  const lines = [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)];
  for (const g of grades) {
    const lost = g.scores.filter((s) => s.error);
    if (!lost.length && !g.notes.length) continue;
    lines.push("", `${g.submission}:`);
    for (const s of lost) lines.push(`  ${s.exercise} (0/${s.max}): ${s.error}`);
    for (const n of g.notes) lines.push(`  note: ${n}`);
  }
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const opts: GradeOptions = {};
  const subs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--reference") opts.reference = argv[++i];
    else if (a === "--out") opts.out = argv[++i];
    else if (a === "--timeout") opts.timeout = Number(argv[++i]);
    else if (a.startsWith("--")) {
      console.error(`grade: unknown option ${a} (valid: --reference PATH, --out DIR, --timeout S)`);
      return 2;
    } else subs.push(a);
  }
  if (subs.length === 0 || opts.reference === "" || opts.out === "") {
    console.error(
      "usage: deno task grade [--reference NOTEBOOK|DIR] [--out DIR] [--timeout S] SUBMISSION.ipynb...",
    );
    return 2;
  }
  if (opts.timeout !== undefined && !(opts.timeout > 0)) {
    console.error(`grade: --timeout must be > 0 seconds, got ${opts.timeout}`);
    return 2;
  }
  let grades: Grade[];
  try {
    grades = await grade(subs, opts);
  } catch (e) {
    console.error(`grade: ${(e as Error).message}`);
    return 1;
  }
  console.log(gradesTable(grades));
  console.log(`\ngrades: ${(opts.out ?? "build/grades").replace(`${ROOT}/`, "")}/grades.csv`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
