#!/usr/bin/env bash
# The README's two commands: installs whatever is missing (tools/install.sh), then runs the job.
#
#   bash tools/run.sh reproduce [ARGS]   every notebook at quick scale, then the HTML report
#   bash tools/run.sh test [ARGS]        the test suite (deno task test)
#   bash tools/run.sh notebook [ARGS]    the classic Notebook UI (deno task notebook)
#   bash tools/run.sh bench [ARGS]       the benchmarks (deno task bench)
#
# ARGS go to the deno task, e.g. `bash tools/run.sh reproduce --set 01-ghost-points:nR=9`.
set -euo pipefail
cd "$(dirname "$0")/.."
job="${1:-}"
case "$job" in
  reproduce | test | notebook | bench) shift ;;
  *)
    echo "usage: bash tools/run.sh reproduce|test|notebook|bench [ARGS]" >&2
    exit 2
    ;;
esac
bash tools/install.sh "$job"
# The chorale data may sit beside the project (developers, CI); else the loader downloads it.
if [ -z "${GHOSTLAB_JSB_PATH:-}" ] && [ -f ../shared/data/jsb-chorales-quarter.json ]; then
  GHOSTLAB_JSB_PATH="$(cd ../shared/data && pwd)/jsb-chorales-quarter.json"
  export GHOSTLAB_JSB_PATH
fi
export NO_COLOR=1
exec deno task "$job" "$@"
