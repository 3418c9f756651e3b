#!/usr/bin/env bash
# ghostlab's one list of prerequisites and the one script that installs them.
#
#   bash tools/install.sh [PROFILE ...]     PROFILE: reproduce (default), notebook, test, bench
#
# Installs only what is missing (Debian/Ubuntu, as root or through sudo), says what it installs,
# and prints a single "all present" line when nothing is missing. Used by tools/run.sh (the
# README's two commands) and by .ci/run. Profiles:
#   reproduce  Deno (pinned), the Jupyter packages for headless runs and the HTML report, the npm
#              dependencies (deno install), the git filter that strips notebook outputs
#   notebook   + the classic Notebook UI (jupyter-notebook)
#   test       + the UI, Chromium (report and UI checks in a browser), Slurm (sweep tests)
#   bench      + numpy with OpenBLAS and PyTorch (side-by-side benchmarks)
# Environment: GHOSTLAB_NO_INSTALL=1 only reports what is missing (exit 1 if anything is).
set -euo pipefail

GHOSTLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO_VERSION=2.9.5
PY=/usr/bin/python3

# One line per prerequisite: profile | Debian package(s) | shell test that succeeds when present.
# Capability tests (an import, a binary) rather than dpkg, so that a pip or manual install counts.
PREREQS=(
  "reproduce|jupyter-client python3-nbclient|$PY -c 'import nbformat, nbclient, jupyter_client'"
  "reproduce|jupyter-nbconvert|$PY -c 'import nbconvert'"
  "notebook|jupyter-notebook|$PY -c 'import notebook.notebookapp'"
  "test|git|command -v git"
  "test|chromium|test -x /usr/bin/chromium"
  "test|slurm-wlm munge|command -v sbatch && command -v munged"
  "bench|python3-numpy|$PY -c 'import numpy'"
  "bench|libopenblas0-pthread|test -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 || dpkg-query -W -f='\${Status}' libopenblas0-pthread | grep -q 'ok installed'"
  "bench|python3-torch|$PY -c 'import torch'"
)

say() { echo "install: $*"; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    SUDO="__none__"
  fi
fi

apt_updated=0
apt_install() {
  if [ "${GHOSTLAB_NO_INSTALL:-}" = 1 ]; then
    say "missing (not installed: GHOSTLAB_NO_INSTALL=1): $*"
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing: $* — this is not a Debian/Ubuntu system; install the equivalents by hand" >&2
    return 1
  fi
  if [ "$SUDO" = "__none__" ]; then
    say "missing: $* — run as root or install sudo (apt-get install $*)" >&2
    return 1
  fi
  say "installing (apt): $*"
  if [ "$apt_updated" = 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" \
    >/dev/null
}

# True when $1 is one of the requested profiles, counting inclusion (test ⊃ notebook ⊃ reproduce).
wanted() {
  local p
  for p in "${PROFILES[@]}"; do
    case "$1:$p" in
      reproduce:*) return 0 ;;
      notebook:notebook | notebook:test) return 0 ;;
      test:test) return 0 ;;
      bench:bench) return 0 ;;
    esac
  done
  return 1
}

PROFILES=("$@")
[ "${#PROFILES[@]}" -gt 0 ] || PROFILES=(reproduce)
for p in "${PROFILES[@]}"; do
  case "$p" in
    reproduce | notebook | test | bench) ;;
    *)
      echo "install: unknown profile '$p' (valid: reproduce, notebook, test, bench)" >&2
      exit 2
      ;;
  esac
done

did=0
missing=0
# The registries need CA certificates (a minimal Debian has none).
if [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then
  apt_install ca-certificates || missing=1
  did=1
fi

# Deno, pinned, from npm (the npm registry has the Linux packages of 2.9.5).
if ! deno --version 2>/dev/null | head -n 1 | grep -q "^deno ${DENO_VERSION} "; then
  did=1
  if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm || missing=1; fi
  if command -v npm >/dev/null 2>&1 && [ "${GHOSTLAB_NO_INSTALL:-}" != 1 ]; then
    say "installing (npm): deno@${DENO_VERSION}"
    if [ "$SUDO" = "__none__" ]; then npm install -g --silent "deno@${DENO_VERSION}"; else
      $SUDO npm install -g --silent "deno@${DENO_VERSION}"
    fi
    hash -r
  else
    say "missing: deno ${DENO_VERSION} (npm install -g deno@${DENO_VERSION})"
    missing=1
  fi
fi

# The apt packages of the requested profiles, in one apt-get call.
want=()
for line in "${PREREQS[@]}"; do
  IFS='|' read -r profile names check <<<"$line"
  wanted "$profile" || continue
  if ! bash -c "$check" >/dev/null 2>&1; then
    read -r -a more <<<"$names"
    want+=("${more[@]}")
  fi
done
if [ "${#want[@]}" -gt 0 ]; then
  did=1
  apt_install "${want[@]}" || missing=1
fi

# The npm dependencies from deno.lock into node_modules/ (offline afterwards; a no-op when current).
if command -v deno >/dev/null 2>&1 && [ "${GHOSTLAB_NO_INSTALL:-}" != 1 ]; then
  before="$(ls "$GHOSTLAB_ROOT/node_modules/.deno" 2>/dev/null || true)"
  (cd "$GHOSTLAB_ROOT" && deno install --frozen --quiet) || missing=1
  if [ "$(ls "$GHOSTLAB_ROOT/node_modules/.deno" 2>/dev/null || true)" != "$before" ]; then
    say "installed (deno install): the npm dependencies of deno.lock into node_modules/"
    did=1
  fi
fi

# Notebook outputs never reach git: a clean filter strips them (.gitattributes names it).
if command -v git >/dev/null 2>&1 && git -C "$GHOSTLAB_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  want_filter="$PY tools/nbstrip.py"
  if [ "$(git -C "$GHOSTLAB_ROOT" config --get filter.ghostlab-nbstrip.clean || true)" != "$want_filter" ]; then
    if [ "${GHOSTLAB_NO_INSTALL:-}" = 1 ]; then
      say "missing (not configured: GHOSTLAB_NO_INSTALL=1): git filter.ghostlab-nbstrip"
      missing=1
    else
      say "configuring git: filter.ghostlab-nbstrip (strips notebook outputs when staging)"
      git -C "$GHOSTLAB_ROOT" config filter.ghostlab-nbstrip.clean "$want_filter"
      git -C "$GHOSTLAB_ROOT" config filter.ghostlab-nbstrip.smudge cat
    fi
    did=1
  fi
fi

if [ "$missing" != 0 ]; then
  say "some prerequisites are missing (see above)" >&2
  exit 1
fi
[ "$did" = 1 ] || say "all prerequisites present (${PROFILES[*]})"
