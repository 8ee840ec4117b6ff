"""Checks deploy/bi/ against a real output folder with two published runs and a killed one (CI, `.ci/bi`).

Usage: check_bi.py OUTPUT_DIR [--hyper]

DuckDB: every view of deploy/bi/kindred.sql is made and queried; `drift_summary` must equal the
manifest's `drift`, `rows_by_source` must add up to the recommendations' rows, `runs` must list
both runs and, second, the killed run between them as interrupted, and `recommendation_changes` must hold as many rows as drift.parquet's added +
dropped. With --hyper (run under a venv with tableauhyperapi): deploy/bi/tableau_extract.py
builds an extract whose tables hold the manifest's rows. Any failure exits non-zero.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
from verdicts import check, failures


def close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-9 * max(1, abs(b)))


def table_rows(manifest):
    return {Path(f["file"]).stem: f["rows"] for f in manifest["reports"]["write"]["files"]}


def duckdb_views(folder, manifest):
    import duckdb

    c = duckdb.connect()
    c.execute("SET VARIABLE kindred_dir = ?", [str(folder)])
    c.execute((ROOT / "deploy/bi/kindred.sql").read_text())
    views = [r[0] for r in c.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
    for view in views:
        n = c.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
        check(f"duckdb view {view}", True, f"{n} rows")
    for table, rows in table_rows(manifest).items():
        if table in views:
            got = c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            check(f"duckdb {table} rows = manifest", got == rows, f"{got} vs {rows}")
    drift = manifest["drift"]
    got = dict(zip(["customers", "kept", "new", "gone", "changed", "changed_share", "mean_overlap"],
                   c.execute("FROM drift_summary").fetchone()))
    for key, value in got.items():
        check(f"drift_summary.{key} = manifest", close(value, drift[key]), f"{value} vs {drift[key]}")
    total = c.execute("SELECT sum(rows) FROM rows_by_source").fetchone()[0]
    check("rows_by_source adds up", total == table_rows(manifest)["recommendations"], str(total))
    runs = c.execute("SELECT count(*) FROM runs WHERE status = 'published'").fetchone()[0]
    check("runs lists both published runs", runs >= 2, str(runs))
    # the killed run between them, recorded by the next: newest first, it sits second
    listed = c.execute("SELECT status, started_utc IS NOT NULL, finished_utc IS NULL, error FROM runs").fetchall()
    interrupted = [row for row in listed if row[0] == "interrupted"]
    check("runs lists the killed run as interrupted", [row[0] for row in listed][:2] == ["published", "interrupted"]
          and len(interrupted) == 1 and interrupted[0][1:3] == (True, True) and interrupted[0][3].startswith("it started "),
          str(listed))
    changes = c.execute("SELECT count(*) FROM recommendation_changes").fetchone()[0]
    moved = c.execute("SELECT sum(added) + sum(dropped) FROM drift").fetchone()[0]
    check("recommendation_changes = Σ added + dropped", changes == moved, f"{changes} vs {moved}")
    # the net change an analyst writes first: signed columns (UInt32 before 0.4.0's release
    # overflowed in DuckDB, and wrapped in pandas and polars, wherever dropped > added)
    kinds = c.execute("SELECT DISTINCT typeof(added), typeof(dropped) FROM drift").fetchall()
    check("drift's added and dropped are INTEGER", kinds in ([], [("INTEGER", "INTEGER")]), str(kinds))
    net = c.execute("SELECT sum(added - dropped) FROM drift").fetchone()[0]
    by_change = c.execute("SELECT count(*) FILTER (WHERE change = 'added') - count(*) FILTER (WHERE change = 'dropped') "
                          "FROM recommendation_changes").fetchone()[0]
    check("Σ (added − dropped) = recommendation_changes added − dropped", net == by_change, f"{net} vs {by_change}")
    check("the previous run's lists are found", c.execute("SELECT count(*) FROM previous_recommendations").fetchone()[0] > 0)
    persisted(folder, changes)
    odd_runs(folder)
    awkward_path(folder)


def awkward_path(folder):
    """The views over a copy of the folder under a data lake's `key=value` folder named with
    glob characters (helper-101): DuckDB read `source=ci` as a hive partition, replacing every
    row's `source` with 'ci', and globbed `[prod]` as a class, finding no earlier run."""
    import duckdb
    import shutil
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "source=ci" / "BI [prod] *?" / "out"
        shutil.copytree(folder, copy, symlinks=True)
        # a folder beside it that the name matches as a glob, its tables cut to a row each
        # (helper-172: the table views read it in the folder's place, or beside it)
        beside = Path(tmp) / "source=ci" / "BI p xy" / "out"
        shutil.copytree(folder, beside, symlinks=True)
        for table in beside.glob("*.parquet"):
            pq.write_table(pq.read_table(table).slice(0, 1), table)
        c = duckdb.connect()
        c.execute("SET VARIABLE kindred_dir = ?", [str(copy)])
        c.execute((ROOT / "deploy/bi/kindred.sql").read_text())
        got = dict(c.execute("SELECT source, rows FROM rows_by_source").fetchall())
        table = pq.read_table(copy / "recommendations.parquet", columns=["source"]).column("source").to_pylist()
        expected = {s: table.count(s) for s in set(table)}
        check("a key=value folder is no column", got == expected, f"{got} vs {expected}")
        columns = [r[0] for r in c.execute("DESCRIBE recommendations").fetchall()]
        check("a key=value folder adds no column", columns == pq.read_schema(copy / "recommendations.parquet").names,
              str(columns))
        views = {r[0] for r in c.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        for table, rows in table_rows(json.loads((copy / "manifest.json").read_text())).items():
            if table not in views:
                continue
            got = c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            check(f"a folder named with [ ] * ? reads its own {table} only", got == rows, f"{got} vs {rows}")
        runs = c.execute("SELECT count(*) FROM runs").fetchone()[0]
        check("a folder named with [ ] * ? lists its runs", runs == len(list((copy / "runs").iterdir())), str(runs))
        previous = c.execute("SELECT count(*) FROM previous_recommendations").fetchone()[0]
        check("a folder named with [ ] * ? finds the previous run", previous > 0, str(previous))
        # helper-160: a \ in a name, which DuckDB's glob reads as a separator, listed no run
        # without a word: refused, saying to link it; through the link the runs are all there
        slashed = Path(tmp) / "back\\slash"
        shutil.copytree(folder, slashed, symlinks=True)
        c = duckdb.connect()
        c.execute("SET VARIABLE kindred_dir = ?", [str(slashed)])
        try:
            c.execute((ROOT / "deploy/bi/kindred.sql").read_text())
            said = "no error"
        except duckdb.Error as e:
            said = str(e)
        check("a folder with a \\ in its name is refused, naming a link", "Make a link to it" in said, said)
        link = Path(tmp) / "linked"
        link.symlink_to(slashed)
        c = duckdb.connect()
        c.execute("SET VARIABLE kindred_dir = ?", [str(link)])
        c.execute((ROOT / "deploy/bi/kindred.sql").read_text())
        runs = c.execute("SELECT count(*) FROM runs").fetchone()[0]
        check("a link to it lists its runs", runs == len(list((slashed / "runs").iterdir())), str(runs))


def odd_runs(folder):
    """`runs` in a copy of the folder holding what kills and crashes leave (the kill fuzz of
    2026-12-05): a set moved into runs/ whose run was killed before switching `current` (the
    lock still names it, untouched for ten minutes) is interrupted, not published; a record
    whose manifest was cut short is listed as unknown by its folder, and the other runs still
    read (one damaged manifest failed the whole view)."""
    import duckdb
    import os
    import shutil
    import time

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "out"
        shutil.copytree(folder, copy, symlinks=True)
        live = os.readlink(copy / "current").split("/")[-1]
        killed, cut = "20991231T235959.000Z-4242", "20000101T000000.000Z-4343"
        shutil.copytree(copy / "runs" / live, copy / "runs" / killed)
        manifest = json.loads((copy / "runs" / killed / "manifest.json").read_text())
        manifest.update(run_id=killed, started_utc="2099-12-31T23:59:59.000Z")
        (copy / "runs" / killed / "manifest.json").write_text(json.dumps(manifest))
        (copy / ".lock").write_text(f"4242 2099-12-31T23:59:59.000Z {killed} elsewhere -\n")
        ten_minutes_ago = time.time() - 600
        os.utime(copy / ".lock", (ten_minutes_ago, ten_minutes_ago))
        (copy / "runs" / cut).mkdir()
        (copy / "runs" / cut / "manifest.json").write_text('{\n  "customer_id_type": "Int64",\n  "custom')
        # JSON, but no object (DuckDB's json type would read it): unknown too
        nothing = "20000101T000000.000Z-4444"
        (copy / "runs" / nothing).mkdir()
        (copy / "runs" / nothing / "manifest.json").write_text("null")
        c = duckdb.connect()
        c.execute("SET VARIABLE kindred_dir = ?", [str(copy)])
        c.execute((ROOT / "deploy/bi/kindred.sql").read_text())
        listed = c.execute("SELECT run_id, status, finished_utc IS NULL, error FROM runs").fetchall()
        first, last = listed[0], next(row for row in listed if row[0] == cut)
        unknown = sorted(row[0] for row in listed if row[1] == "unknown")
        check("runs: manifests not a JSON object are unknown", unknown == [cut, nothing], str(unknown))
        check("runs: a set never switched to is interrupted", first[:3] == (killed, "interrupted", True)
              and "never published" in first[3], str(first))
        check("runs: a damaged manifest is unknown, the others listed", last[:2] == (cut, "unknown")
              and "does not read" in last[3] and len(listed) == 3 + len(os.listdir(folder / "runs")), str(listed))
        published = [row for row in listed if row[1] == "published"]
        sets = [run for run in os.listdir(folder / "runs")
                if json.loads((folder / "runs" / run / "manifest.json").read_text()).get("status") == "published"]
        check("runs: the kept sets stay published, finished", live in [row[0] for row in published]
              and sorted(row[0] for row in published) == sorted(sets) and not any(row[2] for row in published), str(listed))


def persisted(folder, changes):
    """The views in a database file, read from a later connection: with the folder written in
    (the README's sed), they work; made with the session variable, a later session without it
    gets the error naming what to set (read_parquet's "cannot take NULL list" said nothing);
    the folder written with `./` and a trailing '/' finds the previous run's lists all the same."""
    import duckdb

    sql = (ROOT / "deploy/bi/kindred.sql").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        baked, variable = Path(tmp) / "baked.duckdb", Path(tmp) / "variable.duckdb"
        duckdb.connect(str(baked)).execute(sql.replace("getvariable('kindred_dir')", "'%s'" % folder)).close()
        later = duckdb.connect(str(baked))
        got = later.execute("SELECT count(*) FROM recommendation_changes").fetchone()[0]
        check("views with the folder written in work in a later connection", got == changes, f"{got} vs {changes}")
        made = duckdb.connect(str(variable))
        # DuckDB reports a glob's files with the folder normalised (`./`, `//` gone)
        made.execute("SET VARIABLE kindred_dir = ?", [f"{folder.parent}/./{folder.name}/"])
        made.execute(sql)
        got = made.execute("SELECT count(*) FROM recommendation_changes").fetchone()[0]
        check("kindred_dir written a/./b/ finds the previous run", got == changes, f"{got} vs {changes}")
        made.close()
        try:
            duckdb.connect(str(variable)).execute("FROM rows_by_source").fetchall()
            check("a later session without kindred_dir is told to set it", False, "no error")
        except duckdb.Error as e:
            check("a later session without kindred_dir is told to set it", "SET VARIABLE kindred_dir" in str(e), str(e)[:200])


def hyper_extract(folder, manifest):
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "kindred.hyper"
        out = subprocess.run([sys.executable, str(ROOT / "deploy/bi/tableau_extract.py"), str(folder),
                              "--hyper", str(target)], capture_output=True, text=True, cwd=tmp)
        check("tableau_extract.py exits 0", out.returncode == 0, out.stderr.strip()[-300:])
        if out.returncode != 0:
            return
        rows = json.loads(out.stdout)["rows"]
        for table, expected in table_rows(manifest).items():
            check(f"hyper {table} rows = manifest", rows.get(table) == expected, f"{rows.get(table)} vs {expected}")
        check("hyper recommendations_named complete", rows["recommendations_named"] == rows["recommendations"])
    publishing_meanwhile(folder)


def publishing_meanwhile(folder):
    """An extract made while a run publishes (a Tableau refresh overlapping the nightly run) is
    one run's, named by its id: `current` is switched to the other kept run once the first
    table is loaded (helper-101: read through the fixed links, the tables came from two runs
    and a third of recommendations_named was lost in the join)."""
    import importlib.util
    import io
    import contextlib
    import os
    import shutil

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "out"
        shutil.copytree(folder, copy, symlinks=True)
        live = os.readlink(copy / "current")
        other = next(f"runs/{r}" for r in sorted(os.listdir(copy / "runs"))
                     if f"runs/{r}" != live and (copy / "runs" / r / "recommendations.parquet").exists())
        spec = importlib.util.spec_from_file_location("extract", ROOT / "deploy/bi/tableau_extract.py")
        extract = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(extract)
        run = extract.Connection.execute_command

        def publish_after_first(self, sql):
            done = run(self, sql)
            if not (copy / "switched").exists():
                (copy / "switched").touch()
                os.symlink(other, copy / "current.new")
                os.replace(copy / "current.new", copy / "current")
                shutil.copy(copy / other / "manifest.json", copy / "manifest.json.new")
                os.replace(copy / "manifest.json.new", copy / "manifest.json")
            return done

        extract.Connection.execute_command = publish_after_first
        printed = io.StringIO()
        argv, sys.argv = sys.argv, ["tableau_extract.py", str(copy), "--hyper", str(Path(tmp) / "k.hyper")]
        try:
            with contextlib.redirect_stdout(printed):
                code = extract.main()
        finally:
            sys.argv = argv
        made = json.loads(printed.getvalue())
        first = json.loads((copy / live / "manifest.json").read_text())
        rows = table_rows(first)
        check("an extract made while a run publishes is the first run's", code == 0 and made["run_id"] == first["run_id"]
              and all(made["rows"].get(t) == n for t, n in rows.items()), f"{made['run_id']} {made['rows']} vs {rows}")


def main():
    folder = Path(sys.argv[1])
    manifest = json.loads((folder / "manifest.json").read_text())
    if "--hyper" in sys.argv[2:]:
        print("== Tableau Hyper extract")
        hyper_extract(folder, manifest)
    else:
        print("== DuckDB views (deploy/bi/kindred.sql)")
        duckdb_views(folder, manifest)
    if failures:
        print(f"{len(failures)} failure(s): {', '.join(failures)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
