#!/usr/bin/env bash
# Interleaved A/B of two kindred binaries on one pipeline: A and B alternate, N rounds each,
# under /usr/bin/time; prints each side's median wall, RSS and CPU. The machine is shared and
# noisy, so the two are compared in the same minutes, never against figures from another day.
#
#   benches/ab.sh OLD_BIN NEW_BIN [ROUNDS=10] [PIPELINE=pipelines/article.toml] [extra run flags…]
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 n=${3:-10} p=${4:-pipelines/article.toml}
shift $(( $# < 4 ? $# : 4 ))
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for _ in $(seq "$n"); do
    for side in A B; do
        bin=$a; [ "$side" = B ] && bin=$b
        # a failed run stops the comparison, its error shown (it was kept in the times file,
        # which the trap removes)
        if ! /usr/bin/time -o "$out/time" -f "$side %e %M %U %S" "$bin" run "$p" --output "$out/$side" \
                --quiet --force "$@" 2> "$out/stderr"; then
            echo "ab.sh: side $side ($bin) failed:" >&2
            cat "$out/stderr" "$out/time" >&2
            exit 1
        fi
        tail -1 "$out/time"
    done
done > "$out/times"
python3 - "$out/times" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l[:1] in "AB"]
for side in "AB":
    r = [x for x in rows if x[0] == side]
    wall = [float(x[1]) for x in r]
    print(f"{side}: {len(r)} runs, wall median {st.median(wall):.3f} s ({min(wall):.3f}-{max(wall):.3f}), "
          f"peak RSS median {st.median(int(x[2]) for x in r) / 1024:.0f} MB, "
          f"CPU median {st.median(float(x[3]) + float(x[4]) for x in r):.3f} s")
PY
