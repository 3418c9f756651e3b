/**
 * Prerequisite checks shared by the pipeline's commands (`deno task reproduce`, `deno task
 * notebook`, the report's browser check): each check returns a plain problem description naming
 * what to install, never a stack trace.
 *
 * @module
 */

/** The project root (the folder holding deno.json). */
export const ROOT: string = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** Environment variable naming the Python interpreter that has Jupyter (default /usr/bin/python3). */
export const PYTHON_ENV = "GHOSTLAB_PYTHON";

/** Environment variable naming the Chromium binary (default /usr/bin/chromium). */
export const CHROMIUM_ENV = "GHOSTLAB_CHROMIUM";

/** Install hint for the Jupyter packages. */
export const JUPYTER_HINT =
  "install Jupyter: `sudo apt-get install -y --no-install-recommends jupyter-nbconvert " +
  "jupyter-client python3-nbclient` (Debian/Ubuntu; add `jupyter-notebook` for the classic UI) " +
  "or `pip install nbclient nbconvert jupyter_client notebook`; if your Jupyter lives in another " +
  `Python, point ${PYTHON_ENV} at it (and allow running it)`;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** The Python interpreter used to run Jupyter (`$GHOSTLAB_PYTHON`, else /usr/bin/python3). */
export function python(): string {
  return env(PYTHON_ENV) ?? "/usr/bin/python3";
}

/** The Chromium binary used for the browser check (`$GHOSTLAB_CHROMIUM`, else /usr/bin/chromium). */
export function chromium(): string {
  return env(CHROMIUM_ENV) ?? "/usr/bin/chromium";
}

/** Runs a command and returns its exit code and output; a missing binary gives code 127. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "not found"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "not allowed by --allow-run: the deno tasks may run only /usr/bin/python3, " +
        "/usr/bin/chromium and deno; use `deno run` with your own --allow-run for another path"
      : String((e as Error).message ?? e);
    return { code: 127, stdout: "", stderr: `${cmd}: ${reason}` };
  }
}

/** Problems that stop the notebooks from running headlessly (empty when all is well). */
export async function notebookProblems(py: string = python()): Promise<string[]> {
  const problems: string[] = [];
  const mods = ["nbformat", "nbclient", "jupyter_client", "nbconvert"];
  const probe = await run(py, [
    "-c",
    `import importlib.util as u; print(",".join(m for m in ${
      JSON.stringify(mods)
    } if u.find_spec(m) is None))`,
  ]);
  if (probe.code !== 0) {
    problems.push(
      `Python with Jupyter was not found at ${py} (${probe.stderr.trim().split("\n").pop()}): ` +
        JUPYTER_HINT + ".",
    );
  } else if (probe.stdout.trim()) {
    problems.push(
      `Python packages missing in ${py}: ${probe.stdout.trim().split(",").join(", ")}: ` +
        JUPYTER_HINT + ".",
    );
  }
  const kernel = await run("deno", ["jupyter", "--help"]);
  if (kernel.code !== 0) {
    problems.push(
      "the Deno Jupyter kernel is not available (`deno jupyter --help` failed: " +
        `${kernel.stderr.trim().split("\n").pop()}): install Deno 2.9.5 with ` +
        "`npm install -g deno@2.9.5`.",
    );
  }
  try {
    await Deno.stat(`${ROOT}/tools/jupyter/kernels/deno/kernel.json`);
  } catch {
    problems.push("tools/jupyter/kernels/deno/kernel.json is missing: restore it from git.");
  }
  try {
    await Deno.stat(plotlyPath());
  } catch {
    problems.push(
      "plotly.js is not installed in node_modules: run `deno install` in the project folder.",
    );
  }
  return problems;
}

/** Install hint for the classic Notebook UI. */
export const NOTEBOOK_UI_HINT =
  "the classic Notebook UI is missing: install the package jupyter-notebook " +
  "(`sudo apt-get install -y --no-install-recommends jupyter-notebook` on Debian/Ubuntu) or " +
  "`pip install 'notebook<7'` into the Python that has Jupyter";

/** Problems that stop the classic Notebook UI (`jupyter-notebook`) from starting. */
export async function notebookUiProblems(py: string = python()): Promise<string[]> {
  const r = await run(py, ["-c", "import notebook.notebookapp"]);
  return r.code === 0 ? [] : [`${NOTEBOOK_UI_HINT} (${py}: ${r.stderr.trim().split("\n").pop()}).`];
}

/** Problems that stop the browser check of the report (empty when all is well). */
export async function browserProblems(bin: string = chromium()): Promise<string[]> {
  const r = await run(bin, ["--version"]);
  return r.code === 0 ? [] : [
    `Chromium was not found at ${bin} (${r.stderr.trim().split("\n").pop()}): install it with ` +
    "`sudo apt-get install -y --no-install-recommends chromium` or point " +
    `${CHROMIUM_ENV} at a Chromium/Chrome binary (and allow running it).`,
  ];
}

/** Path of plotly.min.js in node_modules. */
export function plotlyPath(): string {
  return `${ROOT}/node_modules/plotly.js-dist-min/plotly.min.js`;
}

/** Formats problems as the message printed before stopping. */
export function problemMessage(what: string, problems: string[]): string {
  return `${what} cannot run:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}

/** Notebooks in a folder (not hidden), sorted. */
export async function notebooksIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb") && !e.name.startsWith(".")) {
      out.push(`${dir}/${e.name}`);
    }
  }
  return out.sort();
}
