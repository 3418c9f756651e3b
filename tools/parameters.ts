/**
 * Notebook parameters (the papermill convention): every notebook's second code cell, right after
 * the imports cell, is its **parameters cell**, tagged `parameters`, holding one
 * `const name = value; // one-line comment` per knob and nothing else (a value may span several
 * lines; blank lines and whole-line `//` comments are allowed). A comment starting with `[quick]`
 * or `[paper]` marks a knob that only that scale uses; it is not offered at the other scale.
 *
 * `deno task reproduce --set NOTEBOOK:name=value` overrides a knob: the runner injects a cell
 * tagged `injected-parameters` right after the parameters cell that redeclares it (the Deno
 * kernel allows redeclaring a `const` in a later cell), after checking that the new value has
 * the default's type.
 *
 * @module
 */

import type { Scale } from "@lib/config.ts";

/** One knob of a parameters cell. */
export interface Parameter {
  /** The constant's name. */
  name: string;
  /** Its default value as source text (e.g. `byScale({ quick: 17, paper: 49 })`). */
  value: string;
  /** The one-line comment (without `//` and the scale tag). */
  comment: string;
  /** The only scale that uses it, if the comment starts with `[quick]` or `[paper]`. */
  only?: Scale;
}

/** A notebook cell as stored in nbformat 4. */
interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[] };
}

const text = (s: string | string[]) => Array.isArray(s) ? s.join("") : s;

/** Whether a code cell holds only imports (and comments / blank lines). */
export function isImportsCell(src: string): boolean {
  const stripped = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const rest = stripped.replace(/^\s*import\s[\s\S]*?from\s*["'][^"']+["'];?/gm, "")
    .replace(/^\s*import\s*["'][^"']+["'];?/gm, "");
  return stripped.trim().length > 0 && rest.trim() === "";
}

/**
 * Parses a parameters cell.
 *
 * @throws {SyntaxError} naming the offending line when the cell holds anything but
 * `const name = value; // comment` statements, blank lines and comment lines.
 */
export function parseParameters(src: string): Parameter[] {
  const out: Parameter[] = [];
  const lines = src.split("\n");
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (/^\s*(\/\/.*)?$/.test(l)) {
      i++;
      continue;
    }
    const head = /^const ([A-Za-z_$][\w$]*)(?:\s*:\s*[^=]+)?\s*=\s*(.*)$/.exec(l);
    if (!head) {
      throw new SyntaxError(
        `line ${i + 1} is not \`const name = value; // comment\`: ${l.trim()}`,
      );
    }
    const start = i;
    let body = head[2];
    // The statement ends at the first line ending with `; // comment` (or a bare `;`).
    for (;;) {
      const end = /;\s*(?:\/\/\s?(.*))?$/.exec(lines[i]);
      if (end && balanced(body.slice(0, body.length - end[0].length))) {
        const value = body.slice(0, body.length - end[0].length).trim();
        const raw = (end[1] ?? "").trim();
        if (!raw) {
          throw new SyntaxError(`line ${i + 1}: ${head[1]} needs a one-line \`// comment\``);
        }
        const tag = /^\[(quick|paper)\]\s*/.exec(raw);
        out.push({
          name: head[1],
          value,
          comment: tag ? raw.slice(tag[0].length) : raw,
          ...(tag ? { only: tag[1] as Scale } : {}),
        });
        break;
      }
      if (++i >= lines.length) {
        throw new SyntaxError(`line ${start + 1}: ${head[1]} does not end with \`; // comment\``);
      }
      body += "\n" + lines[i];
    }
    i++;
  }
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.name)) throw new SyntaxError(`${p.name} is declared twice`);
    seen.add(p.name);
  }
  return out;
}

/** Brackets and quotes balance in `s` (so a `;` at a line end closes the statement). */
function balanced(s: string): boolean {
  let depth = 0;
  let quote = "";
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (quote) {
      if (c === "\\") k++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
  }
  return depth === 0 && !quote;
}

/**
 * The index of a notebook's parameters cell (the code cell after the imports cell, tagged
 * `parameters`).
 *
 * @throws {Error} saying what is wrong when the notebook does not follow the convention.
 */
export function parametersCellIndex(cells: Cell[]): number {
  const code = cells.map((c, i) => ({ c, i })).filter(({ c }) => c.cell_type === "code");
  if (code.length < 2) throw new Error("needs an imports cell and a parameters cell");
  if (!isImportsCell(text(code[0].c.source))) {
    throw new Error("the first code cell must hold the imports only");
  }
  const p = code[1];
  if (!(p.c.metadata?.tags ?? []).includes("parameters")) {
    throw new Error('the second code cell (the parameters cell) must be tagged "parameters"');
  }
  return p.i;
}

/** The parameters of a notebook (see {@linkcode parametersCellIndex}, {@linkcode parseParameters}). */
export function notebookParameters(nb: { cells: Cell[] }): Parameter[] {
  return parseParameters(text(nb.cells[parametersCellIndex(nb.cells)].source));
}

/** One `--set NOTEBOOK:name=value`. */
export interface Override {
  /** Notebook name without folder and `.ipynb`, e.g. `01-ghost-points`. */
  notebook: string;
  name: string;
  /** The parsed value (JSON; a bare word is a string). */
  value: unknown;
  /** The text given on the command line. */
  text: string;
}

/**
 * Parses `NOTEBOOK:name=value`: the value is JSON (`0.01`, `true`, `[1, 2]`, `"text"`); a bare
 * word (`paper`, `adam`) is taken as a string.
 *
 * @throws {RangeError} with the expected form when it does not parse.
 */
export function parseOverride(arg: string): Override {
  const m = /^([^:=]+):([A-Za-z_$][\w$]*)=(.*)$/s.exec(arg);
  if (!m) {
    throw new RangeError(
      `--set ${arg}: expected NOTEBOOK:name=value, e.g. --set 01-ghost-points:nR=9`,
    );
  }
  const notebook = m[1].replace(/^.*\//, "").replace(/\.ipynb$/, "");
  let value: unknown;
  try {
    value = JSON.parse(m[3]);
  } catch {
    if (!/^[A-Za-z_][\w.-]*$/.test(m[3])) {
      throw new RangeError(
        `--set ${arg}: the value must be JSON (a number, true/false, [array], "string") ` +
          `or a bare word`,
      );
    }
    value = m[3];
  }
  return { notebook, name: m[2], value, text: m[3] };
}

const kind = (v: unknown) => Array.isArray(v) ? "array" : v === null ? "null" : typeof v;

/**
 * Checks overrides against the notebooks' parameters at a scale and returns, per notebook, the
 * source of the cell to inject after its parameters cell.
 *
 * @param params parameters per notebook name (without `.ipynb`).
 * @throws {RangeError} naming the notebook or parameter for an unknown notebook, an unknown
 * parameter (listing the valid ones) or a parameter not used at this scale.
 */
export function injectedCells(
  overrides: Override[],
  params: Map<string, Parameter[]>,
  scale: Scale,
): Map<string, { source: string; overrides: Record<string, unknown> }> {
  const out = new Map<string, { source: string; overrides: Record<string, unknown> }>();
  for (const o of overrides) {
    const ps = params.get(o.notebook);
    if (!ps) {
      throw new RangeError(
        `--set ${o.notebook}:${o.name}: no notebook ${o.notebook} in this run (notebooks: ${
          [...params.keys()].join(", ")
        })`,
      );
    }
    const offered = ps.filter((p) => !p.only || p.only === scale);
    const p = offered.find((q) => q.name === o.name);
    if (!p) {
      const other = ps.find((q) => q.name === o.name);
      throw new RangeError(
        other
          ? `--set ${o.notebook}:${o.name}: ${o.name} is used only at ${other.only} scale ` +
            `(GHOSTLAB_SCALE=${other.only}); this run is at ${scale} scale`
          : `--set ${o.notebook}:${o.name}: ${o.notebook} has no parameter ${o.name} (at ${scale} ` +
            `scale: ${offered.map((q) => q.name).join(", ")})`,
      );
    }
    const entry = out.get(o.notebook) ?? { source: "", overrides: {} };
    entry.overrides[o.name] = o.value;
    out.set(o.notebook, entry);
  }
  for (const [nb, entry] of out) {
    const lines = [
      "// Injected by `deno task reproduce --set` (papermill's injected-parameters cell).",
    ];
    for (const [name, value] of Object.entries(entry.overrides)) {
      const json = JSON.stringify(value);
      const k = kind(value);
      lines.push(
        `if ((Array.isArray(${name}) ? "array" : ${name} === null ? "null" : typeof ${name}) ` +
          `!== ${JSON.stringify(k)}) {`,
        `  throw new TypeError(${
          JSON.stringify(`--set ${nb}:${name}=${json}: ${name} must keep the type of its default `)
        } + JSON.stringify(${name}) + ${JSON.stringify(`, not ${k}`)});`,
        "}",
        `const ${name} = ${json};`,
      );
    }
    entry.source = lines.join("\n");
  }
  return out;
}
