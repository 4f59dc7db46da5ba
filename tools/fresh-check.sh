#!/usr/bin/env bash
# The fresh-machine check: the README's test command in a clean Debian 12 root.
#
# Builds (once, cached outside the clone) a Debian 12 root with mmdebstrap that
# holds only what a new machine has: build-essential, git, ca-certificates,
# pkg-config, python3, nodejs and npm. Each run unpacks it into a temporary
# folder, clones HEAD of this repository into it and runs `make test` there as
# root, so every package the tests need must be installed by the project's own
# Makefile. Downloaded .deb files are cached between runs (only the download is
# saved; every run installs them anew).
#
# usage: tools/fresh-check.sh [--rebuild] [--keep] [--shell]
#   --rebuild  build the cached root image again
#   --keep     keep the unpacked root afterwards (its path is printed)
#   --shell    after the test command, open a shell in the root
# environment:
#   PB_FRESH_CACHE    where the image and the .deb cache live (default /var/cache/prunebench-fresh)
#   PB_FRESH_SOURCES  a deb822 .sources file to build from (default: this machine's Debian entries)
#   PB_FRESH_COMMAND  the command to run in the clone (default: the README's `make test`)
# Needs root (chroot, mounts); installs mmdebstrap with apt-get when missing.
set -euo pipefail

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
cache=${PB_FRESH_CACHE:-/var/cache/prunebench-fresh}
command=${PB_FRESH_COMMAND:-make test}
rebuild=0 keep=0 shell=0
for a in "$@"; do
    case $a in
    --rebuild) rebuild=1 ;;
    --keep) keep=1 ;;
    --shell) shell=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-check: unknown argument '$a' (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "fresh-check: needs root (chroot and bind mounts)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || {
    echo "fresh-check: installing mmdebstrap"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap
}
t0=$(date +%s)
mkdir -p "$cache/archives"

# The apt sources of this machine that serve Debian itself (signed by the
# Debian archive keyring); other repositories configured here (vendor tools,
# Node.js builds) are not part of a fresh Debian machine.
sources=$(mktemp --suffix=.sources)
work=""
cleanup() {
    rm -f "$sources"
    if [ -n "$work" ] && [ "$keep" = 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
if [ -n "${PB_FRESH_SOURCES:-}" ]; then
    cp "$PB_FRESH_SOURCES" "$sources"
else
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # one deb822 stanza per paragraph; keep those signed by the Debian keyring
        awk -v RS= -v ORS='\n\n' '/Signed-By: *\/usr\/share\/keyrings\/debian-archive-keyring/' "$f" >>"$sources"
    done
    if [ ! -s "$sources" ] && [ -f /etc/apt/sources.list ]; then
        grep -E '^deb .*/debian(-security)?/? ' /etc/apt/sources.list >"$sources.list" || true
        [ -s "$sources.list" ] && { mv "$sources.list" "$sources"; }
    fi
fi
[ -s "$sources" ] || { echo "fresh-check: no Debian apt source found on this machine; set PB_FRESH_SOURCES" >&2; exit 1; }

# The image: keyed by its package list and sources, so a change builds a new one.
include=build-essential,git,ca-certificates,pkg-config,python3,nodejs,npm
key=$( (echo "$include"; cat "$sources") | sha256sum | cut -c1-16)
image=$cache/debian12-$key.tar
if [ "$rebuild" = 1 ] || [ ! -s "$image" ]; then
    echo "fresh-check: building the Debian 12 root $image (mmdebstrap, a few minutes)"
    tmp=$cache/debian12-$key.partial.tar # the suffix tells mmdebstrap to write a tarball
    rm -rf "$tmp"
    mmdebstrap --variant=apt --include="$include" --skip=cleanup/apt/lists \
        bookworm "$tmp" "$sources" >"$cache/mmdebstrap.log" 2>&1 ||
        { tail -20 "$cache/mmdebstrap.log" >&2; echo "fresh-check: mmdebstrap failed (log $cache/mmdebstrap.log)" >&2; exit 1; }
    mv "$tmp" "$image"
fi

work=$(mktemp -d /var/tmp/prunebench-fresh.XXXXXX)
root=$work/root
mkdir "$root"
tar -xf "$image" -C "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
head=$(git -C "$repo" rev-parse HEAD)
git -C "$repo" diff --quiet HEAD 2>/dev/null || echo "fresh-check: note: uncommitted changes are not tested; HEAD is $head"
git clone -q --no-local "$repo" "$root/src/prunebench"
git -C "$root/src/prunebench" checkout -q "$head"
t1=$(date +%s)
echo "fresh-check: root ready in $((t1 - t0)) s; running '$command' in a clone of ${head:0:12}"

# A private mount namespace: the bind mounts vanish with it, whatever happens.
status=0
unshare --mount --propagation private bash -c '
    set -e
    root=$1 cache=$2 command=$3 shell=$4
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs tmpfs "$root/tmp"
    mkdir -p "$root/var/cache/apt/archives"
    mount --bind "$cache/archives" "$root/var/cache/apt/archives"
    rc=0
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI="${CI:-}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash -c "cd /src/prunebench && $command" || rc=$?
    if [ "$shell" = 1 ]; then chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-xterm}" bash -l || true; fi
    exit $rc
' fresh-check "$root" "$cache" "$command" "$shell" || status=$?
t2=$(date +%s)
[ "$keep" = 1 ] && echo "fresh-check: root kept at $root"
if [ "$status" = 0 ]; then
    echo "fresh-check: passed in $((t2 - t0)) s ('$command' took $((t2 - t1)) s)"
else
    echo "fresh-check: FAILED (exit $status) after $((t2 - t0)) s: '$command' in a fresh Debian 12 root" >&2
fi
exit "$status"
