#!/usr/bin/env bash
# Threads on a busy machine: the README's toy cell (configs/toy.yaml) timed
# alone and beside a competing job (one busy process), with the CLI's default
# wait policy (passive: waiting threads sleep) and with OpenMP's spinning
# (OMP_WAIT_POLICY=active), at 1 thread and at all cores. Each figure is the
# median wall time of REPS runs, measured in one run of this script, so the
# ratios compare like with like on a noisy machine.
#
# usage: tools/bench-threads.sh [CLI]   (default bin/prunebench); REPS=3
set -euo pipefail
cli=${1:-bin/prunebench}
reps=${REPS:-3}
cores=$(nproc)
cfg=configs/toy.yaml
tmp=$(mktemp -d)
hog=""
cleanup() {
    [ -n "$hog" ] && kill "$hog" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

div() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }

# median wall seconds of $reps trainings of the toy cell; $1 = threads, $2 = wait policy ("" = the CLI's default)
cell() {
    local threads=$1 policy=$2 times=() t0 t1
    for ((r = 0; r < reps; r++)); do
        rm -rf "$tmp/out"
        t0=$(date +%s.%N)
        if [ -n "$policy" ]; then
            OMP_WAIT_POLICY=$policy "$cli" train "$cfg" --out "$tmp/out" --threads "$threads" >/dev/null
        else
            env -u OMP_WAIT_POLICY "$cli" train "$cfg" --out "$tmp/out" --threads "$threads" >/dev/null
        fi
        t1=$(date +%s.%N)
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{v[NR]=$1} END {printf "%.2f", v[int((NR+1)/2)]}'
}

echo "toy cell ($cfg), median of $reps runs, wall seconds; $cores cores"
printf '%-28s %10s %10s %10s\n' "" "1 thread" "$cores threads" "$cores/1"
declare -A res
for load in alone busy; do
    if [ "$load" = busy ]; then
        # a competing job: one process that keeps a core busy
        (while :; do :; done) &
        hog=$!
    fi
    for policy in default active; do
        p=""; [ "$policy" = active ] && p=active
        a=$(cell 1 "$p")
        b=$(cell "$cores" "$p")
        res[$load,$policy,1]=$a
        res[$load,$policy,n]=$b
        label="$load, $([ "$policy" = default ] && echo "passive (default)" || echo "spinning (active)")"
        printf '%-28s %10s %10s %10.2f\n' "$label" "$a" "$b" "$(div "$b" "$a")"
    done
    if [ -n "$hog" ]; then kill "$hog"; wait "$hog" 2>/dev/null || true; hog=""; fi
done
printf 'busy/alone at %s threads: passive %.2f, spinning %.2f\n' "$cores" \
    "$(div "${res[busy,default,n]}" "${res[alone,default,n]}")" \
    "$(div "${res[busy,active,n]}" "${res[alone,active,n]}")"
