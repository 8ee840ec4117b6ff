#!/usr/bin/env bash
# What one more day of data changes (README, "Drift against the last published set"): the
# shipped export without its last day (2011-12-09), then whole, published into one folder by
# each pipeline; prints each second run's manifest `drift` (and the drift stage's seconds).
#
#   benches/drift.sh [KINDRED_BIN]   (default: target/release/kindred)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/kindred}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 - "$out" <<'PY'
import gzip, sys
text = gzip.open("data/online_retail.csv.gz", "rt", encoding="utf-8", newline="").read()
day1 = [line for line in text.split("\n") if ",2011-12-09 " not in line]
open(f"{sys.argv[1]}/day1.csv", "w", encoding="utf-8", newline="").write("\n".join(day1))
open(f"{sys.argv[1]}/day2.csv", "w", encoding="utf-8", newline="").write(text)
PY
for p in article online_retail; do
    for day in day1 day2; do
        "$bin" run "pipelines/$p.toml" --input "$out/$day.csv" --output "$out/$p" --quiet
    done
    python3 -c "import json,sys; print(sys.argv[1], json.dumps(json.load(open(sys.argv[2]))['drift']))" \
        "$p" "$out/$p/manifest.json"
done
