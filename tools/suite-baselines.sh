#!/bin/sh
# Dense fine-tuning baselines of the embedded default: every suite task from
# the pretrained BERT-tiny (cache/model/bert-tiny, `make pretrain`), SEEDS seeds
# each, plus one GMP-to-90% cell per task for timing. Prints a Markdown table
# (mean and sample standard deviation over seeds, wall time per cell) and
# leaves every cell's model.h5 / result.h5 under OUT.
#   tools/suite-baselines.sh [OUT]     (env: SEEDS, EPOCHS, LR, BATCH, THREADS, TASKS)
set -eu
OUT=${1:-cache/baselines}
SEEDS=${SEEDS:-"1 2 3"}
EPOCHS=${EPOCHS:-3}
LR=${LR:-1e-3}
BATCH=${BATCH:-32}
THREADS=${THREADS:-2}
TASKS=${TASKS:-"spam wn-pair wn-span wn-choice wn-blank"}
MODEL=${MODEL:-cache/model/bert-tiny}
CLI=${CLI:-bin/prunebench}
[ -f "$MODEL/model.safetensors" ] || { echo "suite-baselines: no $MODEL; run make pretrain" >&2; exit 1; }
mkdir -p "$OUT"

# run TASK NAME SEED PRUNE: one cell; appends "task kind seed seconds metric=value..." to $OUT/cells.txt
run() {
    dir="$OUT/$1-$2-s$3"
    yaml="$dir.yaml"
    {
        echo "model: {checkpoint: \"$MODEL\"}"
        echo "task: $1"
        echo "seed: $3"
        echo "threads: $THREADS"
        echo "train: {epochs: $EPOCHS, batch_size: $BATCH, lr: $LR, lr_final: 0.0, weight_decay: 0.01, warmup_fraction: 0.1}"
        [ -n "$4" ] && echo "$4"
    } > "$yaml"
    line=$("$CLI" train "$yaml" --out "$dir")
    # "train: Y, N steps in S s, name value, ... -> DIR"
    secs=$(echo "$line" | sed -n 's/.* steps in \([0-9.]*\) s.*/\1/p')
    mets=$(echo "$line" | sed 's/^[^,]*, [^,]*, //; s/ -> .*//; s/, /;/g; s/ /=/g')
    echo "$1 $2 $3 $secs $mets" >> "$OUT/cells.txt"
    echo "$1 $2 seed $3: $secs s, $mets" >&2
}

GMP='prune: {method: magnitude, scope: global, groups: [encoder], schedule: {kind: cubic, init_sparsity: 0.5, final_sparsity: 0.9, start_epoch: 0.5, end_epoch: 2.0, update_every_epochs: 0.25}}'
: > "$OUT/cells.txt"
for t in $TASKS; do
    for s in $SEEDS; do run "$t" dense "$s" ""; done
    run "$t" gmp90 1 "$GMP"
done

# mean and sample standard deviation of the dense seeds' first metric
awk '
{ split($5, kv, ";"); split(kv[1], m, "="); key = $1 SUBSEP $2
  n[key]++; s[key] += m[2]; ss[key] += m[2] * m[2]; name[$1] = m[1]; t[key] += $4; if (!($1 in seen)) { order[++k] = $1; seen[$1] = 1 } }
END {
  print "| task | metric | dense mean | spread (sd) | seeds | dense s/cell | GMP-90% | GMP s/cell |"
  print "|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= k; i++) {
    tk = order[i]; d = tk SUBSEP "dense"; g = tk SUBSEP "gmp90"
    mean = s[d] / n[d]; var = n[d] > 1 ? (ss[d] - n[d] * mean * mean) / (n[d] - 1) : 0; if (var < 0) var = 0
    printf "| %s | %s | %.2f | %.2f | %d | %.1f | %.2f | %.1f |\n", tk, name[tk], mean, sqrt(var), n[d], t[d] / n[d], s[g] / n[g], t[g] / n[g]
  }
}' "$OUT/cells.txt"
