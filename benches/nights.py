"""Night after night: the shipped export cut at each midnight, each night's export run in
turn into one output folder by the shipped pipeline, as cron would; prints each night's
choice, its NDCG on the window against the best's, whether the last published choice was
kept, and the share of customers' lists that changed (the manifest's drift).

usage: python benches/nights.py KINDRED_BIN OUT_DIR [FIRST_NIGHT [NIGHTS]]
       (defaults 2011-10-27 and 17 nights; needs polars; run from the repo's root)
README, "Model selection" (yesterday's choice kept within noise) quotes it.
"""
import datetime as dt
import json
import pathlib
import shutil
import subprocess
import sys

import polars as pl

binary, out = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
first = dt.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else dt.date(2011, 10, 27)
nights = int(sys.argv[4]) if len(sys.argv) > 4 else 17
exports = out.parent / (out.name + "_exports")
shutil.rmtree(out, ignore_errors=True)
exports.mkdir(parents=True, exist_ok=True)
rows = pl.read_csv("data/online_retail.csv.gz", try_parse_dates=True, infer_schema_length=100000)
pipeline = pathlib.Path("pipelines/online_retail.toml").read_text()
for night in (first + dt.timedelta(days=d) for d in range(nights)):
    export = exports / f"{night}.parquet"
    rows.filter(pl.col("InvoiceDate") < dt.datetime.combine(night, dt.time())).write_parquet(export)
    toml = exports / "pipeline.toml"
    toml.write_text(pipeline.replace('path = "../data/online_retail.csv.gz"', f'path = "{export}"'))
    run = subprocess.run([binary, "run", str(toml), "--output", str(out), "--quiet"], capture_output=True, text=True)
    m = json.loads((out / "manifest.json").read_text())
    s, changed = m["selection"], m["drift"].get("changed_share")
    w = s["winner"]
    kept = "kept" if s.get("kept_previous") else "-"
    changed = "-" if changed is None else f"{changed:.3f}"
    print(night, run.returncode, w["candidate"], f"({w['settings']})", f"{w['ndcg']:.4f} best {s['best']['ndcg']:.4f}",
          kept, "changed", changed, flush=True)
