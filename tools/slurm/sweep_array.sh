#!/usr/bin/env bash
# Runs one shard of a ghostlab sweep as one task of a Slurm job array; shard = SLURM_ARRAY_TASK_ID
# out of the array's task count. Submit from the project folder, e.g. a 4-task array at paper scale:
#
#   sbatch --array=0-3 tools/slurm/sweep_array.sh fig6b-rank --scale paper
#   sbatch --dependency=afterok:<jobid> --wrap "deno task sweep merge fig6b-rank --scale paper"
#
# Every task writes its own shard file (data/results/<name>.shard-i-of-n.jsonl, resumable: resubmit
# the same array after a timeout or preemption); `deno task sweep merge` then writes
# data/results/<name>.jsonl, byte-identical to a single-machine run. Extra arguments go to
# `deno task sweep` (--scale, --set name=value, --file, --module, --batch). Each task uses its
# --cpus-per-task cores: that many workers, or fewer for sweeps whose runs are multi-threaded
# (`threadsPerRun`, e.g. the glassy sweeps' two threads per run).
#SBATCH --job-name=ghostlab-sweep
#SBATCH --cpus-per-task=2
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  echo "sweep_array.sh: not a job-array task; submit with sbatch --array=0-(n-1) $0 <sweep> ..." >&2
  exit 2
fi
if [ "$#" -lt 1 ]; then
  echo "sweep_array.sh: which sweep? (deno task sweep list)" >&2
  exit 2
fi
min="${SLURM_ARRAY_TASK_MIN:-0}"
count="${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX + 1))}"
bad=0
[ "$min" = 0 ] || bad=1
if [ -n "${SLURM_ARRAY_TASK_MAX:-}" ] && [ "$((SLURM_ARRAY_TASK_MAX + 1))" != "$count" ]; then bad=1; fi
if [ "$bad" = 1 ]; then
  echo "sweep_array.sh: the array must be 0-(n-1) with step 1 (got min ${min}, max" \
    "${SLURM_ARRAY_TASK_MAX:-?}, count ${count})" >&2
  exit 2
fi
cd "${SLURM_SUBMIT_DIR:-.}"
if [ ! -f deno.json ] || [ ! -f tools/sweep.ts ]; then
  echo "sweep_array.sh: submit from the ghostlab project folder (no tools/sweep.ts in $PWD)" >&2
  exit 2
fi
exec deno task sweep "$@" --shard "${SLURM_ARRAY_TASK_ID}/${count}" \
  --cores "${SLURM_CPUS_PER_TASK:-1}"
