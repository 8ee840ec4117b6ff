-- DuckDB views over a kindred output folder (DuckDB >= 1.1, for SET VARIABLE / getvariable).
--
--   duckdb -cmd "SET VARIABLE kindred_dir = 'output'" -cmd ".read deploy/bi/kindred.sql"   -- interactive
--
-- The views read the folder's fixed links (<dir>/recommendations.parquet -> current/...), so
-- they follow each night's publication without being recreated: DuckDB checks the files when
-- a view is made and reads them each time it is queried. Nothing here writes to the folder.
-- They find the folder through the session variable kindred_dir, which a database file does
-- not keep: a later session sets it again (`-cmd "SET VARIABLE kindred_dir = '...'"`), or the
-- folder is written into the views once, for clients that cannot (ODBC, a BI tool):
--
--   sed "s|getvariable('kindred_dir')|'/data/kindred'|g" deploy/bi/kindred.sql | duckdb analytics.duckdb
--
-- (the folder is written into SQL text: a ' in it is doubled, ''; and sed reads & and \ in
-- the replacement, so they are written \& and \\)
-- Without the variable, this script uses 'output' (the shipped pipeline's folder, relative to
-- where DuckDB runs); a view queried in a session without it says what to set.
SET VARIABLE kindred_dir = coalesce(getvariable('kindred_dir'), 'output');

-- The folder, without a trailing '/' (file names are compared below).
CREATE OR REPLACE MACRO kindred_dir() AS
    CASE WHEN getvariable('kindred_dir') IS NULL
         THEN error('kindred.sql: this session has no kindred_dir: SET VARIABLE kindred_dir = ''/path/to/output'' (a database file does not keep session variables; see the head of kindred.sql)')
         ELSE rtrim(getvariable('kindred_dir'), '/') END;

-- The folder as a glob pattern matching itself: its [, * and ? escaped (a share named
-- 'BI [prod]' globbed as the class [prod], matched nothing, and the views over runs/* failed or
-- were empty). A \ in a folder's name (Linux, macOS) no escape gets past: DuckDB's glob reads
-- it as a separator, and the views over runs/* listed no run without a word (helper-160), so
-- it is refused as the views are made, saying what to do; on Windows \ is the separator it
-- is. (A later session of a database file, without this variable, is not asked: the views
-- were made, or refused, when this script ran.)
SET VARIABLE kindred_windows = (SELECT platform LIKE 'windows%' FROM pragma_platform());
CREATE OR REPLACE MACRO kindred_glob() AS
    CASE WHEN contains(kindred_dir(), chr(92)) AND NOT coalesce(getvariable('kindred_windows'), true)
         THEN error('kindred.sql: the folder ''' || kindred_dir() || ''' has a \ in a name, which DuckDB''s glob reads as a separator: the views over runs/* would find no run. Make a link to it without one (ln -s ''<the folder>'' /data/kindred-out) and set kindred_dir to the link')
         ELSE replace(replace(replace(kindred_dir(), '[', '[[]'), '*', '[*]'), '?', '[?]') END;

-- The published tables, one view each (columns: README, "Output schema"). Not read as hive
-- partitions: a folder named key=value above the output (`/lake/source=webshop/kindred`)
-- replaced the table's own `source` column with 'webshop' in every row. Read through the
-- escaped folder too: read_parquet globs its path, and 'recs [v2]' read 'recs 2' beside it,
-- 'x*y' read 'xZy' as well, without a word (helper-172).
CREATE OR REPLACE MACRO kindred_table(name) AS TABLE
    SELECT * FROM read_parquet(kindred_glob() || '/' || name || '.parquet', hive_partitioning = false);
-- The manifests under the folder matching a path (`manifest.json`, `runs/*/manifest.json`), as
-- JSON; one that does not read as a JSON object (damaged: cut short, zeroed by a crash) is a
-- NULL m, so one damaged record does not fail every view reading the others.
CREATE OR REPLACE MACRO kindred_manifests(path) AS TABLE
    SELECT CASE WHEN json_type(try_cast(content AS JSON)) = 'OBJECT' THEN try_cast(content AS JSON) END AS m,
           replace(filename, '\', '/') AS filename
    FROM read_text(kindred_glob() || '/' || path);
CREATE OR REPLACE VIEW recommendations AS FROM kindred_table('recommendations');
CREATE OR REPLACE VIEW neighbours AS FROM kindred_table('neighbours');
CREATE OR REPLACE VIEW item_neighbours AS FROM kindred_table('item_neighbours');
CREATE OR REPLACE VIEW items AS FROM kindred_table('items');
CREATE OR REPLACE VIEW purchases AS FROM kindred_table('purchases');
CREATE OR REPLACE VIEW null_audit AS FROM kindred_table('null_audit');
CREATE OR REPLACE VIEW selection AS FROM kindred_table('selection');

-- Which run made the tables above: the published manifest's header and headline figures.
CREATE OR REPLACE VIEW published_run AS
    SELECT m ->> '$.run_id' AS run_id,
           (m ->> '$.finished_utc')::TIMESTAMP AS finished_utc,
           m ->> '$.kindred_version' AS kindred_version,
           (m ->> '$.schema_version')::INTEGER AS schema_version,
           (m ->> '$.customers')::BIGINT AS customers,
           (m ->> '$.items')::BIGINT AS items,
           (m ->> '$.pairs')::BIGINT AS pairs,
           m ->> '$.selection.winner.candidate' AS chosen_model,
           (m ->> '$.drift.changed_share')::DOUBLE AS changed_share
    FROM kindred_manifests('manifest.json');

-- Every run the folder keeps (published sets; failed, refused or interrupted attempts' records), newest
-- first: a night's history without globbing file names. As `kindred status` says them: a set
-- moved into runs/ by a run stopped before it switched `current` (killed at that moment: the
-- lock still names it, untouched for five minutes) never went live and is 'interrupted' (the
-- next run removes it); a run folder whose manifest does not read is 'unknown', named by its
-- folder, started when its id says.
CREATE OR REPLACE VIEW runs AS
    WITH found AS (
        SELECT m, filename, string_split(filename, '/')[-2] AS folder,
               coalesce(m ->> '$.run_id', string_split(filename, '/')[-2]) AS run_id
        FROM kindred_manifests('runs/*/manifest.json')),
    -- the runs the lock names (its lines: pid, start, run id, …) when it was last touched five
    -- minutes ago or more (a run holding it touches it every 30 s): stopped
    stopped AS (
        SELECT string_split(line, ' ')[3] AS run_id
        FROM (SELECT unnest(string_split(content, chr(10))) AS line, last_modified
              FROM read_text(kindred_glob() || '/.loc[k]'))
        -- (in seconds since the epoch: DuckDB 1.1 gives last_modified as a UTC TIMESTAMP, which
        -- compared with now() read as the session's time zone, hours off)
        WHERE epoch(last_modified) < epoch(now()) - 300 AND run_id IS NOT NULL),
    -- (a glob: a folder whose runs all failed has no manifest.json)
    live AS (SELECT m ->> '$.run_id' AS run_id FROM kindred_manifests('manifest.jso[n]')),
    judged AS (
        SELECT *, coalesce(m ->> '$.status' = 'published' AND run_id IN (FROM stopped)
                           AND run_id IS DISTINCT FROM (FROM live), false) AS never_live
        FROM found)
    SELECT run_id,
           CASE WHEN m IS NULL THEN 'unknown' WHEN never_live THEN 'interrupted'
                ELSE m ->> '$.status' END AS status,
           coalesce(try_cast(m ->> '$.started_utc' AS TIMESTAMP),
                    try_strptime(left(folder, 19), '%Y%m%dT%H%M%S.%g')) AS started_utc,
           CASE WHEN NOT never_live THEN try_cast(m ->> '$.finished_utc' AS TIMESTAMP) END AS finished_utc,
           try_cast(m ->> '$.customers' AS BIGINT) AS customers,
           try_cast(m ->> '$.reports.recommend.rows_out' AS BIGINT) AS recommendation_rows,
           try_cast(m ->> '$.reports.recommend.topped_up_customers' AS BIGINT) AS topped_up_customers,
           try_cast(m ->> '$.drift.changed_share' AS DOUBLE) AS changed_share,
           try_cast(m ->> '$.drift.mean_overlap' AS DOUBLE) AS mean_overlap,
           CASE WHEN m IS NULL THEN 'its manifest.json does not read as a JSON object (damaged?)'
                WHEN never_live THEN 'stopped after its set was moved into runs/, before current was switched to it: never published (the next run removes it)'
                ELSE m ->> '$.error.message' END AS error
    FROM judged
    -- a run's own folder only: a set or record a person copied under another run's name is
    -- not a run of this history (it was listed twice, with the same run id); a manifest that
    -- does not read, in a folder of a run id's shape
    WHERE CASE WHEN m IS NULL THEN regexp_full_match(folder, '[0-9]{8}T[0-9]{6}[.][0-9]{3}Z-[0-9]+')
               ELSE ends_with(filename, '/runs/' || (m ->> '$.run_id') || '/manifest.json') END
    ORDER BY started_utc DESC;

-- Each recommendation with its item's name and popularity (the join analysts write first).
CREATE OR REPLACE VIEW recommendations_named AS
    SELECT r.customer_id, r.rank, r.item_id, i.description, r.score, r.source, r.supporters,
           i.buyers, i.popularity_rank
    FROM recommendations r JOIN items i USING (item_id);

-- What each customer bought, with names: to read a list beside the history it came from.
CREATE OR REPLACE VIEW purchases_named AS
    SELECT p.customer_id, p.item_id, i.description, p.quantity
    FROM purchases p JOIN items i USING (item_id);

-- Recommendations by source: the model's rows and the fallbacks ('popular', 'popular_segment').
CREATE OR REPLACE VIEW rows_by_source AS
    SELECT source, count(*) AS rows, count(DISTINCT customer_id) AS customers,
           count(*) / sum(count(*)) OVER () AS share
    FROM recommendations GROUP BY source ORDER BY rows DESC;

-- Customers whose whole list is fallback (no model row): the ones the model knows nothing about.
CREATE OR REPLACE VIEW fallback_only_customers AS
    SELECT customer_id, count(*) AS rows
    FROM recommendations GROUP BY customer_id
    HAVING count(*) FILTER (WHERE source = 'neighbours') = 0;

-- The items pushed most, and how much of the catalogue the lists cover.
CREATE OR REPLACE VIEW most_recommended_items AS
    SELECT item_id, any_value(description) AS description, count(*) AS customers,
           avg(rank) AS mean_rank
    FROM recommendations GROUP BY item_id ORDER BY customers DESC, item_id;
CREATE OR REPLACE VIEW catalogue_coverage AS
    SELECT r.recommended_items, i.items, r.recommended_items / i.items AS coverage
    FROM (SELECT count(DISTINCT item_id) AS recommended_items FROM recommendations) r,
         (SELECT count(*) AS items FROM items) i;

-- The previous published run's lists (kept under runs/ while `[output] keep_runs` >= 2), and
-- item by item what was added to or dropped from each customer's list since: no rows when
-- there is nothing to compare (a first run, or the previous run pruned). After a deliberate
-- change of `[columns] customer_type`, while runs of both types are kept, customer_id reads
-- as text here and recommendation_changes cannot be made (DuckDB types a view once): make the
-- views again once those runs are pruned.
CREATE OR REPLACE VIEW previous_recommendations AS
    SELECT * EXCLUDE (filename)
    FROM read_parquet(kindred_glob() || '/runs/*/recommendations.parquet',
                      filename = true, union_by_name = true, hive_partitioning = false)
    -- by the end of the name: DuckDB reports the files of a glob with the folder normalised
    -- (`./out` as `out`, `a//b` as `a/b`; `\` on Windows), so the whole path is not compared
    WHERE ends_with(replace(filename, '\', '/'), '/runs/'
        || (SELECT m ->> '$.drift.previous_run_id' FROM kindred_manifests('manifest.json'))
        || '/recommendations.parquet');
CREATE OR REPLACE VIEW recommendation_changes AS
    SELECT coalesce(t.customer_id, p.customer_id) AS customer_id,
           coalesce(t.item_id, p.item_id) AS item_id,
           coalesce(t.description, p.description) AS description,
           CASE WHEN p.item_id IS NULL THEN 'added' ELSE 'dropped' END AS change,
           t.rank AS rank_today, p.rank AS rank_before
    FROM recommendations t FULL JOIN previous_recommendations p
        ON t.customer_id = p.customer_id AND t.item_id = p.item_id
    WHERE (t.item_id IS NULL OR p.item_id IS NULL) AND EXISTS (FROM previous_recommendations);

-- What changed since the previous published run (drift.parquet: one row per customer in either
-- list). The summary equals the manifest's `drift` object. Last in this script: a set a
-- kindred before 0.4.0 published has no drift.parquet (its link leads to no file), and these
-- views alone then cannot be made; every view above stands.
CREATE OR REPLACE VIEW drift AS FROM kindred_table('drift');
CREATE OR REPLACE VIEW drift_summary AS
    SELECT count(*) AS customers,
           count(*) FILTER (WHERE status = 'kept') AS kept,
           count(*) FILTER (WHERE status = 'new') AS new,
           count(*) FILTER (WHERE status = 'gone') AS gone,
           count(*) FILTER (WHERE status <> 'kept' OR added > 0 OR dropped > 0) AS changed,
           changed / nullif(customers, 0) AS changed_share,
           avg(overlap) FILTER (WHERE status = 'kept') AS mean_overlap
    FROM drift;

-- The customers whose lists changed most, with today's list by name.
CREATE OR REPLACE VIEW drift_largest_changes AS
    SELECT d.customer_id, d.status, d.overlap, d.added, d.dropped,
           list(r.description ORDER BY r.rank) FILTER (WHERE r.rank IS NOT NULL) AS todays_list
    FROM drift d LEFT JOIN recommendations_named r USING (customer_id)
    WHERE d.status <> 'kept' OR d.added > 0 OR d.dropped > 0
    GROUP BY ALL ORDER BY d.overlap, d.customer_id;
