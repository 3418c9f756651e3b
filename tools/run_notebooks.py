#!/usr/bin/env python3
"""Headless runner for ghostlab's Deno-kernel notebooks.

Run with Debian's Python (``/usr/bin/python3 tools/run_notebooks.py [options] NOTEBOOK...``).

Why not plain nbclient / ``jupyter nbconvert --execute``: the Deno kernel sometimes publishes a
cell's outputs (display_data, execute_result, even stream) *after* its ``status: idle``, and
nbclient stops listening for a cell at idle, silently dropping them. This runner talks to the
kernel through jupyter_client directly and

- keeps listening on IOPub for the whole session and routes every output to the cell whose
  ``execute_request`` is its ``parent_header.msg_id`` (late outputs included; an
  ``execute_result`` goes by its execution count),
- puts a barrier after every cell: the kernel tags an output with the request that is current when
  the output is *sent*, so before the next cell starts a tiny sync request (not counted in the
  history) waits a moment and publishes a marker; whatever arrives tagged with it belongs to the
  cell before (see ``NotebookRun.sync``),
- drains IOPub before shutting the kernel down (until a quiet period has passed and every cell has
  the figures it declares, or a maximum drain time is over),
- fails a notebook when a cell errors, when a cell exceeds the per-cell timeout, when the kernel
  dies, or when a code cell has fewer Plotly figures (outputs carrying
  ``application/vnd.plotly.v1+json``) than its metadata ``ghostlab.figures`` declares.

``--jobs N`` runs N notebooks side by side, each in its own kernel (default: the CPUs this process
may use, or ``$GHOSTLAB_NOTEBOOK_JOBS``); their RUN/PASS/FAIL lines come whole, in the order they
happen. Executed notebooks go to ``--out-dir`` (default ``build/notebooks``) together with a
``<name>.result.json`` summary per notebook, read by the report builder. The last line printed is
``notebooks: N passed, M failed``; the exit code is 1 when a notebook failed, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

PLOTLY_MIME = "application/vnd.plotly.v1+json"
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")
ROOT = Path(__file__).resolve().parent.parent
KERNELS_DIR = ROOT / "tools" / "jupyter"
BIG_MESSAGE = 1_000_000  # bytes; larger outputs are reported as warnings
PRINT_LOCK = threading.RLock()  # whole lines on stdout/stderr when notebooks run side by side
BAR: "ProgressBar | None" = None


def setup_environment() -> None:
    """Puts the project's kernelspec on JUPYTER_PATH and sets NO_COLOR for the kernel."""
    paths = [str(KERNELS_DIR)]
    if os.environ.get("JUPYTER_PATH"):
        paths.append(os.environ["JUPYTER_PATH"])
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)
    os.environ["NO_COLOR"] = "1"


def forward_stderr(km) -> None:
    """Copies the kernel's stderr to ours, minus Deno's constant 'unstable' warning."""
    proc = getattr(km, "provisioner", None)
    pipe = getattr(getattr(proc, "process", None), "stderr", None)
    if pipe is None:
        return

    def pump() -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace")
            if '"deno jupyter" is unstable' not in line:
                with PRINT_LOCK:
                    if BAR is not None:
                        BAR.clear()
                    sys.stderr.write(line)
                    sys.stderr.flush()

    threading.Thread(target=pump, daemon=True).start()


def first_heading(nb) -> str:
    """The text of the first ``# `` heading in the notebook's markdown cells."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return ""


def declared_figures(cell) -> int:
    meta = cell.get("metadata", {}).get("ghostlab", {})
    n = meta.get("figures", 0) if isinstance(meta, dict) else 0
    return int(n) if isinstance(n, (int, float)) else 0


def count_figures(outputs) -> int:
    return sum(
        1
        for o in outputs
        if o.get("output_type") in ("display_data", "execute_result") and PLOTLY_MIME in o.get("data", {})
    )


class CellRun:
    """Book-keeping for one executed code cell."""

    def __init__(self, index: int, number: int, msg_id: str, declared: int) -> None:
        self.index = index  # index in nb.cells
        self.number = number  # 1-based number among code cells
        self.msg_id = msg_id
        self.declared = declared
        self.outputs: list = []
        self.execution_count = None
        self.reply = None
        self.idle = False
        self.late = 0
        self.clear_pending = False

    @property
    def done(self) -> bool:
        return self.reply is not None and self.idle

    @property
    def figures(self) -> int:
        return count_figures(self.outputs)


class NotebookRun:
    """Executes one notebook in a fresh Deno kernel."""

    def __init__(self, path: Path, opts) -> None:
        import nbformat

        self.path = path
        self.opts = opts
        self.nb = nbformat.read(str(path), as_version=4)
        self.overrides = inject_parameters(self.nb, opts.injections.get(path.stem))
        self.cells: dict[str, CellRun] = {}  # msg_id of a cell's or its sync's request -> cell
        self.syncs: dict[str, CellRun] = {}  # msg_id of a sync request -> the cell it follows
        self.by_count: dict[int, CellRun] = {}  # execution count -> cell
        self.sync_state: dict[str, dict] = {}
        self.order: list[CellRun] = []
        self.failures: list[str] = []
        self.warnings: list[str] = []
        self.unrouted = 0
        self.last_msg = time.monotonic()
        self.displays: dict[str, list] = {}  # display_id -> output dicts to update
        self.stuck = False  # kernel timed out or died: no drain, kill it

    # -- message handling -------------------------------------------------------------------
    def log(self, text: str) -> None:
        if self.opts.verbose:
            tag = f"[{self.path.stem}] " if getattr(self.opts, "jobs", 1) > 1 else ""
            say(f"    {tag}{text}")

    def on_iopub(self, msg) -> None:
        from nbformat.v4 import output_from_msg

        self.last_msg = time.monotonic()
        parent = msg.get("parent_header", {}).get("msg_id")
        cell = self.cells.get(parent)
        mtype = msg["msg_type"]
        content = msg["content"]
        if parent in self.syncs:
            # The sync request after a cell: its own status and marker complete the barrier;
            # any other output it carries is a late output of the cell before it.
            state = self.sync_state[parent]
            if mtype == "status":
                state["idle"] = state["idle"] or content.get("execution_state") == "idle"
                return
            if mtype == "execute_input":
                return
            if mtype == "display_data" and content.get("data", {}).get("text/plain") == state["token"]:
                state["marker"] = True
                return
        if mtype == "execute_result":
            # execute_result carries its execution count: trust it over the parent header.
            owner = self.by_count.get(content.get("execution_count"))
            if owner is not None:
                cell = owner
        if cell is None:
            if mtype in OUTPUT_TYPES:
                self.unrouted += 1
                self.warnings.append(f"output without a known parent cell ({mtype}) dropped")
            return
        if mtype == "status":
            if content.get("execution_state") == "idle":
                cell.idle = True
            return
        if mtype == "execute_input":
            cell.execution_count = content.get("execution_count")
            self.by_count[cell.execution_count] = cell
            return
        if mtype == "clear_output":
            if content.get("wait"):
                cell.clear_pending = True
            else:
                cell.outputs = []
            return
        if mtype == "update_display_data":
            did = content.get("transient", {}).get("display_id")
            for out in self.displays.get(did, []):
                out["data"] = content.get("data", {})
                out["metadata"] = content.get("metadata", {})
            return
        if mtype not in OUTPUT_TYPES:
            return
        size = len(json.dumps(content.get("data", content.get("text", ""))))
        if size > BIG_MESSAGE:
            self.warnings.append(
                f"code cell {cell.number}: a {size / 1e6:.1f} MB {mtype} message (keep outputs small)"
            )
        if cell.clear_pending:
            cell.outputs = []
            cell.clear_pending = False
        if cell.done:
            cell.late += 1
            self.log(f"late {mtype} for code cell {cell.number}")
        out = output_from_msg(msg)
        if mtype == "stream" and cell.outputs and cell.outputs[-1].get("output_type") == "stream" \
                and cell.outputs[-1].get("name") == out.get("name"):
            cell.outputs[-1]["text"] += out["text"]
        else:
            cell.outputs.append(out)
        did = content.get("transient", {}).get("display_id")
        if did:
            self.displays.setdefault(did, []).append(out)

    def on_shell(self, msg) -> None:
        parent = msg.get("parent_header", {}).get("msg_id")
        if parent in self.syncs:
            if msg["msg_type"] == "execute_reply":
                self.sync_state[parent]["reply"] = msg["content"]
            return
        cell = self.cells.get(parent)
        if cell is not None and msg["msg_type"] == "execute_reply":
            cell.reply = msg["content"]
            if cell.execution_count is None:
                cell.execution_count = msg["content"].get("execution_count")

    def pump(self, kc, wait: float) -> bool:
        """Handles every pending message; waits up to `wait` seconds for IOPub. True if any."""
        got = False
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=wait if not got else 0)
            except queue.Empty:
                break
            self.on_iopub(msg)
            got = True
        while True:
            try:
                msg = kc.get_shell_msg(timeout=0)
            except queue.Empty:
                break
            self.on_shell(msg)
            got = True
        return got

    # -- execution ---------------------------------------------------------------------------
    def run(self) -> dict:
        from jupyter_client.manager import KernelManager

        started = time.monotonic()
        km = KernelManager(kernel_name=self.opts.kernel)
        env = dict(os.environ)
        env["NO_COLOR"] = "1"
        try:
            km.start_kernel(cwd=str(self.path.parent.resolve()), env=env, stderr=subprocess.PIPE)
        except Exception as e:  # noqa: BLE001 - reported, not raised
            self.failures.append(f"kernel '{self.opts.kernel}' did not start: {e}")
            return self.finish(started)
        forward_stderr(km)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=self.opts.startup_timeout)
            self.execute_all(km, kc)
            if not self.stuck:
                self.drain(km, kc)
        except RuntimeError as e:
            self.failures.append(f"kernel: {e}")
        finally:
            kc.stop_channels()
            try:
                km.shutdown_kernel(now=self.stuck or not km.is_alive())
            except Exception:  # noqa: BLE001
                km.shutdown_kernel(now=True)
        return self.finish(started)

    def execute_all(self, km, kc) -> None:
        number = 0
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            number += 1
            cell.outputs = []
            cell.execution_count = None
            if not cell.source.strip():
                continue
            msg_id = kc.execute(cell.source, store_history=True, allow_stdin=False)
            run = CellRun(index, number, msg_id, declared_figures(cell))
            self.cells[msg_id] = run
            self.order.append(run)
            self.log(f"code cell {number} ...")
            t0 = time.monotonic()
            while not run.done:
                self.pump(kc, 0.05)
                if run.done:
                    break
                if time.monotonic() - t0 > self.opts.timeout:
                    self.failures.append(
                        f"code cell {number} timed out after {self.opts.timeout:g} s"
                    )
                    self.stuck = True  # the Deno kernel does not support interrupts
                    return
                if not km.is_alive():
                    self.failures.append(f"code cell {number}: the kernel died")
                    self.stuck = True
                    return
            self.log(f"code cell {number} done in {time.monotonic() - t0:.1f} s")
            self.sync(km, kc, run)
            if run.reply.get("status") != "ok":
                hint = ""
                if (run.reply.get("evalue") == "Execution failed"
                        and not any(o.get("output_type") == "error" for o in run.outputs)):
                    hint = " (probably a syntax error; `deno task check:notebooks` shows where)"
                self.failures.append(f"code cell {number} failed: {self.error_text(run)}{hint}")
                return

    def sync(self, km, kc, run: CellRun) -> None:
        """Barrier after a cell. The Deno kernel tags an output with the request that is current
        when the output is *sent*, so an output that a cell leaves pending is sent under the next
        request. A tiny sync request (not stored in history) takes that role here: it waits a
        moment, then publishes a marker and waits for it to be sent; outputs that come with it
        belong to the cell before. Only then does the next cell start."""
        token = f"ghostlab-sync-{uuid.uuid4()}"
        code = (
            "await new Promise((r) => setTimeout(r, 20));\n"
            f'await Deno.jupyter.broadcast("display_data", {{ data: {{ "text/plain": "{token}" }}, '
            "metadata: {}, transient: {} });\n"
        )
        msg_id = kc.execute(code, silent=False, store_history=False, allow_stdin=False)
        self.syncs[msg_id] = run
        self.cells[msg_id] = run
        state = self.sync_state[msg_id] = {"token": token, "reply": None, "idle": False,
                                           "marker": False}
        t0 = time.monotonic()
        while not (state["reply"] is not None and state["idle"] and state["marker"]):
            self.pump(kc, 0.02)
            if state["reply"] is not None and state["idle"] and state["reply"].get("status") != "ok":
                self.warnings.append(f"sync after code cell {run.number} failed")
                return
            if time.monotonic() - t0 > self.opts.sync_timeout or not km.is_alive():
                self.warnings.append(f"sync after code cell {run.number} timed out")
                return

    def error_text(self, run: CellRun) -> str:
        for out in run.outputs:
            if out.get("output_type") == "error":
                return f"{out.get('ename', '')}: {out.get('evalue', '')}".strip(": ")
        r = run.reply or {}
        return f"{r.get('ename', 'error')}: {r.get('evalue', '')}".strip(": ")

    def missing_figures(self) -> list[CellRun]:
        return [r for r in self.order if r.figures < r.declared]

    def drain(self, km, kc) -> None:
        """Keeps reading IOPub until it has been quiet for `quiet` seconds and no declared figure
        is missing, or `max_drain` seconds are over."""
        t0 = time.monotonic()
        self.last_msg = max(self.last_msg, t0)
        while km.is_alive():
            self.pump(kc, 0.05)
            now = time.monotonic()
            quiet = now - self.last_msg >= self.opts.quiet
            if quiet and (not self.missing_figures() or now - t0 >= self.opts.max_drain):
                break
            if now - t0 >= self.opts.max_drain + self.opts.quiet:
                break

    def finish(self, started: float) -> dict:
        import nbformat

        for run in self.order:
            cell = self.nb.cells[run.index]
            # A cell's execute_result is published after its code finished, so it goes last even
            # when a late display_data or stream arrived after it.
            results = [o for o in run.outputs if o.get("output_type") == "execute_result"]
            run.outputs = [o for o in run.outputs if o.get("output_type") != "execute_result"]
            run.outputs += results
            failed = run.reply is not None and run.reply.get("status") != "ok"
            if failed and not any(o.get("output_type") == "error" for o in run.outputs):
                # e.g. a syntax error: the Deno kernel replies with an error but publishes none
                r = run.reply
                run.outputs.append(nbformat.v4.new_output(
                    "error", ename=r.get("ename") or "Error", evalue=r.get("evalue") or "",
                    traceback=r.get("traceback") or [
                        f"{r.get('ename') or 'Error'}: {r.get('evalue') or ''} "
                        "(a syntax error? `deno task check:notebooks` shows where)"],
                ))
            cell.outputs = run.outputs
            cell.execution_count = run.execution_count
            if run.reply is not None and run.reply.get("status") == "ok":
                errs = [o for o in run.outputs if o.get("output_type") == "error"]
                if errs:
                    self.failures.append(
                        f"code cell {run.number} published an error: "
                        f"{errs[0].get('ename', '')}: {errs[0].get('evalue', '')}"
                    )
            if run.reply is not None and run.figures < run.declared:
                self.failures.append(
                    f"code cell {run.number} declares {run.declared} figure(s) "
                    f"but {run.figures} arrived"
                )
        out_dir = Path(self.opts.out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        out_path = out_dir / self.path.name
        self.nb.metadata.setdefault("ghostlab", {})["scale"] = os.environ.get("GHOSTLAB_SCALE") or "quick"
        sign(self.nb)
        nbformat.write(self.nb, str(out_path))
        declared = sum(declared_figures(c) for c in self.nb.cells if c.cell_type == "code")
        result = {
            "notebook": self.path.name,
            "source": str(self.path),
            "executed": str(out_path),
            "title": first_heading(self.nb),
            "summary": self.nb.metadata.get("ghostlab", {}).get("summary", ""),
            "status": "failed" if self.failures else "passed",
            "failures": self.failures,
            "warnings": self.warnings,
            "seconds": round(time.monotonic() - started, 2),
            "cells": [
                {
                    "cell": r.number,
                    "figures": r.figures,
                    "declared": r.declared,
                    "outputs": len(r.outputs),
                    "late": r.late,
                }
                for r in self.order
            ],
            "figures": sum(r.figures for r in self.order),
            "declaredFigures": declared,
            "lateOutputs": sum(r.late for r in self.order),
            "scale": os.environ.get("GHOSTLAB_SCALE") or "quick",
            "overrides": self.overrides,
        }
        (out_dir / (self.path.stem + ".result.json")).write_text(json.dumps(result, indent=1) + "\n")
        return result


def inject_parameters(nb, injection) -> dict:
    """Inserts the ``injected-parameters`` cell (built by tools/parameters.ts) right after the
    cell tagged ``parameters``; records the overrides in the notebook's metadata. Returns them."""
    if not injection:
        return {}
    import nbformat

    index = next((i for i, c in enumerate(nb.cells)
                  if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise ValueError("no cell tagged 'parameters' to inject overrides after")
    cell = nbformat.v4.new_code_cell(injection["source"])
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index + 1, cell)
    nb.metadata.setdefault("ghostlab", {})["overrides"] = injection["overrides"]
    return injection["overrides"]


def sign(nb) -> None:
    """Marks the executed notebook trusted (nbformat's signature), so that Jupyter shows its HTML
    and script outputs (figures) when it is opened."""
    try:
        from nbformat.sign import NotebookNotary

        NotebookNotary().sign(nb)
    except Exception as e:  # noqa: BLE001 - an untrusted copy still opens, with text outputs
        print(f"  warning: could not sign the executed notebook: {e}", file=sys.stderr)


class ProgressBar:
    """A one-line progress bar with ETA on stderr (only when stderr is a terminal). The ETA comes
    from each notebook's previous run time (its ``.result.json``), else from the cells done; with
    several notebooks running side by side (``--jobs``) the remaining work is shared among them."""

    def __init__(self, notebooks: list[Path], out_dir: Path, jobs: int = 1) -> None:
        self.enabled = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
        self.expected = []
        for nb in notebooks:
            try:
                prev = json.loads((out_dir / f"{nb.stem}.result.json").read_text())
                self.expected.append(float(prev.get("seconds") or 0) or None)
            except (OSError, ValueError):
                self.expected.append(None)
        self.total = len(notebooks)
        self.jobs = jobs
        self.t0 = time.monotonic()
        self.active: dict[int, tuple[NotebookRun, float]] = {}  # index -> (run, start time)
        self.finished: set[int] = set()
        self.stop = threading.Event()
        if self.enabled:
            threading.Thread(target=self.loop, daemon=True).start()

    def begin(self, index: int, run: "NotebookRun") -> None:
        with PRINT_LOCK:
            self.active[index] = (run, time.monotonic())

    def end(self, index: int) -> None:
        with PRINT_LOCK:
            self.active.pop(index, None)
            self.finished.add(index)

    def duration(self, index: int, now: float) -> float | None:
        """Expected run time of notebook ``index``: its previous one, else extrapolated from the
        cells done so far."""
        if self.expected[index]:
            return self.expected[index]
        if index in self.active:
            run, started = self.active[index]
            code = sum(1 for c in run.nb.cells if c.cell_type == "code")
            done = len([r for r in run.order if r.done])
            if done:
                return (now - started) * code / done
        return None

    def eta(self) -> float | None:
        now = time.monotonic()
        known = [e for e in self.expected if e]
        mean = sum(known) / len(known) if known else None
        left: list[float] = []
        for i in range(self.total):
            if i in self.finished:
                continue
            d = self.duration(i, now) or mean
            if d is None:
                return None
            started = self.active[i][1] if i in self.active else now
            left.append(max(d - (now - started), 0))
        if not left:
            return 0.0
        return max(sum(left) / self.jobs, max(left))

    def line(self) -> str:
        width = 24
        now = time.monotonic()
        frac = len(self.finished) / max(self.total, 1)
        names = []
        for i, (run, started) in sorted(self.active.items()):
            code = sum(1 for c in run.nb.cells if c.cell_type == "code")
            names.append(f"{run.path.stem} cell {len([r for r in run.order if r.done])}/{code}")
            if self.expected[i]:
                frac += min((now - started) / self.expected[i], 0.99) / self.total
        filled = int(frac * width)
        eta = self.eta()
        return (f"[{'#' * filled}{'.' * (width - filled)}] {len(self.finished)}/{self.total} done"
                f"{' · ' + ', '.join(names) if names else ''} · {clock(now - self.t0)} "
                f"elapsed · ETA {clock(eta) if eta is not None else '?'}")

    def loop(self) -> None:
        while not self.stop.wait(1.0):
            with PRINT_LOCK:
                sys.stderr.write("\r\033[K" + self.line())
                sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def close(self) -> None:
        self.stop.set()
        with PRINT_LOCK:
            self.clear()


def clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def default_jobs() -> int:
    """$GHOSTLAB_NOTEBOOK_JOBS, else the CPUs this process may run on."""
    env = os.environ.get("GHOSTLAB_NOTEBOOK_JOBS")
    if env:
        try:
            return int(env)
        except ValueError:
            sys.exit(f"error: GHOSTLAB_NOTEBOOK_JOBS must be a whole number >= 1, got {env!r}")
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def parse_args(argv):
    p = argparse.ArgumentParser(description="Execute Deno-kernel notebooks headlessly.")
    p.add_argument("notebooks", nargs="+", help="notebook files (.ipynb) or folders of notebooks")
    p.add_argument("--out-dir", default=str(ROOT / "build" / "notebooks"),
                   help="where executed notebooks and result files go (default build/notebooks)")
    paper = os.environ.get("GHOSTLAB_SCALE") == "paper"
    p.add_argument("--timeout", type=float,
                   default=float(os.environ.get("GHOSTLAB_CELL_TIMEOUT") or (86400 if paper else 900)),
                   help="per-cell timeout in seconds (default $GHOSTLAB_CELL_TIMEOUT, else 900 at "
                        "quick scale and 86400 at paper scale)")
    p.add_argument("--quiet", type=float, default=1.5,
                   help="seconds without messages that end the final drain (default 1.5)")
    p.add_argument("--max-drain", type=float, default=5.0,
                   help="longest wait for declared figures after the last cell (default 5)")
    p.add_argument("--startup-timeout", type=float, default=60.0,
                   help="seconds to wait for the kernel to start (default 60)")
    p.add_argument("--sync-timeout", type=float, default=30.0,
                   help="seconds to wait for the barrier after each cell (default 30)")
    p.add_argument("--kernel", default="deno", help="kernelspec name (default deno)")
    p.add_argument("--jobs", type=int, default=default_jobs(),
                   help="notebooks run side by side, each in its own kernel (default "
                        "$GHOSTLAB_NOTEBOOK_JOBS, else the number of CPUs this process may use)")
    p.add_argument("-v", "--verbose", action="store_true", help="print per-cell progress")
    p.add_argument("--inject", help="JSON file: notebook stem -> {source, overrides} of the cell "
                   "injected after its parameters cell (written by deno task reproduce --set)")
    opts = p.parse_args(argv)
    opts.injections = {}
    if opts.inject:
        try:
            opts.injections = json.loads(Path(opts.inject).read_text())
        except (OSError, ValueError) as e:
            p.error(f"--inject {opts.inject}: {e}")
    for name in ("timeout", "quiet", "startup_timeout", "sync_timeout"):
        if not getattr(opts, name) > 0:
            p.error(f"--{name.replace('_', '-')} must be > 0, got {getattr(opts, name)}")
    if opts.jobs < 1:
        p.error(f"--jobs must be >= 1, got {opts.jobs}")
    if not opts.max_drain >= 0:
        p.error(f"--max-drain must be >= 0, got {opts.max_drain}")
    return opts


def collect(paths) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.ipynb") if not q.name.startswith(".")))
        elif p.suffix == ".ipynb" and p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"not a notebook or folder: {p}")
    return out


def say(*lines: str) -> None:
    """Prints whole lines to stdout, never interleaved with another notebook's or the bar."""
    with PRINT_LOCK:
        if BAR is not None:
            BAR.clear()
        for line in lines:
            print(line, flush=True)


def run_one(index: int, path: Path, opts) -> bool:
    """Runs one notebook and prints its RUN and PASS/FAIL lines; True when it passed."""
    rel = os.path.relpath(path)
    shown = path if rel.startswith("..") else rel
    say(f"RUN  {shown}")
    try:
        nbrun = NotebookRun(path, opts)
    except ValueError as e:
        say(f"FAIL {shown}", f"  - {e}")
        if BAR is not None:
            BAR.end(index)
        return False
    if BAR is not None:
        BAR.begin(index, nbrun)
    result = nbrun.run()
    if BAR is not None:
        BAR.end(index)
    lines = [f"  warning: {w}" for w in result["warnings"]]
    info = (
        f"{result['figures']}/{result['declaredFigures']} figures, "
        f"{result['lateOutputs']} late outputs kept, {result['seconds']:.1f} s"
    )
    ok = result["status"] == "passed"
    lines.append(f"{'PASS' if ok else 'FAIL'} {shown} ({info})")
    lines.extend(f"  - {f}" for f in result["failures"])
    say(*lines)
    return ok


def main(argv=None) -> int:
    global BAR
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    setup_environment()
    try:
        notebooks = collect(opts.notebooks)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    opts.jobs = max(1, min(opts.jobs, len(notebooks)))
    BAR = ProgressBar(notebooks, Path(opts.out_dir), opts.jobs)
    if opts.jobs == 1:
        outcomes = [run_one(i, p, opts) for i, p in enumerate(notebooks)]
    else:
        # Each notebook has its own kernel process; these threads only wait on its messages.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=opts.jobs) as pool:
            outcomes = list(pool.map(lambda ip: run_one(ip[0], ip[1], opts), enumerate(notebooks)))
    BAR.close()
    BAR = None
    passed = sum(outcomes)
    print(f"notebooks: {passed} passed, {len(outcomes) - passed} failed", flush=True)
    return 0 if passed == len(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
