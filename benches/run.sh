#!/usr/bin/env bash
# Side-by-side benchmarks on this machine, in one run (it is shared and noisy): kindred against
# ING's sparse_dot_topn (the best-known exact top-N kernel) and the article's pandas pipeline.
#
# usage: benches/run.sh [real|xlsx|syn-50k|syn-200k|syn-1m|sizes|all]   (default: real syn-200k)
#   real      whole pipeline on data/online_retail.csv.gz vs article_pandas.py (the article's code as
#             published, and a vectorised rewrite); anchor kernel
#   xlsx      whole pipeline from the Online Retail .xlsx (KINDRED_XLSX=path) vs pandas read_excel
#   syn-50k   similarity stage on `kindred generate 50000 10000 20` vs anchor_topn.py (2 threads)
#   syn-200k  similarity stage on gen_synthetic.py 200000 20000 25 vs anchor_topn.py (2 threads)
#   syn-1m    `kindred generate 1000000 50000 20` through pipelines/article.toml (whole run, peak
#             RSS) and `kindred bench`; the anchor would take ~an hour: its rate (Σ buyers² per
#             second) measured at the largest size run before it in this invocation (syn-50k if
#             none), extrapolated
#   sizes     syn-50k syn-200k syn-1m: each prints `ratio` (anchor seconds / kindred's similarity
#             stage), updates/s and the share of pairs the bounds skipped
# needs: cargo build --release; for the Python side a virtualenv outside the repo:
#   python3 -m venv ~/.venvs/bench && ~/.venvs/bench/bin/pip install polars numpy scipy \
#       scikit-learn sparse_dot_topn pandas openpyxl pyarrow
# KINDRED_BENCH_KIT = folder with gen_synthetic.py and anchor_topn.py (the benchmark kit).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${KINDRED_BENCH_PY:-$HOME/.venvs/bench/bin/python}
KIT=${KINDRED_BENCH_KIT:-../shared/bench}
WORK=${KINDRED_BENCH_DIR:-/tmp/kindred-bench}
BIN=${KINDRED_BIN:-target/release/kindred}
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

# the similarity stage's seconds, Σ buyers² / seconds and the share of pairs the bounds skipped
similarity() { "$PY" -c "import json,sys; r=json.load(open(sys.argv[1]))['reports']['similarity']; p=r.get('pruning')
print(r['seconds'], r['pair_work'], '%.2e' % (r['pair_work'] / r['seconds']), '%.4f' % (1 - p['looked_at'] / p['pairs']) if p else 'n/a')" "$1"; }
ANCHOR_RATE=""   # sparse_dot_topn's Σ buyers² per second at the largest size measured so far
SIM="" PAIR_WORK=""   # the last article_run's similarity seconds and Σ buyers²

# kindred's whole run of the article pipeline on one Parquet into $WORK/out-NAME (each time
# over the set of the run before, so drift is measured as a nightly run meets it): prints the
# run and its similarity stage, sets SIM (seconds) and PAIR_WORK (Σ buyers²)
article_run() {
  local name=$1 file=$2 targets=${3:-} s mb rate skipped
  read -r s mb <<< "$(timed "$BIN" run pipelines/article.toml --input "$file" --output "$WORK/out-$name" --threads "$THREADS" --quiet --force)"
  echo "kindred run            wall ${s}s  rss ${mb} MB${targets}   $(stage "$WORK/out-$name/manifest.json")"
  read -r SIM PAIR_WORK rate skipped <<< "$(similarity "$WORK/out-$name/manifest.json")"
  echo "kindred similarity     ${SIM}s  ${rate} updates/s  bounds skipped ${skipped} of the pairs"
}

# one size, side by side: kindred's similarity stage (article pipeline) and sparse_dot_topn on
# the same Parquet; prints the ratio
side_by_side() {
  local name=$1 file=$2
  article_run "$name" "$file"
  local sim=$SIM work=$PAIR_WORK
  local anchor; anchor=$("$PY" "$KIT/anchor_topn.py" "$file" 20 "$THREADS")
  echo "sparse_dot_topn        $anchor"
  local topn; topn=$(sed -n 's/.*topn_s=\([0-9.]*\).*/\1/p' <<< "$anchor")
  ANCHOR_RATE=$(awk -v w="$work" -v t="$topn" 'BEGIN { printf "%.4e", w / t }')
  awk -v a="$topn" -v k="$sim" -v n="$name" 'BEGIN { printf "ratio                  %s: sparse_dot_topn %.2fs / kindred %.2fs = %.1fx (target 10x)\n", n, a, k, a / k }'
}

syn50k() {
  echo "== syn-50k: kindred generate 50000 10000 20, exact top-20, $THREADS threads"
  [ -f "$WORK/syn50k.parquet" ] || "$BIN" generate "$WORK/syn50k.parquet" 50000 10000 20 2> /dev/null
  side_by_side 50k "$WORK/syn50k.parquet"
  "$BIN" bench 50000 10000 20 --threads "$THREADS" | sed 's/^/kindred bench (kernel) /'
}

syn200k() {
  echo "== syn-200k: gen_synthetic.py 200000 20000 25, exact top-20, $THREADS threads"
  [ -f "$WORK/syn200k.parquet" ] || "$PY" "$KIT/gen_synthetic.py" "$WORK/syn200k.parquet" 200000 20000 25 > /dev/null
  side_by_side 200k "$WORK/syn200k.parquet"
  "$BIN" bench 200000 20000 25 --threads "$THREADS" | sed 's/^/kindred bench (kernel) /'
}

syn1m() {
  echo "== syn-1m: kindred generate 1000000 50000 20 through pipelines/article.toml, exact top-20, $THREADS threads"
  [ -n "$ANCHOR_RATE" ] || { syn50k > /dev/null; }
  [ -f "$WORK/syn1m.parquet" ] || "$BIN" generate "$WORK/syn1m.parquet" 1000000 50000 20 2> /dev/null
  article_run 1m "$WORK/syn1m.parquet" " (targets: 150 s, 2,500 MB)"
  awk -v w="$PAIR_WORK" -v r="$ANCHOR_RATE" -v k="$SIM" 'BEGIN { printf "ratio                  1m: sparse_dot_topn %.0fs (extrapolated: %.3e updates at its measured %.3e/s) / kindred %.2fs = %.1fx (target 10x)\n", w / r, w, r, k, w / r / k }'
}

for what in "${@:-real syn-200k}"; do
  for w in $what; do
    case "$w" in
      real) real ;; xlsx) xlsx ;; syn-50k) syn50k ;; syn-200k) syn200k ;; syn-1m) syn1m ;;
      sizes) syn50k; syn200k; syn1m ;;
      all) real; xlsx; syn50k; syn200k; syn1m ;;
      *) echo "unknown benchmark: $w" >&2; exit 2 ;;
    esac
  done
done
