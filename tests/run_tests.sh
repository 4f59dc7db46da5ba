#!/usr/bin/env bash
# Runs each cmocka test binary and ends with one summary line over all tests:
# "N passed, M failed". A binary that crashes counts as one failure.
set -u
pass=0; fail=0; failed=""
for t in "$@"; do
    echo "== $t"
    out=$(mktemp)
    "$t" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
    rm -f "$out"
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    pass=$((pass + p)); fail=$((fail + f))
    [ "$rc" -eq 0 ] || failed="$failed $t"
done
echo
[ -z "$failed" ] || echo "failed:$failed"
echo "$pass passed, $fail failed"
[ -z "$failed" ]
