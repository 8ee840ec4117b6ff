"""The shipped pipeline's choice and test NDCG@10 under each `[select] rule`, at the cutoffs of
README "Model selection" (the shipped export and the other shops' exports): `kindred evaluate`
only, no reference model — which rule publishes the better model on the test, cutoff by cutoff.

usage: python benches/rules.py KINDRED_BIN RULES SHOPS_DIR [SHOP,...]
  RULES      comma-separated `[select] rule` values, e.g. best,one_standard_error
  SHOPS_DIR  holds groceries.parquet, retail2_eu.parquet, superstore.parquet, cj.parquet and
             cj_types.parquet (benches/reference_models/shops_data.py and shops_data_extra.py
             make them); a missing one is skipped
  SHOP       only these of: retail groceries orii superstore cj cj_types
Prints one tab-separated line per cutoff: shop, cutoff, test days ("full": to the export's end),
then per rule the chosen candidate, its NDCG@10 and the customers evaluated; then, per rule
after the first, where it chose otherwise, better / worse on the test and the median change.
Needs polars (the 61-day tests cut the export as shops.py does). Run from the repo's root.
"""
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile

import polars as pl

binary, rules, shops_dir = os.path.abspath(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
only = set(sys.argv[4].split(",")) if len(sys.argv) > 4 else None
base = open("pipelines/online_retail.toml").read()
data = os.path.abspath("data")
months = lambda year, first, last, step=1: [f"{year}-{m:02d}-01" for m in range(first, last + 1, step)]
cases = [("retail", None, None, f"2011-{m:02d}-09") for m in range(2, 12)]
shops = {
    "groceries": [(61, c) for c in months(2015, 1, 11)] + [(None, c) for c in ["2015-10-01", "2015-11-01", "2015-12-01"]],
    "orii": [(None, c) for c in ["2010-03-01", "2010-06-01", "2010-09-01", "2010-11-01"]] + [(61, c) for c in months(2010, 3, 10)],
    "superstore": [(61, c) for c in months(2013, 7, 11, 2) + months(2014, 1, 11, 2)]
    + [(None, c) for c in ["2013-07-01", "2014-01-01", "2014-07-01"]],
    "cj": [(61, c) for c in months(2017, 3, 11)] + [(None, c) for c in ["2017-07-01", "2017-10-01"]],
}
shops["cj_types"] = shops["cj"]
files = {"groceries": "groceries", "orii": "retail2_eu", "superstore": "superstore", "cj": "cj", "cj_types": "cj_types"}
for shop, cutoffs in shops.items():
    path = os.path.join(shops_dir, files[shop] + ".parquet")
    if os.path.exists(path):
        cases += [(shop, path, days, cutoff) for days, cutoff in cutoffs]
rows = []
with tempfile.TemporaryDirectory() as tmp:
    pipelines = {}
    for rule in rules:
        text = base.replace('path = "../data/', f'path = "{data}/').replace("[select]\n", f'[select]\nrule = "{rule}"\n')
        pipelines[rule] = os.path.join(tmp, f"{rule}.toml")
        open(pipelines[rule], "w").write(text)
    for shop, path, days, cutoff in cases:
        if only and shop not in only:
            continue
        export = path
        if path and days:  # the export as if it ended `days` after the cutoff (shops.py --test-days)
            end = dt.datetime.fromisoformat(cutoff) + dt.timedelta(days=days)
            export = os.path.join(tmp, "export.parquet")
            pl.read_parquet(path).filter(pl.col("InvoiceDate") < end).write_parquet(export)
        row = [shop, cutoff, str(days or "full")]
        for rule in rules:
            cmd = [binary, "evaluate", pipelines[rule], "--cutoff", cutoff, "--json", "--output", os.path.join(tmp, "ev")]
            out = subprocess.run(cmd + (["--input", export] if export else []), capture_output=True, text=True, check=True)
            ev = json.loads(out.stdout)
            w = ev["selection"]["winner"]
            row += [f"{w['candidate']}({w['settings']})", f"{ev['model']['ndcg']:.4f}", str(ev["model"]["customers"])]
        print("\t".join(row), flush=True)
        rows.append(row)
for i, rule in enumerate(rules[1:], 1):
    differ = [(float(r[4]), float(r[4 + 3 * i])) for r in rows if r[3 + 3 * i] != r[3]]
    change = [(b - a) / a for a, b in differ if a > 0]
    median = f", median {statistics.median(change) * 100:+.1f}%" if change else ""
    print(f"{rule} against {rules[0]}: {len(rows)} cutoffs, chose otherwise at {len(differ)}: "
          f"better at {sum(b > a for a, b in differ)}, worse at {sum(b < a for a, b in differ)}{median}")
