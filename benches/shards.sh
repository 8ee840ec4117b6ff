#!/usr/bin/env bash
# Sharded run vs one-machine run, side by side: CPU seconds, wall seconds and peak memory of
# `kindred run` and of `kindred prepare` + each `kindred shard` + `kindred publish`, and
# whether the published tables are byte-identical.
#
#   benches/shards.sh [INPUT] [PIPELINE] [SHARDS]
#   benches/shards.sh /tmp/syn1m.parquet pipelines/article.toml 4   # after: kindred generate /tmp/syn1m.parquet 1000000 50000 20
#
# KINDRED_BIN=path uses that binary instead of building one; KEEP=1 keeps the folders.
# Defaults: the shipped export, the shipped pipeline, 4 shards. The shards run one after
# another (each on every core, as on a worker of its own), so their CPU seconds add up
# without competing. Needs GNU time (/usr/bin/time). Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
input=${1:-data/online_retail.csv.gz}
pipeline=${2:-pipelines/online_retail.toml}
shards=${3:-4}
[ -n "${KINDRED_BIN:-}" ] || cargo build --release --quiet
bin=${KINDRED_BIN:-target/release/kindred}
work=$(mktemp -d "${TMPDIR:-/tmp}/kindred-shards.XXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

# cpu-s wall-s peak-MB of one command, appended to $work/costs
measure() {
  local label=$1; shift
  /usr/bin/time -f "%U %S %e %M" -o "$work/t" "$@" --quiet
  read -r user sys wall kb < "$work/t"
  printf '%-10s cpu %8.1f s  wall %8.1f s  peak %7.0f MB\n' "$label" "$(echo "$user + $sys" | bc)" "$wall" "$(echo "$kb / 1024" | bc)" | tee -a "$work/costs"
}

measure run "$bin" run "$pipeline" --input "$input" --output "$work/one"
measure prepare "$bin" prepare "$pipeline" --input "$input" --output "$work/sharded" --shards "$shards"
for ((i = 0; i < shards; i++)); do
  KINDRED_INDEX=$i measure "shard $i" "$bin" shard "$pipeline" --output "$work/sharded"
done
measure publish "$bin" publish "$pipeline" --output "$work/sharded"

awk '{for (i = 1; i <= NF; i++) if ($i == "cpu") c = $(i + 1)}
     /^run/ {one = c} !/^run/ {split_cpu += c}
     END {printf "sharded CPU / one run CPU: %.3f (%.1f s / %.1f s)\n", split_cpu / one, split_cpu, one}' "$work/costs"
same=yes
# each run writes its own id into every footer: the data pages and the rest of the metadata compared
md5() { python3 benches/parquet_data_md5.py "$1" | cut -d' ' -f1; }
for t in recommendations neighbours item_neighbours null_audit items purchases; do
  [ "$(md5 "$work/one/$t.parquet")" = "$(md5 "$work/sharded/$t.parquet")" ] || { echo "$t.parquet differs"; same=no; }
done
echo "tables byte-identical (the run id in the footer aside): $same"
