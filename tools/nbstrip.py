#!/usr/bin/env python3
"""Git clean filter for ghostlab's notebooks (nbstripout-style), standard library only.

Reads a notebook on stdin and writes it to stdout without what running it adds: code-cell
outputs and execution counts, the cell metadata the UI writes (``execution``, ``collapsed``,
``scrolled``, ``ExecuteTime``), the notebook's ``signature`` and ``widgets`` metadata. A notebook
that carries none of these passes through byte for byte, so the filter never reformats a clean
file; a stripped one is written the way Jupyter writes notebooks (indent 1, sorted keys, UTF-8).
Input that is not notebook JSON passes through unchanged (git must never lose a file).

Configured by ``tools/install.sh`` (``git config filter.ghostlab-nbstrip.clean``) for the paths
``.gitattributes`` names. Also usable by hand: ``/usr/bin/python3 tools/nbstrip.py < a > b``.
"""

from __future__ import annotations

import json
import sys

CELL_KEYS = ("execution", "collapsed", "scrolled", "ExecuteTime")
NOTEBOOK_KEYS = ("signature", "widgets")


def strip(nb: dict) -> bool:
    """Strips `nb` in place; True when anything was removed."""
    changed = False
    for key in NOTEBOOK_KEYS:
        if key in nb.get("metadata", {}):
            del nb["metadata"][key]
            changed = True
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in CELL_KEYS:
            if key in meta:
                del meta[key]
                changed = True
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            cell["outputs"] = []
            changed = True
        if cell.get("execution_count") is not None:
            cell["execution_count"] = None
            changed = True
    return changed


def main() -> int:
    raw = sys.stdin.buffer.read()
    try:
        nb = json.loads(raw.decode("utf-8"))
        if not isinstance(nb, dict) or "cells" not in nb:
            raise ValueError("not a notebook")
    except ValueError:
        sys.stdout.buffer.write(raw)
        return 0
    if not strip(nb):
        sys.stdout.buffer.write(raw)
        return 0
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
