#!/usr/bin/env bash
# Issue 14 cases 15 and 16: the CSV reader on pathological inputs, timed with peak memory.
#   benches/reader_limits.sh [BINARY] [WORKDIR]
# Makes (once, in WORKDIR, default /tmp/kindred-reader-limits) from data/online_retail.csv.gz:
#   aaa.csv.gz     2 GiB of 'a' with no line end (9 MB of gzip): must fail at max_record_bytes
#   openquote.csv  the export with a quote opened on line 3 and never closed: likewise
#   cr1.csv        the export with CR-only line ends (old Mac exports); lf1.csv the original
#   cr4.csv/lf4.csv the same ×4 (header once)
#   bomb.csv.gz    the header and one valid line 43M times (4 GB of text, 29 MB of gzip)
# and runs BINARY (default target/release/kindred) through pipelines/article.toml on each.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-target/release/kindred}
W=${2:-/tmp/kindred-reader-limits}
mkdir -p "$W"
if [ ! -f "$W/bomb.csv.gz" ]; then
  zcat data/online_retail.csv.gz > "$W/lf1.csv"
  (cat "$W/lf1.csv"; for _ in 1 2 3; do tail -n +2 "$W/lf1.csv"; done) > "$W/lf4.csv"
  tr '\n' '\r' < "$W/lf1.csv" > "$W/cr1.csv"
  tr '\n' '\r' < "$W/lf4.csv" > "$W/cr4.csv"
  (head -n 2 "$W/lf1.csv"; echo '536365,"85123A,OPEN QUOTE,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom'
   tail -n +3 "$W/lf1.csv") > "$W/openquote.csv"
  head -c 2147483648 /dev/zero | tr '\0' a | gzip -1 > "$W/aaa.csv.gz"
  # `yes` ends on SIGPIPE when head has its lines: not a failure (pipefail took it for one).
  # Written under another name and renamed last: an interrupted build is made again.
  (head -n 1 "$W/lf1.csv"
   (yes '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom' || true) |
     head -n 43000000) | gzip -1 > "$W/bomb.csv.gz.part"
  mv "$W/bomb.csv.gz.part" "$W/bomb.csv.gz"
fi
for key in "max_bytes = 1000000000" "max_rows = 10000000"; do
  name=$(echo "$key" | cut -d' ' -f1)
  sed -e "s|^\[input\]|[input]\n$key|" pipelines/article.toml > "$W/guard-$name.toml"
  sed -i -e "s|^path = .*|path = \"$W/bomb.csv.gz\"|" -e "s|^dir = .*|dir = \"$W/out\"|" "$W/guard-$name.toml"
done
# run NAME EXPECT COMMAND…: times COMMAND, prints its error and time; stops the script when
# it does not end as EXPECT says (`fail`: refused, non-zero; `ok`: exit 0).
run() {
  echo "== $1"
  local rc=0
  /usr/bin/time -f "   wall %e s, peak %M KB" "${@:3}" > "$W/last.log" 2>&1 || rc=$?
  grep -E "error|wall" "$W/last.log" | cut -c1-160 || true
  if { [ "$2" = fail ] && [ "$rc" -eq 0 ]; } || { [ "$2" = ok ] && [ "$rc" -ne 0 ]; }; then
    echo "reader_limits.sh: '$1' exited $rc, expected $2" >&2
    exit 1
  fi
}
for f in aaa.csv.gz openquote.csv; do
  run "$f (must fail fast)" fail "$B" run pipelines/article.toml --input "$W/$f" --output "$W/out" --quiet
done
for name in max_bytes max_rows; do run "bomb.csv.gz with $name" fail "$B" run "$W/guard-$name.toml" --quiet; done
for f in lf1.csv cr1.csv lf1.csv cr1.csv lf4.csv cr4.csv lf4.csv cr4.csv; do
  run "$f" ok "$B" run pipelines/article.toml --input "$W/$f" --output "$W/out" --quiet --force
done
