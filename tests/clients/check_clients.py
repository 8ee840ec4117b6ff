"""Opens every Parquet file kindred published with real clients, as analysts do.

Usage: check_clients.py OUTPUT_DIR [EXTRA.parquet ...]

Every table listed in OUTPUT_DIR/manifest.json (reports.write.files) is opened with each client
installed here (pyarrow always; DuckDB, polars and pandas when present) and its row count
compared with the manifest's; the embedded Arrow schema must hold no view types; and
recommendations are joined with items on item_id, by pyarrow and by DuckDB; each table's
key-value metadata names the run (kindred.run_id = the manifest's run_id, kindred.schema_version,
kindred.version), as pyarrow reads it. EXTRA files
(evaluation.parquet, a `kindred generate` export) are opened and checked the same way, without a
row count. Any failure exits non-zero.
"""

import json
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

try:
    import duckdb
except ImportError:
    duckdb = None
try:
    import polars as pl
except ImportError:
    pl = None
try:
    import pandas as pd
except ImportError:
    pd = None

from verdicts import check, failures


def attempt(what, fn):
    """Runs one client step; an exception is a failure, not a crash of the whole check."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - every client error is a finding
        check(what, False, f"{type(e).__name__}: {e}")
        return None


def sql(query):
    """One value from DuckDB, through the DB-API cursor (stable across DuckDB 0.x to 2.x)."""
    return duckdb.connect().execute(query).fetchone()[0]


def view_types(schema):
    """Fields whose Arrow type is a view (string_view, binary_view, list_view), nested too."""
    names = ("string_view", "binary_view", "list_view")
    return [f"{f.name}: {f.type}" for f in schema if any(n in str(f.type) for n in names)]


def check_stamp(path, manifest):
    """The run, schema and version in the file's key-value metadata, as the manifest says."""
    meta = attempt(f"pyarrow reads {path.name}'s metadata", lambda: pq.read_metadata(path).metadata or {})
    if meta is None:
        return
    want = {
        b"kindred.run_id": manifest["run_id"],
        b"kindred.schema_version": str(manifest["schema_version"]),
        b"kindred.version": manifest["kindred_version"],
    }
    got = {k.decode(): meta.get(k, b"").decode() for k in want}
    check(f"pyarrow {path.name} key-value metadata", all(meta.get(k) == v.encode() for k, v in want.items()), f"{got}")
    # where a pyarrow or pandas user looks first: the table's schema (the embedded Arrow
    # schema's metadata, not the footer's)
    schema = attempt(f"pyarrow reads {path.name}'s schema", lambda: pq.read_schema(path).metadata or {})
    if schema is not None:
        got = {k.decode(): schema.get(k, b"").decode() for k in want}
        check(f"pyarrow {path.name} schema metadata", all(schema.get(k) == v.encode() for k, v in want.items()), f"{got}")


def check_file(path, rows):
    print(f"{path.name}" + ("" if rows is None else f" (manifest: {rows} rows)"))
    table = attempt(f"pyarrow opens {path.name}", lambda: pq.read_table(path))
    if table is not None:
        check(f"pyarrow {path.name} no view types", not view_types(table.schema), ", ".join(view_types(table.schema)))
        if rows is None:
            check(f"pyarrow opens {path.name}", True, f"{table.num_rows} rows")
        else:
            check(f"pyarrow {path.name} rows", table.num_rows == rows, f"{table.num_rows}")
    counts = {}
    if duckdb is not None:
        counts["duckdb"] = lambda: sql(f"SELECT count(*) FROM read_parquet('{path}')")
    if pl is not None:
        counts["polars"] = lambda: pl.read_parquet(path).height
    if pd is not None:
        counts["pandas"] = lambda: len(pd.read_parquet(path))
    for client, count in counts.items():
        n = attempt(f"{client} opens {path.name}", count)
        if n is not None:
            if rows is None:
                check(f"{client} opens {path.name}", True, f"{n} rows")
            else:
                check(f"{client} {path.name} rows", n == rows, f"{n}")
    return table


def main():
    out = Path(sys.argv[1])
    started = time.monotonic()
    versions = {"python": sys.version.split()[0], "pyarrow": pa.__version__}
    for name, module in (("duckdb", duckdb), ("polars", pl), ("pandas", pd)):
        if module is not None:
            versions[name] = module.__version__
    print("clients: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    manifest = json.loads((out / "manifest.json").read_text())
    files = manifest["reports"]["write"]["files"]
    check("manifest lists tables", len(files) > 0, f"{len(files)}")
    tables = {f["file"]: check_file(out / f["file"], f["rows"]) for f in files}
    for f in files:
        check_stamp(out / f["file"], manifest)
    for extra in sys.argv[2:]:
        check_file(Path(extra), None)

    recs, items = tables.get("recommendations.parquet"), tables.get("items.parquet")
    print("joins on item_id")
    if recs is not None and items is not None:
        # popular fills and neighbours' items are all in items.parquet: every row finds its item
        expected = recs.num_rows - recs["item_id"].null_count
        joined = attempt(
            "pyarrow Table.join recommendations ⋈ items",
            lambda: recs.join(items.select(["item_id"]), keys="item_id", join_type="inner"),
        )
        if joined is not None:
            check("pyarrow join rows", joined.num_rows == expected and expected > 0, f"{joined.num_rows} of {expected}")
        if duckdb is not None:
            r, i = out / "recommendations.parquet", out / "items.parquet"
            n = attempt(
                "duckdb join recommendations ⋈ items",
                lambda: sql(f"SELECT count(*) FROM read_parquet('{r}') r JOIN read_parquet('{i}') i USING (item_id)"),
            )
            if n is not None:
                check("duckdb join rows", n == expected, f"{n} of {expected}")
    else:
        check("recommendations and items opened", False)

    print(f"{len(failures)} failure(s) in {time.monotonic() - started:.1f}s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
