#!/usr/bin/env bash
# Proves the README's "Quick start" on a fresh machine: builds a bare Debian 12 root with
# debootstrap, puts a clean checkout of the repository (a git clone at a ref) and ../shared into
# it, and runs exactly the two commands of the README's Quick start code block in a chroot, timing
# each. Needs root, debootstrap and network access to deb.debian.org and the npm registry.
#
#   sudo bash tools/fresh_machine_test.sh [--repo PATH] [--ref REF] [--shared PATH] [--dir DIR]
#                                         [--install-only] [--commands N | --command K] [--keep]
#
#   --repo PATH     git repository to test (default: this one)
#   --ref REF       commit, branch or tag (default HEAD), cloned; uncommitted changes are not included
#   --shared PATH   folder copied to ../shared beside the checkout (default: <repo>/../shared)
#   --dir DIR       work folder (default /var/tmp/ghostlab-fresh); the root is DIR/root
#   --install-only  run only the install step of both commands (tools/install.sh with each
#                   command's profile), then again to check that it is a no-op
#   --commands N    run only the first N of the two commands (default 2)
#   --command K     run only the K-th command (1 or 2)
#   --keep          keep DIR/root afterwards (default: removed)
#
# Logs: DIR/logs/<n>.log; timings: DIR/logs/times.txt and the last lines printed.
# This machine's CA certificates are copied in (the registries are reached through them here) and
# npm, Node and Deno are pointed at them; nothing else of the host is used.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$here"
ref=HEAD
shared=""
dir=/var/tmp/ghostlab-fresh
install_only=0
keep=0
only=2
pick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo="$(cd "$2" && pwd)"; shift 2 ;;
    --ref) ref="$2"; shift 2 ;;
    --shared) shared="$(cd "$2" && pwd)"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --install-only) install_only=1; shift ;;
    --keep) keep=1; shift ;;
    --commands) only="$2"; shift 2 ;;
    --command) pick="$2"; shift 2 ;;
    *) echo "fresh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$shared" ] || shared="$(cd "$repo/.." && pwd)/shared"
[ "$(id -u)" = 0 ] || { echo "fresh: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || {
  echo "fresh: debootstrap is missing: apt-get install -y debootstrap" >&2
  exit 2
}
git -C "$repo" rev-parse --verify "$ref^{commit}" >/dev/null

root="$dir/root"
logs="$dir/logs"
mkdir -p "$dir" "$logs"
: >"$logs/times.txt"
mounts=()
cleanup() {
  local m
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -R -l "${mounts[i]}" 2>/dev/null || true; done
  if [ "$keep" = 0 ] && [ -d "$root" ]; then rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT

# The README's Quick start: the first ```sh block after the "## Quick start" heading, comments off.
mapfile -t commands < <(git -C "$repo" show "$ref:README.md" | awk '
  /^## Quick start/ { inside = 1; next }
  inside && /^```/ { if (block) exit; block = 1; next }
  block { sub(/[ \t]+#.*$/, ""); if ($0 !~ /^[ \t]*(#|$)/) print }')
if [ "${#commands[@]}" != 2 ]; then
  echo "fresh: the README's Quick start block has ${#commands[@]} commands, expected 2" >&2
  exit 1
fi

if [ "$pick" != 0 ]; then
  [ "$pick" = 1 ] || [ "$pick" = 2 ] || { echo "fresh: --command must be 1 or 2" >&2; exit 2; }
  commands=("${commands[$((pick - 1))]}")
else
  commands=("${commands[@]:0:$only}")
fi

stamp() { date +%s; }
t0=$(stamp)
if [ -d "$root" ]; then rm -rf --one-file-system "$root"; fi
echo "fresh: debootstrap --variant=minbase bookworm $root"
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$logs/debootstrap.log" 2>&1 || {
  tail -n 20 "$logs/debootstrap.log"
  exit 1
}
echo "debootstrap $(($(stamp) - t0)) s" | tee -a "$logs/times.txt"

# CA certificates of this machine, and npm/Node/Deno pointed at them.
mkdir -p "$root/usr/local/share/ca-certificates" "$root/etc/ssl/certs"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/host-ca.crt"
printf 'cafile=/etc/ssl/host-ca.crt\n' >"$root/root/.npmrc"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# A clean checkout of the ref (a git clone, as a user's), and ../shared beside it. The clone is
# made with this machine's git; inside the root git is installed only by the commands under test.
git clone --quiet --no-hardlinks --no-checkout "$repo" "$root/root/ghostlab"
git -C "$root/root/ghostlab" checkout --quiet --detach "$(git -C "$repo" rev-parse "$ref^{commit}")"
if [ -d "$shared" ]; then cp -a "$shared" "$root/root/shared"; fi

for m in proc sys dev dev/pts; do
  mkdir -p "$root/$m"
  case "$m" in
    proc) mount -t proc proc "$root/proc" ;;
    # the host's /sys with its submounts: a real machine has /sys/fs/cgroup, which slurmd needs
    sys) mount --rbind /sys "$root/sys" ;;
    dev) mount --bind /dev "$root/dev" ;;
    dev/pts) mount -t devpts devpts "$root/dev/pts" ;;
  esac
  mounts+=("$root/$m")
done
mkdir -p "$root/dev/shm"

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt DENO_CERT=/etc/ssl/host-ca.crt \
    SSL_CERT_FILE=/etc/ssl/host-ca.crt \
    /bin/bash -c "cd /root/ghostlab && $1"
}

if [ "$install_only" = 1 ]; then
  mapfile -t commands < <(printf '%s\n' "${commands[@]}" |
    sed -E 's#^bash tools/run.sh ([a-z]+).*#bash tools/install.sh \1#')
  commands+=("${commands[@]}") # the second round must be a no-op
fi

status=0
n=0
for cmd in "${commands[@]}"; do
  n=$((n + 1))
  echo "fresh: [$n] $cmd (log: $logs/$n.log)"
  t=$(stamp)
  set +e
  in_root "$cmd" 2>&1 | tee "$logs/$n.log" | grep -E '^(install:|PASS|FAIL|notebooks:|report:|ok \||FAILED|tests:)' 
  rc=${PIPESTATUS[0]}
  set -e
  echo "[$n] $cmd: exit $rc, $(($(stamp) - t)) s" | tee -a "$logs/times.txt"
  [ "$rc" = 0 ] || status=1
done
echo "fresh: total $(($(stamp) - t0)) s; times in $logs/times.txt"
exit "$status"
