#!/usr/bin/env bash
# Do two kindred binaries publish the same tables? Runs the article pipeline, the shipped
# default and (if given) an .xlsx export with each, then compares every published Parquet
# file byte for byte (md5; the run id in each footer aside: benches/parquet_data_md5.py) and the
# evaluation at one cutoff. A refactor must print SAME only.
#
#   benches/same_outputs.sh OLD_BIN NEW_BIN [EXPORT.xlsx]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
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
    (cd "$out/$side" && python3 "$repo/benches/parquet_data_md5.py" ./*/current/*.parquet && md5sum eval-*.json) > "$out/$side.md5"
done
if diff "$out/old.md5" "$out/new.md5"; then
    echo "SAME: $(wc -l < "$out/new.md5") files"
else
    echo "DIFFERENT (lines above)"; exit 1
fi
