#!/usr/bin/env bash
# Side-by-side benchmarks on this machine, in one run (it is shared and noisy): kindred against
# ING's sparse_dot_topn (the best-known exact top-N kernel) and the article's pandas pipeline.
#
# usage: benches/run.sh [real|xlsx|syn-200k|syn-1m|all]      (default: real syn-200k)
#   real      whole pipeline on data/online_retail.csv.gz vs article_pandas.py (the article's code as
#             published, and a vectorised rewrite); anchor kernel
#   xlsx      whole pipeline from the Online Retail .xlsx (KINDRED_XLSX=path) vs pandas read_excel
#   syn-200k  similarity stage on gen_synthetic.py 200000 20000 25 vs anchor_topn.py (2 threads)
#   syn-1m    kindred bench 1000000 50000 20 (the anchor would take ~45 min: not run)
# needs: cargo build --release; for the Python side a virtualenv outside the repo:
#   python3 -m venv ~/.venvs/bench && ~/.venvs/bench/bin/pip install polars numpy scipy \
#       scikit-learn sparse_dot_topn pandas openpyxl pyarrow
# KINDRED_BENCH_KIT = folder with gen_synthetic.py and anchor_topn.py (the benchmark kit).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${KINDRED_BENCH_PY:-$HOME/.venvs/bench/bin/python}
KIT=${KINDRED_BENCH_KIT:-../shared/bench}
WORK=${KINDRED_BENCH_DIR:-/tmp/kindred-bench}
BIN=target/release/kindred
THREADS=${THREADS:-2}
mkdir -p "$WORK"
[ -x "$BIN" ] || cargo build --release

# seconds and peak RSS (MB) of a command, as "wall_s rss_mb"
timed() { /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/out" 2> "$WORK/err" || { cat "$WORK/err"; return 1; }
          awk '{printf "%s %.0f", $1, $2/1024}' "$WORK/time"; }
stage() { "$PY" -c "import json,sys; m=json.load(open(sys.argv[1])); print(' '.join(f\"{s['name']}={s['seconds']:.3f}\" for s in m['stages']), f\"peak_rss_mb={m['peak_rss_bytes']/2**20:.0f}\")" "$1"; }

real() {
  echo "== real: data/online_retail.csv.gz, whole pipeline, $THREADS threads"
  # the article's method (the same work as article_pandas.py), then the shipped default (EASE)
  local walls=()
  for k in 1 2 3 4 5; do
    read -r s mb <<< "$(timed "$BIN" run pipelines/article.toml --output "$WORK/out-real" --threads "$THREADS" --quiet)"
    echo "kindred run article    wall ${s}s  rss ${mb} MB   $(stage "$WORK/out-real/manifest.json")"
    walls+=("$s")
  done
  local median; median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p)
  read -r s mb <<< "$(timed "$BIN" run --output "$WORK/out-default" --threads "$THREADS" --quiet)"
  echo "kindred run default    wall ${s}s  rss ${mb} MB   $(stage "$WORK/out-default/manifest.json")"
  # the article's code as published (cell-wise binarisation), then the vectorised rewrite
  read -r s mb <<< "$(timed "$PY" benches/article_pandas.py data/online_retail.csv.gz --as-published)"
  echo "article pandas         wall ${s}s  rss ${mb} MB   $(cat "$WORK/out")"
  awk -v p="$s" -v k="$median" 'BEGIN { printf "ratio                  article as published %.2fs / kindred median %.2fs = %.1fx (target 30x)\n", p, k, p / k }'
  read -r s mb <<< "$(timed "$PY" benches/article_pandas.py data/online_retail.csv.gz)"
  echo "vectorised pandas      wall ${s}s  rss ${mb} MB   $(cat "$WORK/out")"
  awk -v p="$s" -v k="$median" 'BEGIN { printf "ratio                  vectorised pandas %.2fs / kindred median %.2fs = %.1fx\n", p, k, p / k }'
  "$PY" -c "import polars as pl; pl.read_csv('data/online_retail.csv.gz', infer_schema_length=0).with_columns(pl.col('Quantity').cast(pl.Int64), pl.col('CustomerID').cast(pl.Float64)).write_parquet('$WORK/real.parquet')"
  "$PY" "$KIT/anchor_topn.py" "$WORK/real.parquet" 20 "$THREADS" | sed 's/^/sparse_dot_topn        /'
}

xlsx() {
  local x=${KINDRED_XLSX:-../shared/data/online_retail.xlsx}
  echo "== xlsx: $x, whole pipeline"
  read -r s mb <<< "$(timed "$BIN" run pipelines/article.toml --input "$x" --output "$WORK/out-xlsx" --threads "$THREADS" --quiet)"
  echo "kindred run            wall ${s}s  rss ${mb} MB   $(stage "$WORK/out-xlsx/manifest.json")"
  read -r s mb <<< "$(timed "$PY" benches/article_pandas.py "$x" --as-published)"
  echo "article pandas         wall ${s}s  rss ${mb} MB   $(cat "$WORK/out")"
}

syn200k() {
  echo "== syn-200k: gen_synthetic.py 200000 20000 25, exact top-20, $THREADS threads"
  [ -f "$WORK/syn200k.parquet" ] || "$PY" "$KIT/gen_synthetic.py" "$WORK/syn200k.parquet" 200000 20000 25 > /dev/null
  read -r s mb <<< "$(timed "$BIN" run pipelines/article.toml --input "$WORK/syn200k.parquet" --output "$WORK/out-200k" --threads "$THREADS" --quiet --force)"
  echo "kindred run            wall ${s}s  rss ${mb} MB   $(stage "$WORK/out-200k/manifest.json")"
  "$PY" "$KIT/anchor_topn.py" "$WORK/syn200k.parquet" 20 "$THREADS" | sed 's/^/sparse_dot_topn        /'
  "$BIN" bench 200000 20000 25 --threads "$THREADS" | sed 's/^/kindred bench (kernel) /'
}

syn1m() {
  echo "== syn-1m: kindred bench 1000000 50000 20, exact top-20, $THREADS threads"
  read -r s mb <<< "$(timed "$BIN" bench 1000000 50000 20 --threads "$THREADS")"
  echo "kindred bench          wall ${s}s  rss ${mb} MB   $(cat "$WORK/out")"
}

for what in "${@:-real syn-200k}"; do
  for w in $what; do
    case "$w" in
      real) real ;; xlsx) xlsx ;; syn-200k) syn200k ;; syn-1m) syn1m ;;
      all) real; xlsx; syn200k; syn1m ;;
      *) echo "unknown benchmark: $w" >&2; exit 2 ;;
    esac
  done
done
