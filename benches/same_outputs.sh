#!/usr/bin/env bash
# Do two kindred binaries publish the same tables? Runs the article pipeline, the shipped
# default and (if given) an .xlsx export with each, then compares every published Parquet
# file byte for byte (md5; the run id in each footer aside: benches/parquet_data_md5.py) and the
# evaluation at one cutoff. A refactor must print SAME only. Timings and the machine's free
# memory are not outputs: the selection's candidates are compared through the manifest's
# `selection` and the evaluation's JSON with every `seconds` and the `memory_budget` left out
# (the candidates it ruled out are still compared, in `skipped`) (selection.parquet differs between any two runs by its
# `seconds` column alone, so its bytes are not compared).
#
#   benches/same_outputs.sh OLD_BIN NEW_BIN [EXPORT.xlsx]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# a JSON file's `selection` (a manifest) or whole object, without timings and memory budget
without_seconds='
import json, sys
def drop(v):
    if isinstance(v, dict):
        return {k: drop(x) for k, x in v.items() if k not in ("seconds", "memory_budget")}
    return [drop(x) for x in v] if isinstance(v, list) else v
d = json.load(open(sys.argv[1]))
print(json.dumps(drop(d.get("selection", d) if sys.argv[1].endswith("manifest.json") else d), sort_keys=True))'
for side in old new; do
    bin=$1; [ "$side" = new ] && bin=$2
    "$bin" run pipelines/article.toml --output "$out/$side/article" --quiet
    "$bin" run pipelines/online_retail.toml --output "$out/$side/default" --quiet
    if [ -n "${3:-}" ]; then
        "$bin" run pipelines/article.toml --input "$3" --output "$out/$side/xlsx" --quiet
    fi
    for p in article online_retail; do
        "$bin" evaluate "pipelines/$p.toml" --cutoff 2011-09-01 --json --output "$out/$side/eval-$p" > "$out/$side/eval-$p.json"
    done
    (
        cd "$out/$side"
        python3 "$repo/benches/parquet_data_md5.py" $(ls ./*/current/*.parquet | grep -v /selection.parquet)
        for f in eval-*.json default/manifest.json; do
            python3 -c "$without_seconds" "$f" | md5sum | sed "s|-|$f (timings left out)|"
        done
    ) > "$out/$side.md5"
done
if diff "$out/old.md5" "$out/new.md5"; then
    echo "SAME: $(wc -l < "$out/new.md5") files"
else
    echo "DIFFERENT (lines above)"; exit 1
fi
