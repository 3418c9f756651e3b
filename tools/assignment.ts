/**
 * `deno task assignment [--out DIR] NOTEBOOK...`
 *
 * Writes the student version of each notebook (default into `build/assignments/`): every
 * `// BEGIN SOLUTION` … `// END SOLUTION` region of a solution cell is replaced by
 * `notImplemented("exN");` from `@lib/exercise.ts`, check cells are kept as they are, outputs and
 * execution counts are stripped. The exercises must follow the convention of DEVELOPING.md
 * (solution cell `"ghostlab": {"solution": "exN"}`, check cell
 * `"ghostlab": {"check": "exN", "points": P}` calling `await award("exN", P)` at its end); a notebook
 * that does not is refused with a message naming the cell and the fix.
 *
 * @module
 */

/** A notebook cell as stored in an .ipynb file (nbformat 4). */
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  id?: string;
  metadata: Record<string, unknown> & {
    ghostlab?: { solution?: string; check?: string; points?: number; figures?: number };
  };
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
}

/** One output of an executed code cell. */
export interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string | string[];
  ename?: string;
  evalue?: string;
}

/** An .ipynb notebook (nbformat 4). */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** One check cell: what `deno task grade` scores. */
export interface Check {
  /** Exercise id, e.g. `ex1`. */
  exercise: string;
  /** Points of the check cell. */
  points: number;
  /** Index of the check cell in `cells`. */
  cell: number;
}

/** The exercises of a notebook: solution cells by id and check cells in order. */
export interface Exercises {
  /** Exercise id → index of its solution cell. */
  solutions: Map<string, number>;
  /** Check cells in notebook order. */
  checks: Check[];
}

const BEGIN = /^([ \t]*)\/\/ BEGIN SOLUTION[ \t]*$/;
const END = /^[ \t]*\/\/ END SOLUTION[ \t]*$/;

/** The text of a cell's source. */
export function sourceOf(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Reads a notebook, with a clear error if the file is not one. */
export async function readNotebook(path: string): Promise<Notebook> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  let nb: Notebook;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not a notebook (invalid JSON: ${(e as Error).message})`);
  }
  if (!Array.isArray(nb?.cells)) throw new Error(`${path} is not a notebook (no "cells" list)`);
  return nb;
}

/** Serialises a notebook the way Jupyter writes it (one-space indent, trailing newline). */
export function notebookText(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

/**
 * Finds the exercises of a notebook and checks they follow the convention (see the module docs).
 * With `submission: true` (a student's notebook) only the check cells are validated: solution
 * cells may have lost their markers or been rewritten.
 * @throws {Error} naming the notebook, the cell and the fix for every violation.
 */
export function findExercises(
  nb: Notebook,
  name: string,
  opts: { submission?: boolean } = {},
): Exercises {
  const solutions = new Map<string, number>();
  const checks: Check[] = [];
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    const g = cell.metadata?.ghostlab;
    if (!g || cell.cell_type !== "code") return;
    const where = `cell ${i + 1}`;
    if (g.solution !== undefined) {
      if (solutions.has(g.solution)) {
        problems.push(`${where}: a second solution cell for ${g.solution}`);
      }
      solutions.set(g.solution, i);
      if (!opts.submission) {
        try {
          solutionRegions(sourceOf(cell));
        } catch (e) {
          problems.push(`${where} (solution ${g.solution}): ${(e as Error).message}`);
        }
      }
    }
    if (g.check !== undefined) {
      const p = g.points;
      if (typeof p !== "number" || !(p > 0)) {
        problems.push(`${where} (check ${g.check}): metadata "points" must be a number > 0`);
        return;
      }
      const calls = [...sourceOf(cell).matchAll(/\baward\(\s*"([^"]*)"\s*,\s*([^)]*?)\s*\)/g)];
      if (!calls.length || calls.some((m) => m[1] !== g.check || Number(m[2]) !== p)) {
        problems.push(`${where} (check ${g.check}): must call \`await award("${g.check}", ${p})\``);
      }
      checks.push({ exercise: g.check, points: p, cell: i });
    }
  });
  for (const id of opts.submission ? [] : solutions.keys()) {
    if (!checks.some((c) => c.exercise === id)) problems.push(`solution ${id} has no check cell`);
  }
  for (const c of checks) {
    const s = solutions.get(c.exercise);
    if (s === undefined) {
      if (!opts.submission) problems.push(`check ${c.exercise} has no solution cell`);
    } else if (s > c.cell) problems.push(`check ${c.exercise} comes before its solution cell`);
  }
  if (problems.length) {
    throw new Error(
      `${name}: exercises do not follow DEVELOPING.md:\n  - ${problems.join("\n  - ")}`,
    );
  }
  return { solutions, checks };
}

/** Line ranges [begin, end] (marker lines included) of the solution regions of a source. */
export function solutionRegions(source: string): [number, number][] {
  const lines = source.split("\n");
  const out: [number, number][] = [];
  let open = -1;
  lines.forEach((line, i) => {
    if (BEGIN.test(line)) {
      if (open >= 0) throw new Error(`line ${i + 1}: BEGIN SOLUTION inside another region`);
      open = i;
    } else if (END.test(line)) {
      if (open < 0) throw new Error(`line ${i + 1}: END SOLUTION without BEGIN SOLUTION`);
      out.push([open, i]);
      open = -1;
    }
  });
  if (open >= 0) throw new Error(`line ${open + 1}: BEGIN SOLUTION without END SOLUTION`);
  if (out.length === 0) throw new Error("no `// BEGIN SOLUTION` … `// END SOLUTION` region");
  return out;
}

/** Replaces every solution region of a source by `notImplemented(id);` (same indentation). */
export function stubSolution(source: string, id: string): string {
  const lines = source.split("\n");
  for (const [b, e] of solutionRegions(source).reverse()) {
    const indent = BEGIN.exec(lines[b])![1];
    lines.splice(b, e - b + 1, `${indent}notImplemented("${id}");`);
  }
  return lines.join("\n");
}

/** Splits a string into notebook source lines (each but the last keeps its "\n"). */
export function sourceLines(text: string): string[] {
  return text.split(/(?<=\n)/);
}

/** A copy of a notebook with its outputs and execution counts removed. */
export function stripOutputs(nb: Notebook): Notebook {
  const out: Notebook = structuredClone(nb);
  for (const c of out.cells) {
    if (c.cell_type === "code") {
      c.outputs = [];
      c.execution_count = null;
    }
  }
  return out;
}

/**
 * The student version of a notebook: solution regions replaced by `notImplemented("exN")`, an
 * import of `notImplemented` added to the imports cell when missing, outputs stripped.
 */
export function studentVersion(nb: Notebook, name: string): Notebook {
  const { solutions } = findExercises(nb, name);
  const out = stripOutputs(nb);
  if (solutions.size === 0) return out;
  for (const [id, i] of solutions) {
    out.cells[i].source = sourceLines(stubSolution(sourceOf(out.cells[i]), id));
  }
  const first = out.cells.findIndex((c) => c.cell_type === "code");
  const imports = sourceOf(out.cells[first]);
  if (!/\bnotImplemented\b/.test(imports)) {
    const line = 'import { notImplemented } from "@lib/exercise.ts";';
    out.cells[first].source = sourceLines(imports.replace(/\n*$/, `\n${line}`));
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  let out = "build/assignments";
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") out = argv[++i] ?? "";
    else if (argv[i].startsWith("--")) {
      console.error(`assignment: unknown option ${argv[i]} (valid: --out DIR)`);
      return 2;
    } else paths.push(argv[i]);
  }
  if (!out || paths.length === 0) {
    console.error("usage: deno task assignment [--out DIR] NOTEBOOK.ipynb...");
    return 2;
  }
  await Deno.mkdir(out, { recursive: true });
  let failed = 0;
  for (const p of paths) {
    try {
      const nb = await readNotebook(p);
      const student = studentVersion(nb, p);
      const n = findExercises(nb, p).checks.length;
      const dest = `${out}/${p.replace(/^.*\//, "")}`;
      await Deno.writeTextFile(dest, notebookText(student));
      console.log(`${dest}: ${n} exercise check(s)${n === 0 ? " (no exercises: copied)" : ""}`);
    } catch (e) {
      failed++;
      console.error(`assignment: ${(e as Error).message}`);
    }
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
