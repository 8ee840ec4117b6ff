"""A Tableau extract (.hyper) of a kindred output folder, made by Tableau's own engine.

Usage: python tableau_extract.py OUTPUT_DIR [--hyper FILE]      (pip install tableauhyperapi)

Tableau's Hyper engine reads the published Parquet files directly (`external(...)`), all from
the run `OUTPUT_DIR/current` links to when it starts (a run publishing meanwhile changes none of
them; its id is the one printed): one table per file, plus `recommendations_named` (each recommendation with its item's name and
popularity), into FILE (default OUTPUT_DIR/../kindred.hyper, beside the folder, never inside
it: the output folder is kindred's). The extract is built under a temporary name and renamed
into place, so a dashboard never opens a half-made one. Schedule it after `kindred run` (or
`kindred publish`) and point Tableau Desktop or Server at the .hyper file; refresh = rerun.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from tableauhyperapi import Connection, CreateMode, HyperProcess, Telemetry

TABLES = ["recommendations", "neighbours", "item_neighbours", "items", "purchases",
          "null_audit", "selection", "drift"]


def sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def build(folder: Path, target: Path) -> dict:
    """Writes the extract to `target`; returns each table's rows."""
    rows = {}
    params = {"log_config": "", "default_database_version": "2"}
    with HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters=params) as hyper:
        with Connection(hyper.endpoint, str(target), CreateMode.CREATE_AND_REPLACE) as c:
            for table in TABLES:
                path = folder / f"{table}.parquet"
                if not path.exists():  # a set published by an older kindred lacks newer tables
                    continue
                c.execute_command(f"CREATE TABLE {table} AS (SELECT * FROM external({sql_text(path)}))")
                rows[table] = c.execute_scalar_query(f"SELECT COUNT(*) FROM {table}")
            c.execute_command(
                "CREATE TABLE recommendations_named AS (SELECT r.customer_id, r.rank, r.item_id, "
                "i.description, r.score, r.source, r.supporters, i.buyers, i.popularity_rank "
                "FROM recommendations r JOIN items i ON r.item_id = i.item_id)")
            rows["recommendations_named"] = c.execute_scalar_query("SELECT COUNT(*) FROM recommendations_named")
    return rows


def published(folder: Path) -> Path:
    """The run folder `folder/current` links to, read once (`runs/<run_id>`: a snapshot no later
    publication changes); `folder` itself when it has no such link (a run's own folder, a copy)."""
    current = folder / "current"
    try:
        return folder / os.readlink(current)  # relative (`runs/<id>`) or absolute alike
    except OSError:
        return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=Path, help="kindred's output folder (or one of its runs/<run_id>)")
    parser.add_argument("--hyper", type=Path, help="the extract to write (default: beside the folder)")
    args = parser.parse_args()
    folder = args.output_dir
    # one run's tables: `current` read once, its run folder read throughout. Through the fixed
    # links, a run publishing while the extract was made gave tables of two runs (recommendations
    # of one, items of the next: a third of recommendations_named lost in the join) and the
    # next one's run_id (helper-101)
    run = published(folder)
    manifest = run / "manifest.json"
    if not manifest.is_file():
        print(f"{manifest}: no published set here (run `kindred run` first)", file=sys.stderr)
        return 1
    target = args.hyper or folder.resolve().parent / "kindred.hyper"
    if target.resolve().is_relative_to(folder.resolve()):
        print(f"{target}: inside the output folder; choose a path outside it", file=sys.stderr)
        return 2
    if not target.parent.is_dir():
        print(f"{target}: its folder {target.parent} does not exist; create it or choose another --hyper", file=sys.stderr)
        return 2
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        rows = build(run, temporary)
        # Hyper creates the file owner- and group-only (0640): a Tableau Server running as
        # another user could not open it. Readable by all, as the Parquet tables are.
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    run_id = json.loads(manifest.read_text())["run_id"]
    print(json.dumps({"hyper": str(target), "run_id": run_id, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
