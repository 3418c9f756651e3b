// deno task assignment / deno task grade: student versions and headless grading, on the exercise
// fixture and on the cheap project notebooks that have exercises.
import assert from "node:assert/strict";
import {
  findExercises,
  type Notebook,
  notebookText,
  readNotebook,
  sourceLines,
  sourceOf,
  stubSolution,
  studentVersion,
} from "../tools/assignment.ts";
import { type Grade, grade, gradesTable, wrapCell } from "../tools/grade.ts";
import { checkNotebooks } from "../tools/check_notebooks.ts";
import { notebooksIn, ROOT } from "../tools/prereq.ts";

const FIXTURE = `${ROOT}/tests/fixtures/assignment/exercises.ipynb`;
const TMP = `${ROOT}/build/tmp/assignment-test`;

/**
 * Real notebooks graded here: the cheap ones (01, 02) by default, to keep `deno task test` short;
 * `GHOSTLAB_ASSIGNMENT_NOTEBOOKS=all` grades every notebook with exercises.
 */
const ALL = Deno.env.get("GHOSTLAB_ASSIGNMENT_NOTEBOOKS") === "all";

function points(g: Grade): number[] {
  return g.scores.map((s) => s.points);
}

async function write(dir: string, name: string, nb: Notebook): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const p = `${dir}/${name}`;
  await Deno.writeTextFile(p, notebookText(nb));
  return p;
}

/** The notebook with the inside of exercise `id`'s solution region replaced by `code`. */
function withSolution(nb: Notebook, id: string, code: string): Notebook {
  const out: Notebook = structuredClone(nb);
  const i = findExercises(out, "nb").solutions.get(id)!;
  out.cells[i].source = sourceLines(
    stubSolution(sourceOf(out.cells[i]), id)
      .replace(`notImplemented("${id}");`, `// BEGIN SOLUTION\n${code}\n// END SOLUTION`),
  );
  return out;
}

Deno.test("assignment: the student version stubs every solution region and keeps the checks", async () => {
  const ref = await readNotebook(FIXTURE);
  const student = studentVersion(ref, "fixture");
  const { solutions, checks } = findExercises(ref, "fixture");
  assert.equal(checks.length, 3);
  for (const [id, i] of solutions) {
    const src = sourceOf(student.cells[i]);
    assert.doesNotMatch(src, /BEGIN SOLUTION|END SOLUTION/);
    assert.match(src, new RegExp(`notImplemented\\("${id}"\\)`));
    assert.notEqual(src, sourceOf(ref.cells[i]));
  }
  for (const c of checks) {
    assert.equal(sourceOf(student.cells[c.cell]), sourceOf(ref.cells[c.cell]));
  }
  assert.match(sourceOf(student.cells[1]), /import \{ notImplemented \} from "@lib\/exercise.ts"/);
  for (const c of student.cells) if (c.cell_type === "code") assert.deepEqual(c.outputs, []);
  // markdown and non-exercise cells are untouched
  assert.equal(sourceOf(student.cells[3]), sourceOf(ref.cells[3]));
});

Deno.test("assignment: the exercise fixture type-checks", async () => {
  // (a student version does not: its solutions' names are missing until the student writes them)
  const r = await checkNotebooks([FIXTURE]);
  assert.ok(r.ok, r.output);
});

Deno.test("assignment: notebooks that break the exercise convention are refused clearly", async () => {
  const ref = await readNotebook(FIXTURE);
  const broken: Notebook = structuredClone(ref);
  broken.cells[5].source = ["function root(x: number) { return Math.sqrt(x); }\n// BEGIN SOLUTION"];
  broken.cells[9].source = ['assert.ok(true);\nawait award("ex2", 5);'];
  delete broken.cells[12].metadata.ghostlab;
  assert.throws(() => findExercises(broken, "nb.ipynb"), (e: Error) => {
    assert.match(e.message, /^nb\.ipynb: exercises do not follow DEVELOPING\.md/);
    assert.match(e.message, /cell 6 \(solution ex1\): line 2: BEGIN SOLUTION without END/);
    assert.match(e.message, /cell 10 \(check ex2\): must call `await award\("ex2", 2\)`/);
    assert.match(e.message, /solution ex3 has no check cell/);
    return true;
  });
});

Deno.test("grade: wrapping keeps a cell's names for later cells and records its errors", () => {
  const w = wrapCell(
    'import { x } from "./x.ts";\nconst a = 1;\nlet b = 2;\nfunction f() {}\nclass C {}\nconsole.log(a);',
    "ex1",
  );
  assert.match(w, /^import \{ x \} from "\.\/x\.ts";\ntry \{/);
  assert.match(
    w,
    /var f = function f\(\) \{\};[\s\S]*var a = 1;\nvar b = 2;[\s\S]*var C = class C \{\};/,
  );
  assert.match(
    w,
    /catch \(__ghostlabError\) \{\n {2}await __ghostlabCellFailed\("ex1", __ghostlabError\);/,
  );
  assert.match(
    wrapCell("const = 3;", undefined),
    /^await __ghostlabCellFailed\(undefined, new SyntaxError/,
  );
  assert.equal(wrapCell("  \n", "ex1"), "");
});

Deno.test("grade: reference full marks, student zero, a wrong answer loses exactly its points", async () => {
  const ref = await readNotebook(FIXTURE);
  const dir = `${TMP}/fixture`;
  const student = await write(dir, "student.ipynb", studentVersion(ref, "fixture"));
  const wrong = await write(
    dir,
    "wrong.ipynb",
    withSolution(ref, "ex2", "const tPass = Math.PI / r;"),
  );
  const tampered = withSolution(
    withSolution(ref, "ex1", "function root(x: number { return x; }"),
    "ex3",
    "const rFor = (d: number) => d;",
  );
  tampered.cells[12].source = ['await award("ex3", 3);']; // an edited check earns nothing
  const broken = await write(dir, "broken.ipynb", tampered);
  const hang = await write(dir, "hang.ipynb", withSolution(ref, "ex2", "while (true) { /* */ }"));
  const missing = `${dir}/missing.ipynb`;
  const grades = await grade([FIXTURE, student, wrong, broken, hang, missing], {
    reference: FIXTURE,
    out: `${TMP}/grades`,
    timeout: 10,
  });
  const table = gradesTable(grades);
  const [g0, g1, g2, g3, g4, g5] = grades;
  assert.deepEqual(points(g0), [1, 2, 3], table);
  assert.equal(g0.total, 6);
  assert.deepEqual(points(g1), [0, 0, 0], table);
  for (const s of g1.scores) {
    assert.match(s.error, new RegExp(`${s.exercise}: not implemented yet`));
  }
  assert.deepEqual(points(g2), [1, 0, 3], table);
  assert.match(g2.scores[1].error, /AssertionError: tPass = /);
  assert.deepEqual(points(g3), [0, 2, 0], table);
  assert.match(g3.scores[0].error, /SyntaxError: cell does not parse/);
  assert.ok(g3.notes.some((n) => /check cell of ex3 was edited/.test(n)), table);
  assert.deepEqual(points(g4), [1, 0, 0], table); // the kernel is stopped at the timeout
  assert.match(g4.scores[1].error, /not run: code cell 6 timed out/);
  assert.deepEqual(points(g5), [0, 0, 0], table);
  assert.match(g5.scores[0].error, /cannot read/);
  const csv = await Deno.readTextFile(`${TMP}/grades/grades.csv`);
  assert.match(csv, /^submission,exercise,points,max,error\n/);
  assert.match(csv, new RegExp(`${wrong.replaceAll(".", "\\.")},ex2,0,2,"?AssertionError`));
  assert.match(csv, new RegExp(`${FIXTURE.replaceAll(".", "\\.")},total,6,6,`));
});

const withExercises: string[] = [];
for (const p of await notebooksIn(`${ROOT}/notebooks`)) {
  const nb = await readNotebook(p);
  if (!nb.cells.some((c) => c.metadata?.ghostlab?.check !== undefined)) continue;
  if (ALL || /\/0[12]-[^/]*$/.test(p)) withExercises.push(p);
}

Deno.test({
  name: "grade: project notebooks with exercises (01/02 by default): reference, student, one wrong",
  ignore: withExercises.length === 0,
  fn: async () => {
    const subs: string[] = [];
    const expect: { full: number[]; wrong: number[]; name: string }[] = [];
    for (const p of withExercises) {
      const name = p.replace(/^.*\//, "");
      const ref = await readNotebook(p);
      const { checks } = findExercises(ref, name);
      const first = checks[0].exercise;
      subs.push(
        p,
        await write(`${TMP}/student`, name, studentVersion(ref, name)),
        await write(
          `${TMP}/wrong`,
          name,
          withSolution(ref, first, `throw new Error("a deliberately wrong answer");`),
        ),
      );
      const full = checks.map((c) => c.points);
      expect.push({ name, full, wrong: checks.map((c) => (c.exercise === first ? 0 : c.points)) });
    }
    const grades = await grade(subs, { out: `${TMP}/grades-notebooks` });
    const table = gradesTable(grades);
    expect.forEach((e, k) => {
      const [ref, student, wrong] = grades.slice(3 * k, 3 * k + 3);
      assert.deepEqual(points(ref), e.full, `${e.name} reference\n${table}`);
      assert.ok(points(student).every((x) => x === 0), `${e.name} student\n${table}`);
      assert.deepEqual(points(wrong), e.wrong, `${e.name} with exercise 1 wrong\n${table}`);
      assert.match(wrong.scores[0].error, /a deliberately wrong answer/);
    });
  },
});
