/**
 * `deno task notebook [jupyter-notebook options]` — opens the notebooks in the classic Jupyter
 * Notebook UI with the project's Deno kernel and Plotly figures working.
 *
 * It registers everything inside the project (no global installs): the kernelspec in
 * tools/jupyter/kernels/deno (argv `deno jupyter --kernel …`, so it uses whichever `deno` is on
 * PATH) and plotly.min.js as the nbextension file `ghostlab-plotly.min.js` in the git-ignored data
 * folder build/jupyter/nbextensions/, which the figures' HTML loads through require.js. Both
 * folders go on `JUPYTER_PATH`; then `jupyter notebook` starts from the project root.
 *
 * @module
 */

import { NBEXTENSION_PLOTLY } from "@lib/plot/mod.ts";
import {
  notebookProblems,
  notebookUiProblems,
  plotlyPath,
  problemMessage,
  python,
  ROOT,
} from "./prereq.ts";

/** The JUPYTER_PATH that exposes the project's kernelspec and nbextension (then `existing`). */
export function jupyterPath(existing?: string): string {
  return [`${ROOT}/tools/jupyter`, `${ROOT}/build/jupyter`, ...(existing ? [existing] : [])]
    .join(":");
}

/** Installs plotly.min.js as the classic-Notebook nbextension file; returns its path. */
export async function installNbextension(): Promise<string> {
  const dir = `${ROOT}/build/jupyter/nbextensions`;
  await Deno.mkdir(dir, { recursive: true });
  const target = `${dir}/${NBEXTENSION_PLOTLY}.js`;
  const src = await Deno.stat(plotlyPath());
  const dst = await Deno.stat(target).catch(() => null);
  if (!dst || dst.size !== src.size) await Deno.copyFile(plotlyPath(), target);
  return target;
}

async function main(argv: string[]): Promise<number> {
  const problems = [...await notebookProblems(), ...await notebookUiProblems()];
  if (problems.length) {
    console.error(problemMessage("deno task notebook", problems));
    return 2;
  }
  await installNbextension();
  let existing: string | undefined;
  try {
    existing = Deno.env.get("JUPYTER_PATH");
  } catch { /* not permitted: ignore */ }
  let root = false;
  try {
    root = Deno.uid() === 0; // containers: Jupyter refuses to run as root without --allow-root
  } catch { /* not permitted: assume not root */ }
  const child = new Deno.Command(python(), {
    args: ["-m", "notebook", `--notebook-dir=${ROOT}`, ...(root ? ["--allow-root"] : []), ...argv],
    cwd: ROOT,
    env: { JUPYTER_PATH: jupyterPath(existing), NO_COLOR: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
