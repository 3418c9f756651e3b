/**
 * `deno task check:report [SITE_DIR]` — opens every page of the HTML report in headless Chromium
 * (through the DevTools protocol) and checks that every figure rendered: each `.ghostlab-figure`
 * div holds Plotly's SVG (`.main-svg`) and Plotly drew as many traces as its `data-traces`
 * attribute says; when the executed notebook is beside the site (`../notebooks/<page>.ipynb`),
 * the page must also hold as many figures as the notebook has Plotly outputs. A screenshot of
 * each page goes to `build/screenshots/` (or `--screenshots DIR`).
 *
 * @module
 */

import { browserProblems, chromium, problemMessage, ROOT } from "./prereq.ts";

/** The check of one figure div. */
export interface FigureCheck {
  id: string;
  expected: number;
  svg: boolean;
  traces: number;
  text: string;
}

/** The check of one page. */
export interface PageCheck {
  page: string;
  figures: FigureCheck[];
  /** Figures the executed notebook holds, or null when it is not available. */
  expectedFigures: number | null;
  /** Uncaught JavaScript exceptions on the page. */
  exceptions: string[];
  screenshot: string;
  /** Problems found (empty when the page is fine). */
  problems: string[];
}

/** Chromium flags for a quiet, sandbox-free headless run. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--hide-scrollbars",
  "--mute-audio",
];

type Json = Record<string, unknown>;

/** A minimal DevTools-protocol client over one browser WebSocket (flat sessions). */
class Cdp {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
  #listeners: ((method: string, params: Json, sessionId?: string) => void)[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data as string);
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`CDP: ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      } else {
        for (const l of this.#listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    };
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("CDP connection closed"));
      this.#pending.clear();
    };
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  on(listener: (method: string, params: Json, sessionId?: string) => void): void {
    this.#listeners.push(listener);
  }

  /** Closes the connection and resolves once it is closed. */
  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    const closed = new Promise<void>((resolve) => {
      this.#ws.addEventListener("close", () => resolve());
    });
    this.#ws.close();
    return closed;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Browser-side expression describing every `.ghostlab-figure` on the page. */
export const FIGURES_JS = `[...document.querySelectorAll(".ghostlab-figure")].map((el) => ({
  id: el.id,
  expected: Number(el.getAttribute("data-traces")),
  svg: !!el.querySelector(".main-svg"),
  traces: Array.isArray(el._fullData) ? el._fullData.length : -1,
  text: (el.textContent || "").slice(0, 200),
}))`;

/** One browser tab. */
export class Page {
  /** Whether the page's load event fired. */
  loaded = false;
  /** Uncaught JavaScript exceptions seen on the page. */
  readonly exceptions: string[] = [];

  constructor(private cdp: Cdp, private targetId: string, private sessionId: string) {}

  /** Sends a DevTools-protocol command to this tab. */
  send(method: string, params: Json = {}): Promise<Json> {
    return this.cdp.send(method, params, this.sessionId);
  }

  /** Evaluates a JavaScript expression in the page and returns its (JSON) value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) {
      throw new Error(
        `page evaluation failed: ${JSON.stringify(r.exceptionDetails).slice(0, 500)}`,
      );
    }
    return (r.result as Json).value as T;
  }

  /** Saves a full-page PNG screenshot (height capped at 30 000 px). */
  async screenshot(path: string): Promise<void> {
    const metrics = await this.send("Page.getLayoutMetrics") as { cssContentSize: Json };
    const width = Math.ceil(Number(metrics.cssContentSize.width));
    const height = Math.min(Math.ceil(Number(metrics.cssContentSize.height)), 30_000);
    const shot = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width, height, scale: 1 },
    }) as { data: string };
    await Deno.writeFile(path, Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0)));
  }

  /** Closes the tab. */
  async close(): Promise<void> {
    await this.cdp.send("Target.closeTarget", { targetId: this.targetId });
  }
}

/** A headless Chromium with a fresh profile, driven through the DevTools protocol. */
export class Browser {
  private constructor(
    private proc: Deno.ChildProcess,
    private cdp: Cdp,
    private profile: string,
  ) {}

  /** Starts Chromium (`bin`, default {@linkcode chromium}) with a fresh `--user-data-dir`. */
  static async launch(bin: string = chromium(), tmpRoot = `${ROOT}/build`): Promise<Browser> {
    await Deno.mkdir(tmpRoot, { recursive: true });
    const profile = await Deno.makeTempDir({ dir: tmpRoot, prefix: "chromium-profile-" });
    const proc = new Deno.Command(bin, {
      args: [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = proc.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    let url: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!url && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      url = buf.match(/DevTools listening on (ws:\/\/\S+)/)?.[1];
    }
    // Keep draining stderr so Chromium never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* discard */ }
      } catch { /* closed */ }
    })();
    if (!url) {
      try {
        proc.kill("SIGKILL");
      } catch { /* already gone */ }
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw new Error(`Chromium did not start:\n${buf.slice(-2000)}`);
    }
    return new Browser(proc, await Cdp.connect(url), profile);
  }

  /** Opens `url` in a new tab and resolves once its load event fired (or `timeoutMs`). */
  async open(url: string, timeoutMs = 20_000): Promise<Page> {
    const { targetId } = await this.cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.cdp.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as { sessionId: string };
    const page = new Page(this.cdp, targetId as string, sessionId);
    this.cdp.on((method, params, sid) => {
      if (sid !== sessionId) return;
      if (method === "Page.loadEventFired") page.loaded = true;
      if (method === "Runtime.exceptionThrown") {
        const d = params.exceptionDetails as Json;
        const ex = d.exception as Json | undefined;
        page.exceptions.push(String(ex?.description ?? d.text));
      }
    });
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Emulation.setDeviceMetricsOverride", {
      width: 1200,
      height: 900,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.send("Page.navigate", { url });
    const t0 = Date.now();
    while (!page.loaded && Date.now() - t0 < timeoutMs) await sleep(100);
    return page;
  }

  /**
   * Loads `url` in a new tab, waits until every `.ghostlab-figure` has drawn (or `timeoutMs`),
   * checks the figures and saves a full-page PNG screenshot to `screenshot`.
   */
  async checkPage(url: string, screenshot: string, timeoutMs = 20_000): Promise<{
    figures: FigureCheck[];
    exceptions: string[];
  }> {
    const page = await this.open(url, timeoutMs);
    const t0 = Date.now();
    let figures: FigureCheck[] = [];
    do {
      figures = await page.evaluate<FigureCheck[]>(FIGURES_JS);
      if (figures.every((f) => f.svg && f.traces === f.expected)) break;
      await sleep(200);
    } while (Date.now() - t0 < timeoutMs);
    await page.screenshot(screenshot);
    await page.close();
    return { figures, exceptions: page.exceptions };
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    await this.cdp.close();
    try {
      this.proc.kill("SIGTERM");
    } catch { /* already gone */ }
    await this.proc.status;
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}

/** Number of Plotly outputs in an executed notebook, or null if it cannot be read. */
async function notebookFigures(path: string): Promise<number | null> {
  try {
    const nb = JSON.parse(await Deno.readTextFile(path));
    let n = 0;
    for (const c of nb.cells) {
      for (const o of c.outputs ?? []) {
        if (o.data?.["application/vnd.plotly.v1+json"]) n++;
      }
    }
    return n;
  } catch {
    return null;
  }
}

/**
 * Checks every page of the report in `siteDir` (all `.html` files but index.html) and writes
 * screenshots to `screenshotDir`.
 */
export async function checkReport(
  siteDir: string,
  screenshotDir: string,
  opts: { executedDir?: string; timeoutMs?: number } = {},
): Promise<PageCheck[]> {
  const executedDir = opts.executedDir ?? `${siteDir}/../notebooks`;
  const pages: string[] = [];
  for await (const e of Deno.readDir(siteDir)) {
    if (e.isFile && e.name.endsWith(".html")) pages.push(e.name);
  }
  pages.sort();
  await Deno.mkdir(screenshotDir, { recursive: true });
  const shots = new Set(pages.map((p) => p.replace(/\.html$/, ".png")));
  for await (const e of Deno.readDir(screenshotDir)) {
    if (e.isFile && e.name.endsWith(".png") && !shots.has(e.name)) {
      await Deno.remove(`${screenshotDir}/${e.name}`); // stale: its page is gone
    }
  }
  const browser = await Browser.launch();
  const results: PageCheck[] = [];
  try {
    for (const page of pages) {
      const abs = await Deno.realPath(`${siteDir}/${page}`);
      const screenshot = `${screenshotDir}/${page.replace(/\.html$/, ".png")}`;
      const { figures, exceptions } = await browser.checkPage(
        `file://${abs}`,
        screenshot,
        opts.timeoutMs,
      );
      const problems: string[] = [];
      const expectedFigures = page === "index.html"
        ? null
        : await notebookFigures(`${executedDir}/${page.replace(/\.html$/, ".ipynb")}`);
      if (expectedFigures !== null && figures.length !== expectedFigures) {
        problems.push(
          `${figures.length} figure(s) on the page, the notebook has ${expectedFigures}`,
        );
      }
      for (const f of figures) {
        if (!f.svg) problems.push(`figure ${f.id} did not render: ${f.text || "(empty)"}`);
        else if (f.traces !== f.expected) {
          problems.push(`figure ${f.id} drew ${f.traces} trace(s), expected ${f.expected}`);
        }
      }
      for (const e of exceptions) problems.push(`JavaScript exception: ${e.split("\n")[0]}`);
      results.push({ page, figures, expectedFigures, exceptions, screenshot, problems });
    }
  } finally {
    await browser.close();
  }
  return results;
}

async function main(argv: string[]): Promise<number> {
  let siteDir = `${ROOT}/build/site`;
  let shots = `${ROOT}/build/screenshots`;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--screenshots") shots = argv[++i];
    else if (argv[i].startsWith("--")) {
      console.error(`check_report: unknown option ${argv[i]} (valid: --screenshots DIR)`);
      return 2;
    } else siteDir = argv[i];
  }
  const problems = await browserProblems();
  if (problems.length) {
    console.error(problemMessage("deno task check:report", problems));
    return 2;
  }
  try {
    await Deno.stat(`${siteDir}/index.html`);
  } catch {
    console.error(`check_report: no report in ${siteDir}: run \`deno task reproduce\` first`);
    return 2;
  }
  const results = await checkReport(siteDir, shots);
  let bad = 0;
  for (const r of results) {
    const ok = r.problems.length === 0;
    if (!ok) bad++;
    console.log(
      `${ok ? "PASS" : "FAIL"} ${r.page} (${r.figures.length} figures) -> ${r.screenshot}`,
    );
    for (const p of r.problems) console.log(`  - ${p}`);
  }
  console.log(`pages: ${results.length - bad} passed, ${bad} failed`);
  return bad ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
