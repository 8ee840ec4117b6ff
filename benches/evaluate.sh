#!/usr/bin/env bash
# NDCG / precision / coverage @10 of kindred's models at every monthly cutoff of 2011 (the
# README's Evaluation table). Usage: benches/evaluate.sh [CUTOFF ...]
# The reference models (SAR, ALS, …) come from benches/reference_models/refs.py.
#
# benches/evaluate.sh margins [CUTOFF ...]: the README's Model selection table — the shipped
# default (kind = "auto") against the best reference at ten monthly cutoffs, with the model it
# chose and the paired-bootstrap 95% range of each margin (benches/reference_models/margins.py;
# needs `pip install numpy scipy pandas pyarrow implicit` in $PYTHON, default ~/.venvs/bench).
#
# benches/evaluate.sh shops SHOP.parquet [--test-days N] CUTOFF ...: the same against the best
# reference on another shop's export (README, "Model selection"; benches/reference_models/
# shops_data.py fetches and converts the groceries and Online Retail II exports).
#
# KINDRED_BIN=path: that binary instead of this checkout's release build (built here, into
# $CARGO_TARGET_DIR when set, else target/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${KINDRED_BIN:-}" ]; then
  bin=$KINDRED_BIN
else
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/kindred
fi
bin=$(realpath "$bin") # the reference scripts run from their own folder
if [ "${1:-}" = margins ] || [ "${1:-}" = shops ]; then
  script=$1.py
  shift
  [ "$script" = shops.py ] && [ $# -gt 0 ] && set -- "$(realpath "$1")" "${@:2}"
  cd benches/reference_models
  exec "${PYTHON:-$HOME/.venvs/bench/bin/python}" "$script" "$bin" "$@"
fi
cutoffs=("$@")
[ ${#cutoffs[@]} -gt 0 ] || cutoffs=(2011-05-09 2011-06-09 2011-07-09 2011-08-09 2011-09-09 2011-10-09 2011-11-09)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | [model] and [recommend] keys added to the article's pipeline
variants=(
  "EASE λ 350 + description 0.25 + prior (the 0.2.0 default; auto's richest candidate)|kind = \"ease\"
ease_lambda = 350
similarity_half_life_days = 90
description_weight = 0.25
[recommend]
popularity_exponent = -0.1
last_sale_exponent = -0.25
exposure_exponent = -0.5
opportunity_exponent = -0.25"
  "user-kNN 10 (article.toml)|"
  "user-kNN 50|neighbours = 50
[recommend]
from_neighbours = 50"
  "user-kNN 50, recency 30 d|neighbours = 50
recency_half_life_days = 30
[recommend]
from_neighbours = 50"
  "item-kNN, 20 per item|kind = \"item\""
  "EASE λ 300|kind = \"ease\"
ease_lambda = 300"
  "EASE λ 800, half-life 90 d, γ −0.4 (the previous default)|kind = \"ease\"
ease_lambda = 800
similarity_half_life_days = 90
[recommend]
popularity_exponent = -0.4"
  "default without the description blend|kind = \"ease\"
ease_lambda = 350
similarity_half_life_days = 90
[recommend]
popularity_exponent = -0.1
last_sale_exponent = -0.25
exposure_exponent = -0.5
opportunity_exponent = -0.25"
  "default without the exposure prior|kind = \"ease\"
ease_lambda = 350
similarity_half_life_days = 90
description_weight = 0.25
[recommend]
popularity_exponent = -0.1"
)
pipeline() { # $1 = extra keys → a pipeline file on the shipped export
  printf '[input]\npath = "%s"\n[output]\ndir = "%s"\n[model]\n%s\n' "$PWD/data/online_retail.csv.gz" "$tmp/out" "$1" > "$tmp/p.toml"
  echo "$tmp/p.toml"
}
row() { # $1 = label, $2 = pipeline, $3 = which entry of the JSON
  local line="| $1 |"
  for c in "${cutoffs[@]}"; do
    line+=" $("$bin" evaluate "$2" --cutoff "$c" --json --output "$tmp/out" | python3 -c "
import json, sys; m = json.load(sys.stdin)['$3']; print(f\"{m['ndcg']:.4f} / {m['precision']:.4f} / {m['coverage']:.3f}\")") |"
  done
  echo "$line"
}
header="| model |"; rule="|---|"
for c in "${cutoffs[@]}"; do header+=" $c |"; rule+="---|"; done
echo "$header"; echo "$rule"
row "**default: pipelines/online_retail.toml (auto)**" pipelines/online_retail.toml model
row "popularity" pipelines/online_retail.toml popularity
row "article rule (1 neighbour)" pipelines/online_retail.toml article_rule
for v in "${variants[@]}"; do
  row "${v%%|*}" "$(pipeline "${v#*|}")" model
done
