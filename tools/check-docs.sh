#!/usr/bin/env bash
# The documentation check: README.md, EXPERIMENTS.md and the other Markdown
# pages are for people who clone the repository alone.
#   - no path outside the repository (../anything) and no project-tracker talk
#     ("issue 5", "issues 2-3", "#12");
#   - every table in README.md and EXPERIMENTS.md is the verbatim content of a
#     file that a command writes, included between
#         <!-- include: results/tables/NAME.md (made by: COMMAND) -->
#         <!-- end include -->
#     so no table is typed by hand;
#   - every figure or file the pages name under results/, docs/, configs/,
#     tools/, harness/experiments/ exists.
# usage: tools/check-docs.sh [--update]   (--update rewrites the include blocks from their files)
set -euo pipefail
cd "$(dirname "$0")/.."
update=0
[ "${1:-}" = --update ] && update=1
status=0
err() { echo "check-docs: $*" >&2; status=1; }

pages=$(ls README.md EXPERIMENTS.md docs/*.md */README.md 2>/dev/null | sort -u)
for f in $pages; do
    if grep -qE '\.\./[A-Za-z]' "$f"; then
        grep -nE '\.\./[A-Za-z]' "$f" | sed "s|^|check-docs: $f:|; s|$|: a path outside the repository|" >&2
        status=1
    fi
    if grep -nE '\b[Ii]ssues? ?#?[0-9]|(^|[ (])#[0-9]+\b' "$f" >/dev/null; then
        grep -nE '\b[Ii]ssues? ?#?[0-9]|(^|[ (])#[0-9]+\b' "$f" | sed "s|^|check-docs: $f:|; s|$|: project-tracker language|" >&2
        status=1
    fi
done

for f in README.md EXPERIMENTS.md; do
    [ -f "$f" ] || continue
    if [ "$update" = 1 ]; then
        tmp=$(mktemp)
        awk -v page="$f" '
            /^<!-- include: / {
                print; path = $3; inc = 1
                while ((getline line < path) > 0) print line
                close(path); next
            }
            /^<!-- end include -->/ { inc = 0 }
            !inc { print }
        ' "$f" >"$tmp"
        cmp -s "$tmp" "$f" || { cp "$tmp" "$f"; echo "check-docs: updated the include blocks of $f"; }
        rm -f "$tmp"
    fi
    # tables outside include blocks, include blocks that differ from their files
    awk -v page="$f" '
        function fail(msg) { print "check-docs: " page ":" NR ": " msg > "/dev/stderr"; bad = 1 }
        /^<!-- include: / {
            if ($0 !~ /\(made by: .+\) -->$/) fail("an include names no command (made by: ...)")
            path = $3; inc = 1; start = NR; body = ""
            if ((getline t < path) < 0) { fail("included file " path " does not exist"); want = "" }
            else { want = t "\n"; while ((getline t < path) > 0) want = want t "\n" }
            close(path); next
        }
        /^<!-- end include -->/ {
            if (!inc) fail("end include without include")
            else if (body != want) { NR0 = NR; NR = start; fail("the block differs from " path " (tools/check-docs.sh --update)"); NR = NR0 }
            inc = 0; next
        }
        inc { body = body $0 "\n"; next }
        /^\|/ { if (!intable) fail("a table not included from a file a command writes"); intable = 1; next }
        { intable = 0 }
        END { if (inc) fail("include block not closed"); exit bad }
    ' "$f" || status=1
done

# named files exist
for f in $pages; do
    for p in $(grep -oE '(results/(figures|tables)|docs|configs|tools|harness/experiments)/[A-Za-z0-9_./-]+\.(png|svg|md|tex|yaml|sh)' "$f" | sort -u); do
        [ -e "$p" ] || err "$f names $p, which does not exist"
    done
done
[ "$status" = 0 ] && echo "check-docs: $(echo "$pages" | wc -w) pages: no outside paths, no tracker talk, every table from a file, every named file present"
exit "$status"
