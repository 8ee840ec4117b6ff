#!/usr/bin/env bash
# Shapes that cost more (README, Performance): an item in nearly every basket among one- to
# three-item baskets (postage, a carrier bag), through the article pipeline and the shipped
# default, with and without that item; one binary or two side by side (old, new), in one run.
#
#   benches/shapes.sh [CUSTOMERS] [BIN ...]     # default 150000, target/release/kindred
#
# Prints each run's wall seconds, peak RSS and the stages over half a second; the user
# kernel's pruning figures (`exact`: cosines computed) from the manifest.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
n=${1:-150000}
shift || true
bins=("${@:-$repo/target/release/kindred}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v n="$n" 'BEGIN{srand(11); print "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID";
  for(c=0;c<n;c++){ k=0; r=rand(); if(r>0.37)k=1; if(r>0.74)k=2; if(r>0.92)k=3;
    for(j=0;j<k;j++) printf "%d,P%05d,X,1,2011-0%d-1%d 10:00:00,%d\n", c, int(20000*rand()^3), 1+c%9, c%10, 10000+c;
    if(rand()<0.98) printf "%d,POST,POSTAGE,1,2011-0%d-1%d 10:00:00,%d\n", c, 1+c%9, c%10, 10000+c } }' > "$work/post.csv"
grep -v ',POST,' "$work/post.csv" > "$work/nopost.csv"
for data in nopost post; do
  for pipeline in article online_retail; do
    sed "s#^path = .*#path = \"$work/$data.csv\"#; s#^dir = .*#dir = \"$work/out\"#" \
      "pipelines/$pipeline.toml" > "$work/p.toml"
    for bin in "${bins[@]}"; do
      rm -rf "$work/out"
      /usr/bin/time -f "$data $pipeline $(basename "$bin"): %e s wall, %M KB peak" "$bin" run "$work/p.toml" --quiet
      python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print("  ", [(s["name"], round(s["seconds"], 2)) for s in m["stages"] if s["seconds"] > 0.5],
      (m["reports"].get("similarity") or {}).get("pruning") or (m["reports"].get("customer_neighbours") or {}).get("pruning"))' \
        "$work/out/current/manifest.json"
    done
  done
done
