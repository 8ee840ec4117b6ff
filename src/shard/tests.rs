use super::*;
use crate::config::{Overrides, PipelineFile};
use crate::similarity::tests::random_matrix;

fn cfg(text: &str, cli: Overrides) -> Config {
    let file: PipelineFile = toml::from_str(text).unwrap();
    Config::build(file, Path::new("."), &Overrides { input: Some("x.csv".into()), ..cli }).unwrap()
}

#[test]
fn the_index_comes_from_the_flag_then_each_schedulers_variable_in_order() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    assert_eq!(index_from(Some(3), env(&[("KINDRED_INDEX", "1")])).unwrap(), 3);
    assert_eq!(index_from(None, env(&[("SLURM_ARRAY_TASK_ID", "4"), ("KINDRED_INDEX", "1")])).unwrap(), 1);
    assert_eq!(index_from(None, env(&[("SLURM_ARRAY_TASK_ID", "4"), ("JOB_COMPLETION_INDEX", "2")])).unwrap(), 2);
    assert_eq!(index_from(None, env(&[("AWS_BATCH_JOB_ARRAY_INDEX", " 7 ")])).unwrap(), 7);
    assert!(matches!(index_from(None, env(&[])), Err(ShardError::NoIndex)));
    // set empty by a template: unset, the next variable serves
    assert_eq!(index_from(None, env(&[("KINDRED_INDEX", ""), ("JOB_COMPLETION_INDEX", "5")])).unwrap(), 5);
    assert_eq!(index_from(None, env(&[("KINDRED_INDEX", " 1")])).unwrap(), 1);
    let bad = index_from(None, env(&[("JOB_COMPLETION_INDEX", "-1")])).unwrap_err();
    assert_eq!(bad.to_string(), "JOB_COMPLETION_INDEX='-1' is not a shard index (a whole number from 0)");
}

#[test]
fn every_step_must_share_the_settings_but_where_input_and_output_live_and_the_threads() {
    let base = "[model]\nneighbours = 20\n";
    let a = settings(&cfg(base, Overrides { threads: Some(1), output: Some("/mnt/a".into()), ..Default::default() }));
    let b = settings(&cfg(base, Overrides { threads: Some(2), output: Some("/pod/out".into()), ..Default::default() }));
    assert_eq!(first_difference(&a, &b, ""), None);
    let c = settings(&cfg("[model]\nneighbours = 30\n", Overrides::default()));
    let (key, there, here) = first_difference(&a, &c, "").unwrap();
    assert_eq!((key.as_str(), there.as_str(), here.as_str()), ("[model] neighbours", "20", "30"));
    // a key held elsewhere than the file's section is named as the file sets it (helper-148)
    let d = settings(&cfg("[model]\nneighbours = 20\nrecency_half_life_days = 61\n", Overrides::default()));
    let (key, ..) = first_difference(&a, &d, "").unwrap();
    assert_eq!(key, "[model] recency_half_life_days");
}

#[test]
fn settings_read_back_from_the_plan_are_the_settings_written() {
    // check_settings compares exactly: a 17-digit float (a script's 1/11) must come back to the bit
    for x in [1.0 / 11.0, 2.0 / 13.0, 5.0 / 11.0, 0.1 + 0.2] {
        let written = settings(&cfg(&format!("[model]\nmin_similarity = {x:?}\n"), Overrides::default()));
        let back: Value = serde_json::from_str(&serde_json::to_string_pretty(&written).unwrap()).unwrap();
        assert_eq!(first_difference(&written, &back, ""), None, "{x:?}");
    }
}

#[test]
fn a_shards_rows_are_the_one_machine_runs_rows() {
    // each customer's neighbours and list computed for a range equal the whole run's
    let m = random_matrix(700, 90, 7, 11);
    let chain = Chain::new(true);
    for kind in [crate::config::Kind::User, crate::config::Kind::Item] {
        let model_cfg = crate::config::ModelConfig { kind, ..Default::default() };
        let rec = crate::config::RecommendConfig::default();
        let (whole, _) = chain.model(&m, &model_cfg).unwrap();
        let (all, _) = chain.recommend(&m, &whole, &rec);
        for rows in [0..256, 256..512, 512..700] {
            let (part, report) = chain.model_for(&m, &model_cfg, rows.clone()).unwrap();
            let (recs, _) = chain.recommend_for(&m, &part, &rec, rows.clone());
            for c in rows.clone() {
                assert_eq!(recs.of(c), all.of(c), "{kind:?} customer {c}");
                if kind == crate::config::Kind::User {
                    assert_eq!(part.neighbours().of(c), whole.neighbours().of(c));
                }
            }
            if kind == crate::config::Kind::User {
                assert_eq!(report.rows_in, rows.len());
                assert!(part.neighbours().of(rows.end % 700).0.is_empty() || rows.end == 700);
            }
        }
    }
}

/// Session 35: a shard makes its parts' and markers' folders inside the prepared run's, never
/// the prepared run's folder itself (a late shard of a run a newer publish removed made it
/// again, kept for ever), and before its work.
#[test]
fn a_shard_makes_its_folders_only_inside_a_prepared_run_that_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let prepared = tmp.path().join("20261201T020000.000Z-1");
    fs::create_dir(&prepared).unwrap();
    writable_inside(&prepared.join(PARTS)).unwrap();
    writable_inside(&prepared.join(PARTS)).unwrap(); // there already: fine
    assert!(prepared.join(PARTS).is_dir());
    let removed = tmp.path().join("20261130T020000.000Z-1");
    let err = writable_inside(&removed.join(DONE)).unwrap_err().to_string();
    assert!(err.contains(&removed.join(DONE).display().to_string()), "{err}");
    assert!(!removed.exists(), "the removed prepared run is not made again");
}
