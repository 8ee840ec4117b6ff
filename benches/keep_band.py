"""Night after night with two builds: how often the published choice switches, and which
build's lists did better on the next 30 days' purchases (README, "Model selection": yesterday's
choice kept within two standard errors, measured against one).

usage: python benches/keep_band.py BIN_A BIN_B EXPORT.parquet FIRST_NIGHT NIGHTS OUT_DIR
  Each night: the export (Online Retail's column names: shops_data.py makes them) cut at that
  midnight, run by the shipped pipeline with each build into its own output folder, as cron
  would. Then, per build: the switches of the published choice and the share of lists changed
  on those nights and on the others; and over the nights the two published different choices,
  the next 30 days' NDCG@10 of B's lists minus A's (kindred evaluate's protocol: customers and
  items of the training rows, items new to the customer, K = 10), with a 95% range from 2,000
  bootstrap resamples of customers (a customer's nights resampled together: nights that differ
  are mostly one stretch, so the range is not that of independent nights).
  E.g. A = a build of a51f67d (one standard error), B = this checkout's release build.
Needs polars and numpy. Run from the repo's root.
"""
import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import polars as pl

bins, export, first, nights, out = sys.argv[1:3], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
K, DAYS = 10, 30
df = pl.read_parquet(export)
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
pipeline = open("pipelines/online_retail.toml").read().replace('path = "../data/online_retail.csv.gz"', 'path = "export.parquet"')
open(f"{out}/pipeline.toml", "w").write(pipeline)
runs = {b: [] for b in "AB"}
for i in range(nights):
    night = dt.datetime.fromisoformat(first) + dt.timedelta(days=i)
    df.filter(pl.col("InvoiceDate") < night).write_parquet(f"{out}/export.parquet")
    for name, binary in zip("AB", bins):
        folder = f"{out}/{name}"
        r = subprocess.run([binary, "run", f"{out}/pipeline.toml", "--output", folder, "--quiet"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{night.date()} {name}: exit {r.returncode}: {r.stderr.strip()[-300:]}", flush=True)
            continue
        m = json.load(open(f"{folder}/manifest.json"))
        w = m["selection"]["winner"]
        lists = f"{folder}/lists-{night.date()}.parquet"
        shutil.copy(f"{folder}/recommendations.parquet", lists)
        runs[name].append(dict(night=night, winner=f"{w['candidate']} ({w['settings']})", lists=lists,
                               changed=(m.get("drift") or {}).get("changed_share")))
    print(night.date(), *(runs[b][-1]["winner"] if runs[b] and runs[b][-1]["night"] == night else "-" for b in "AB"), flush=True)
for name in "AB":
    switch, other, prev = [], [], None
    for r in runs[name]:
        if prev is not None:
            (switch if r["winner"] != prev else other).append(r["changed"] or 0.0)
        prev = r["winner"]
    mean = lambda v: f"{np.mean(v):.3f}" if v else "-"
    print(f"{name}: {len(runs[name])} nights published, {len(switch)} switches (lists changed {mean(switch)} on them, {mean(other)} on the others)")
rows = df.filter(pl.col("Quantity") > 0, pl.col("CustomerID").is_not_null(), pl.col("InvoiceDate").is_not_null()).select(
    pl.col("CustomerID").cast(pl.Int64).alias("customer_id"), pl.col("StockCode").cast(pl.Utf8).str.strip_chars().alias("item_id"), "InvoiceDate")


def next_ndcg(lists, night):
    """Each customer's NDCG@10 of `lists` on the DAYS after `night` (evaluate's protocol)."""
    train, test = rows.filter(pl.col("InvoiceDate") < night), rows.filter(pl.col("InvoiceDate") >= night, pl.col("InvoiceDate") < night + dt.timedelta(days=DAYS))
    test = (test.join(train.select("customer_id").unique(), on="customer_id").join(train.select("item_id").unique(), on="item_id")
            .join(train.select("customer_id", "item_id").unique(), on=["customer_id", "item_id"], how="anti").select("customer_id", "item_id").unique())
    ideal = test.group_by("customer_id").len().with_columns(idcg=pl.col("len").map_elements(lambda m: sum(1 / np.log2(r + 2) for r in range(min(K, m))), return_dtype=pl.Float64))
    recs = pl.read_parquet(lists).select("customer_id", pl.col("item_id").cast(pl.Utf8).str.strip_chars(), "rank").filter(pl.col("rank") <= K)
    hits = recs.join(test, on=["customer_id", "item_id"]).group_by("customer_id").agg(dcg=(1 / (pl.col("rank").cast(pl.Float64) + 1).log(2)).sum())
    return ideal.join(hits, on="customer_id", how="left").select("customer_id", (pl.col("dcg").fill_null(0) / pl.col("idcg")).alias("ndcg"))


a, b = ({r["night"]: r for r in runs[n]} for n in "AB")
last = rows["InvoiceDate"].max() - dt.timedelta(days=DAYS)
differ = [n for n in a if n in b and a[n]["winner"] != b[n]["winner"] and n <= last]
print(f"choices differ on {len(differ)} nights with 30 days after them")
if differ:
    frames = []
    for n in differ:
        j = next_ndcg(a[n]["lists"], n).rename({"ndcg": "a"}).join(next_ndcg(b[n]["lists"], n).rename({"ndcg": "b"}), on="customer_id")
        frames.append(j.with_columns(d=pl.col("b") - pl.col("a")))
        print(f"  {n.date()}: A {a[n]['winner']} {j['a'].mean():.4f} | B {b[n]['winner']} {j['b'].mean():.4f}")
    every = pl.concat(frames)
    g = every.group_by("customer_id").agg(s=pl.col("d").sum(), c=pl.len())
    s, c = g["s"].to_numpy(), g["c"].to_numpy()
    pick = np.random.default_rng(7).integers(0, len(s), (2000, len(s)))
    lo, hi = np.percentile(s[pick].sum(1) / c[pick].sum(1), [2.5, 97.5])
    better = sum(f["d"].mean() > 0 for f in frames)
    print(f"B - A, next 30 days' NDCG@10: {every['d'].mean():+.4f} ({lo:+.4f} … {hi:+.4f}); B better on {better} of {len(frames)} nights")
