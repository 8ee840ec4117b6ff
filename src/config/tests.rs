use super::file::resolve;
use super::*;

fn build(text: &str) -> Result<Config, ConfigError> {
    let file: PipelineFile =
        toml::from_str(text).map_err(|e| ConfigError::Parse { path: "p.toml".into(), message: e.to_string() })?;
    Config::build(file, Path::new("/pipes"), &Overrides::default())
}

#[test]
fn defaults_are_the_article_method() {
    let cfg = build("[input]\npath = \"x.csv\"").unwrap();
    assert_eq!(cfg.input.path, PathBuf::from("/pipes/x.csv"));
    assert_eq!(cfg.output.dir, PathBuf::from("/pipes/output"));
    assert_eq!(resolve(Path::new("pipelines"), Path::new("../data/x.csv")), PathBuf::from("data/x.csv"));
    assert_eq!(resolve(Path::new("."), Path::new("../x")), PathBuf::from("../x"));
    assert_eq!(cfg.model.neighbours, 20);
    assert_eq!(cfg.recommend.from_neighbours, 10);
    assert_eq!(cfg.recommend.per_customer, 10);
    // quantities above 0 (a purchase of half a kilo is one); an order's later lines found, not filled
    assert_eq!((cfg.clean.min_quantity, cfg.clean.fill_order_lines), (None, false));
    assert_eq!(cfg.columns.customer, "CustomerID");
    assert_eq!(cfg.columns.quantity.as_deref(), Some("Quantity"));
    assert_eq!(cfg.output.compression, Compression::Snappy);
    assert!(cfg.model.is_plain_user());
    // fewer neighbours than the default K lower it: `neighbours = 5` alone is no error, for
    // every kind (EASE and auto refused it over a `from_neighbours` they never read)
    for kind in ["user", "item", "ease", "auto"] {
        let cfg = build(&format!("[input]\npath = 'x.csv'\n[model]\nkind = '{kind}'\nneighbours = 5")).unwrap();
        assert_eq!(cfg.recommend.from_neighbours, 5, "{kind}");
    }
    let more = build("[input]\npath = 'x.csv'\n[model]\nneighbours = 5\n[recommend]\nfrom_neighbours = 6");
    assert!(more.unwrap_err().to_string().contains("6 is more than [model] neighbours = 5"));
}

/// Session 25: relative paths of a pipeline file reached through links resolved as text from
/// the link's folder, so a cron job's symlinked pipeline read (and published) another export.
#[test]
fn relative_paths_resolve_where_the_kernel_would() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let at = |p: &str| root.join(p);
    for dir in ["repo/pipelines", "repo/data", "data", "etc", "site"] {
        std::fs::create_dir_all(at(dir)).unwrap();
    }
    std::fs::write(at("repo/pipelines/shop.toml"), "[input]\npath = \"../data/x.csv\"\n").unwrap();
    // a link to the pipeline file: its paths from the folder the link points into
    std::os::unix::fs::symlink(at("repo/pipelines/shop.toml"), at("etc/shop.toml")).unwrap();
    let cfg = Config::load(&at("etc/shop.toml"), &Overrides::default()).unwrap();
    assert_eq!(cfg.input.path, at("repo/data/x.csv"));
    // a link to a folder: `..` after it steps up from where it points
    std::os::unix::fs::symlink(at("repo/pipelines"), at("site/pipelines")).unwrap();
    assert_eq!(resolve(&at("site/pipelines"), Path::new("../data/x.csv")), at("repo/data/x.csv"));
    assert_eq!(resolve(&at("site"), Path::new("pipelines/../data/x.csv")), at("repo/data/x.csv"));
    // no link: folded as text, as before
    assert_eq!(resolve(&at("repo/pipelines"), Path::new("../data/x.csv")), at("repo/data/x.csv"));
    assert_eq!(resolve(Path::new("no/such"), Path::new("../x.csv")), PathBuf::from("no/x.csv"));
}

/// Session 25: `~` in a pipeline file or a variable made a folder named `~` beside the pipeline.
#[test]
fn a_path_starting_with_a_tilde_is_refused_naming_the_key() {
    for (text, key) in [
        ("[input]\npath = \"~/x.csv\"", "[input] path"),
        ("[input]\npath = \"x\"\n[output]\ndir = \"~/recs\"", "[output] dir"),
    ] {
        let err = build(text).unwrap_err().to_string();
        assert!(err.contains(key) && err.contains("only a shell expands"), "{err}");
    }
    let file: PipelineFile = toml::from_str("[input]\npath = \"x\"").unwrap();
    let cli = Overrides { output: Some(PathBuf::from("~/recs")), ..Overrides::default() };
    let err = Config::build(file, Path::new("/pipes"), &cli).unwrap_err().to_string();
    assert!(err.contains("--output") && err.contains("'~'"), "{err}");
    // a name that only holds a tilde further on is a name
    assert!(build("[input]\npath = \"data/~x.csv\"").is_ok());
}

#[test]
fn model_kinds_and_weightings_parse() {
    let cfg = build("[input]\npath='x'\n[model]\nkind = 'item'\nweighting = 'log_quantity'\nshrinkage = 5").unwrap();
    assert_eq!((cfg.model.kind, cfg.model.weighting, cfg.model.shrinkage), (Kind::Item, Weighting::LogQuantity, 5.0));
    assert!(!cfg.model.is_plain_user());
    for (name, w) in [("BM25", Weighting::Bm25), ("tfidf", Weighting::Tfidf), ("quantity", Weighting::Quantity)] {
        assert_eq!(build(&format!("[input]\npath='x'\n[model]\nweighting = '{name}'")).unwrap().model.weighting, w);
    }
}

#[test]
fn unknown_key_is_named() {
    let err = build("[model]\nneighbors = 5").unwrap_err().to_string();
    assert!(err.contains("neighbors"), "{err}");
}

#[test]
fn out_of_range_values_name_the_key() {
    for (text, key) in [
        ("[input]\npath='x'\n[model]\nneighbours = 0", "[model] neighbours"),
        ("[input]\npath='x'\n[recommend]\nper_customer = 0", "[recommend] per_customer"),
        ("[input]\npath='x'\n[model]\nthreads = 0", "[model] threads"),
        ("[input]\npath='x'\n[gates]\nmax_dropped_share = 2.0", "[gates] max_dropped_share"),
        ("[input]\npath='x'\n[output]\ncompression = 'lz4'", "[output] compression"),
        ("[input]\npath='x'\n[model]\nkind = 'customer'", "[model] kind"),
        ("[input]\npath='x'\n[model]\nweighting = 'bm-25'", "[model] weighting"),
        ("[input]\npath='x'\n[model]\nshrinkage = -1.0", "[model] shrinkage"),
        ("[input]\npath='x'\n[model]\nease_lambda = 0.0", "[model] ease_lambda"),
        ("[input]\npath='x'\n[recommend]\npopularity_exponent = -9.0", "[recommend] popularity_exponent"),
        ("[input]\npath='x'\n[recommend]\nexposure_exponent = 5.0", "[recommend] exposure_exponent"),
        ("[input]\npath='x'\n[model]\nkind = 'ease'\ndescription_weight = 1.0", "[model] description_weight"),
        ("[input]\npath='x'\n[model]\nsimilarity_half_life_days = -3", "[model] similarity_half_life_days"),
        ("[input]\npath='x'\n[model]\ncustomer_neighbours = -1", "[model] customer_neighbours"),
        ("[input]\npath='x'\n[model]\ncustomer_neighbours = 1001", "[model] customer_neighbours"),
    ] {
        let err = build(text).unwrap_err().to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
}

#[test]
fn customer_neighbours_defaults_to_the_articles_20_and_takes_0_to_1000() {
    assert_eq!(build("[input]\npath='x'").unwrap().model.customer_neighbours, 20);
    for n in [0, 1, 1000] {
        let cfg = build(&format!("[input]\npath='x'\n[model]\nkind = 'ease'\ncustomer_neighbours = {n}")).unwrap();
        assert_eq!(cfg.model.customer_neighbours, n);
    }
}

#[test]
fn empty_quantity_unmaps_it() {
    let cfg = build("[input]\npath='x'\n[columns]\nquantity = ''").unwrap();
    assert_eq!(cfg.columns.quantity, None);
    assert!(build("[input]\npath='x'\n[columns]\ncustomer = ''").is_err());
}

/// The key a pipeline's first error names.
fn wrong_key(text: &str, cli: &Overrides) -> String {
    let file: PipelineFile = toml::from_str(text).unwrap();
    match Config::build(file, Path::new("/pipes"), cli) {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("{text}: {other:?}"),
    }
}

/// Regression pin for the per-section builds: with several wrong keys, the one reported is the
/// first in the order the single inline `build` checked them (fixing each brings up the next).
#[test]
fn the_first_wrong_key_in_build_order_is_reported() {
    // (table, wrong line, fixed line, the key the error names)
    let keys = [
        ("input", "", "path = 'x'", "[input] path"),
        ("model", "threads = 0", "", "[model] threads"),
        ("model", "neighbours = 0", "", "[model] neighbours"),
        ("model", "min_similarity = 1.0", "", "[model] min_similarity"),
        ("recommend", "per_customer = 0", "", "[recommend] per_customer"),
        ("recommend", "from_neighbours = 0", "", "[recommend] from_neighbours"),
        ("clean", "min_quantity = nan", "", "[clean] min_quantity"),
        ("model", "kind = 'nope'", "kind = 'ease'", "[model] kind"),
        ("input", "delimiter = 'ab'", "", "[input] delimiter"),
        ("input", "encoding = 'ebcdic'", "", "[input] encoding"),
        ("columns", "customer = ''", "", "[columns] customer"),
        ("columns", "item = ''", "", "[columns] item"),
        ("model", "weighting = 'nope'", "", "[model] weighting"),
        ("model", "min_overlap = 0", "", "[model] min_overlap"),
        ("model", "shrinkage = -1.0", "", "[model] shrinkage"),
        ("model", "ease_lambda = 0.0", "", "[model] ease_lambda"),
        ("model", "description_weight = 1.0", "", "[model] description_weight"),
        ("model", "similarity_half_life_days = 0.0", "", "[model] similarity_half_life_days"),
        ("model", "recency_half_life_days = 0.0", "", "[model] recency_half_life_days"),
        ("recommend", "popularity_exponent = 5.0", "", "[recommend] popularity_exponent"),
        ("recommend", "last_sale_exponent = 5.0", "", "[recommend] last_sale_exponent"),
        ("recommend", "exposure_exponent = 5.0", "", "[recommend] exposure_exponent"),
        ("recommend", "opportunity_exponent = 5.0", "", "[recommend] opportunity_exponent"),
        ("output", "compression = 'lz4'", "", "[output] compression"),
        ("output", "keep_runs = 0", "", "[output] keep_runs"),
        ("gates", "max_dropped_share = 2.0", "", "[gates] max_dropped_share"),
        ("gates", "min_customers = -1", "", "[gates] min_customers"),
        ("gates", "max_customer_drop_vs_previous = 2.0", "", "[gates] max_customer_drop_vs_previous"),
    ];
    for fixed in 0..=keys.len() {
        let mut text = String::new();
        for table in ["input", "columns", "clean", "model", "recommend", "output", "gates"] {
            text += &format!("[{table}]\n");
            for (i, (_, wrong, right, _)) in keys.iter().enumerate().filter(|(_, k)| k.0 == table) {
                text += if i < fixed { right } else { wrong };
                text += "\n";
            }
        }
        match keys.get(fixed) {
            Some((_, _, _, key)) => assert_eq!(wrong_key(&text, &Overrides::default()), *key, "{text}"),
            None => assert!(build(&text).is_ok(), "{text}"),
        }
    }
}

/// The orders the chain above cannot reach: `--threads`, and the rules across keys.
#[test]
fn cross_key_rules_report_in_build_order() {
    let zero = Overrides { threads: Some(0), ..Default::default() };
    assert_eq!(wrong_key("[input]\npath='x'\n[model]\nthreads = 0", &zero), "[model] threads");
    assert_eq!(wrong_key("[input]\npath='x'\n[model]\nneighbours = 0", &zero), "--threads");
    assert_eq!(wrong_key("[model]\nneighbours = 0", &zero), "[input] path");
    let more = "[input]\npath='x'\n[recommend]\nfrom_neighbours = 30\n[clean]\nmin_quantity = nan";
    assert_eq!(wrong_key(more, &Overrides::default()), "[recommend] from_neighbours");
    let near = "[input]\npath='x'\n[model]\nneighbours = 5\nmin_similarity = 2.0";
    assert_eq!(wrong_key(near, &Overrides::default()), "[model] min_similarity");
    let user = "[input]\npath='x'\ndelimiter='ab'\n[model]\ndescription_weight = 0.5\nweighting='x'";
    assert_eq!(wrong_key(user, &Overrides::default()), "[input] delimiter", "the blend beside kNN is noted");
    let ease = "[input]\npath='x'\ndelimiter='ab'\n[model]\nkind='ease'\ndescription_weight = 1.5";
    assert_eq!(wrong_key(ease, &Overrides::default()), "[input] delimiter");
    let kind = "[input]\npath='x'\n[model]\nkind='nope'\ndescription_weight = 0.5";
    assert_eq!(wrong_key(kind, &Overrides::default()), "[model] kind");
}

#[test]
fn explain_reads_the_folder_run_publishes_to() {
    for name in ["pipelines/article.toml", "pipelines/online_retail.toml"] {
        let path = Path::new(name);
        assert_eq!(Config::output_dir(path).unwrap(), Config::load(path, &Overrides::default()).unwrap().output.dir);
    }
    assert_eq!(Config::output_dir(Path::new("pipelines/article.toml")).unwrap(), PathBuf::from("output/article"));
    // explain reads no input: the file must parse, but its other keys are not checked
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("p.toml");
    std::fs::write(&pipeline, "[model]\nneighbours = 0\n[output]\ndir = 'out/../published'").unwrap();
    assert_eq!(Config::output_dir(&pipeline).unwrap(), dir.path().join("published"));
    std::fs::write(&pipeline, "[model]\nneighbors = 5").unwrap();
    assert!(matches!(Config::output_dir(&pipeline), Err(ConfigError::Parse { .. })));
    assert!(matches!(Config::output_dir(&dir.path().join("none.toml")), Err(ConfigError::Read { .. })));
}

#[test]
fn a_missing_default_pipeline_is_fine_with_input() {
    let dir = tempfile::tempdir().unwrap();
    let default = dir.path().join("default.toml");
    let input = Overrides { input: Some("x.csv".into()), ..Default::default() };
    let cfg = Config::load_or_default(None, &default, &input).unwrap();
    assert_eq!((cfg.input.path, cfg.output.dir), (PathBuf::from("x.csv"), PathBuf::from("./output")));
    assert_eq!(cfg.pipeline, None);
    let other = dir.path().join("other.toml");
    assert!(matches!(Config::load_or_default(Some(&other), &default, &input), Err(ConfigError::Read { .. })));
    // named (by flag or KINDRED_PIPELINE), the default's own name must exist too
    assert!(matches!(Config::load_or_default(Some(&default), &default, &input), Err(ConfigError::Read { .. })));
    let none = Overrides::default();
    assert!(matches!(Config::load_or_default(None, &default, &none), Err(ConfigError::Read { .. })));
    std::fs::write(&default, "[input]\npath = 'y.csv'").unwrap();
    let cfg = Config::load_or_default(None, &default, &none).unwrap();
    assert_eq!(cfg.input.path, dir.path().join("y.csv"));
    assert_eq!(cfg.pipeline.as_deref(), Some(default.as_path()));
}

#[test]
fn command_line_checks_name_the_flag() {
    assert_eq!(evaluate_k(3).unwrap(), 3);
    let err = evaluate_k(0).unwrap_err();
    assert!(matches!(&err, ConfigError::Invalid { key, .. } if key == "--k"));
    assert_eq!(err.to_string(), "--k: must be at least 1, got 0");
    assert_eq!(evaluate_k(MAX_LIST + 1).unwrap_err().to_string(), "--k: must be at most 1000, got 1001");
    assert_eq!(evaluate_k(usize::MAX).unwrap_err().to_string(), format!("--k: must be at most 1000, got {}", i64::MAX));
    use crate::generate::Shape;
    assert!(Shape::new(3, 4, 1.0, 0.9, 7).is_ok());
    let huge = crate::generate::MAX_CUSTOMERS + 1;
    for (customers, items, basket, s, key) in [
        (0, 4, 2.0, 0.9, "customers"),
        (huge, 4, 2.0, 0.9, "customers"),
        (3, 0, 2.0, 0.9, "items"),
        (3, 4, 0.5, 0.9, "basket"),
        (3, 4, 5.0, 0.9, "basket"),
        (3, 4, f64::NAN, 0.9, "basket"),
        (3, 4, 2.0, -1.0, "--s"),
        (3, 4, 2.0, f64::INFINITY, "--s"),
    ] {
        let err = Shape::new(customers, items, basket, s, 7).unwrap_err();
        assert!(matches!(&err, ConfigError::Invalid { key: k, .. } if k == key), "{err}");
    }
}

/// Issue 14 case 14: every numeric key of the pipeline file has a range, and a value outside it
/// (a typo such as `per_customer = 1000000000`, NaN, ±inf, a negative count) is an error naming
/// the key — never a 32 GB allocation, a panic or a silent clamp.
#[test]
fn every_numeric_key_out_of_range_names_the_key() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("clean", "min_quantity", &["nan", "inf", "-inf"]),
        ("model", "neighbours", &["0", "-1", "1001", "1000000000", "9223372036854775807"]),
        ("model", "min_similarity", &["-0.1", "1.0", "nan"]),
        ("model", "min_overlap", &["0", "-3", "4294967296"]),
        ("model", "shrinkage", &["-1.0", "inf", "nan"]),
        ("model", "ease_lambda", &["0.0", "-1.0", "inf", "nan"]),
        ("model", "similarity_half_life_days", &["0.0", "-3.0", "inf", "nan"]),
        ("model", "recency_half_life_days", &["0.0", "-1.0", "inf", "nan"]),
        ("model", "threads", &["0", "-5"]),
        ("recommend", "per_customer", &["0", "-1", "1001", "1000000000", "9223372036854775807"]),
        ("recommend", "from_neighbours", &["0", "-2", "21", "1001"]),
        ("recommend", "popularity_exponent", &["-4.5", "4.5", "nan", "inf"]),
        ("recommend", "last_sale_exponent", &["-5.0", "5.0", "nan"]),
        ("recommend", "exposure_exponent", &["-5.0", "5.0", "nan"]),
        ("recommend", "opportunity_exponent", &["-5.0", "5.0", "nan"]),
        ("output", "keep_runs", &["0", "-1"]),
        ("gates", "max_dropped_share", &["-0.1", "1.1", "nan"]),
        ("gates", "max_ids_lost_digits_share", &["-0.1", "1.1", "nan"]),
        ("gates", "min_customers", &["-1"]),
        ("gates", "max_customer_drop_vs_previous", &["-0.1", "1.5", "nan"]),
        ("gates", "max_customers_rewritten_vs_previous", &["-0.1", "1.5", "nan"]),
        ("gates", "max_row_drop_vs_previous", &["-0.1", "1.5", "nan"]),
        ("gates", "max_model_row_drop_vs_previous", &["-0.1", "1.5", "inf"]),
        ("gates", "max_changed_share", &["-0.1", "1.5", "nan", "inf"]),
        ("gates", "max_days_back_vs_previous", &["-1", "36501", "nan", "inf"]),
        ("gates", "max_history_change_vs_previous", &["-0.1", "nan", "inf"]),
        ("gates", "max_new_invalid_dates_vs_previous", &["-0.5", "nan", "inf"]),
        ("gates", "max_invalid_dates_share", &["-0.1", "1.1", "nan"]),
        ("select", "max_customers", &["-1", "1000000001"]),
    ];
    for (section, key, values) in cases {
        for value in *values {
            let text = format!("[input]\npath = 'x'\n[{section}]\n{key} = {value}");
            match build(&text) {
                Err(ConfigError::Invalid { key: named, .. }) => {
                    assert_eq!(named, format!("[{section}] {key}"), "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
    // description_weight: [0, 1), and only with EASE
    for value in ["-0.1", "1.0", "nan"] {
        let text = format!("[input]\npath = 'x'\n[model]\nkind = 'ease'\ndescription_weight = {value}");
        assert_eq!(wrong_key(&text, &Overrides::default()), "[model] description_weight", "{text}");
    }
    // the largest lists are fine
    let cfg = build(
        "[input]\npath='x'\n[model]\nneighbours = 1000\n[recommend]\nper_customer = 1000\nfrom_neighbours = 1000",
    )
    .unwrap();
    assert_eq!((cfg.model.neighbours, cfg.recommend.per_customer), (MAX_LIST, MAX_LIST));
}

/// Issue 14 case 14: `threads = 10^6` spun thousands of threads for hours. More threads than
/// cores are capped to the cores with a note (for stderr and the manifest), from the file or
/// from `--threads`; not an error.
#[test]
fn threads_above_the_cores_are_capped_with_a_note() {
    let cores = default_threads();
    let cfg = build("[input]\npath='x'\n[model]\nthreads = 1000000").unwrap();
    assert_eq!(cfg.threads, cores);
    let note = cfg.threads_note.unwrap();
    assert!(note.contains("[model] threads = 1000000") && note.contains(&format!("{cores} cores")), "{note}");
    let file: PipelineFile = toml::from_str("[input]\npath='x'").unwrap();
    let cli = Overrides { threads: Some(cores + 1), ..Default::default() };
    let cfg = Config::build(file, Path::new("/pipes"), &cli).unwrap();
    assert_eq!(cfg.threads, cores);
    assert!(cfg.threads_note.unwrap().starts_with(&format!("--threads = {}", cores + 1)));
    let cfg = build("[input]\npath='x'\n[model]\nthreads = 1").unwrap();
    assert_eq!((cfg.threads, cfg.threads_note), (1, None));
    assert_eq!(cli_threads(Some(usize::MAX)).unwrap().0, cores);
    assert!(cli_threads(Some(0)).is_err());
}

/// Issue 14 case 17: `delimiter = '"'` read the header as one field and blamed the mapping.
#[test]
fn a_delimiter_that_cannot_split_fields_is_refused() {
    for (text, words) in [("'\"'", "quote"), ("\"\\n\"", "line end"), ("\"\\r\"", "line end"), ("\"\\u0000\"", "NUL")] {
        let err = build(&format!("[input]\npath='x'\ndelimiter = {text}")).unwrap_err().to_string();
        assert!(err.starts_with("[input] delimiter: cannot be") && err.contains(words), "{text}: {err}");
    }
    assert_eq!(build("[input]\npath='x'\ndelimiter = '|'").unwrap().input.delimiter, Some(b'|'));
}

/// Issue 14 case 13: `[columns] customer_type`.
#[test]
fn customer_type_parses_with_auto_by_default() {
    assert_eq!(build("[input]\npath='x'").unwrap().customer_type, CustomerType::Auto);
    for (name, ty) in
        [("string", CustomerType::String), ("Integer", CustomerType::Integer), ("auto", CustomerType::Auto)]
    {
        let cfg = build(&format!("[input]\npath='x'\n[columns]\ncustomer_type = '{name}'")).unwrap();
        assert_eq!(cfg.customer_type, ty);
    }
    let err = build("[input]\npath='x'\n[columns]\ncustomer_type = 'int64'").unwrap_err().to_string();
    assert!(err.starts_with("[columns] customer_type: must be \"auto\", \"string\" or \"integer\""), "{err}");
}

#[test]
fn max_date_is_a_day_or_an_error_naming_the_key() {
    let cfg = build("[input]\npath='x'\nmax_date = '2011-12-09'").unwrap();
    assert_eq!(cfg.input.max_date, chrono::NaiveDate::from_ymd_opt(2011, 12, 9));
    assert_eq!(build("[input]\npath='x'").unwrap().input.max_date, None);
    for bad in ["'09/12/2011'", "'2011-13-01'", "''"] {
        let err = build(&format!("[input]\npath='x'\nmax_date = {bad}")).unwrap_err();
        assert!(err.to_string().starts_with("[input] max_date: must be a day written YYYY-MM-DD"), "{err}");
    }
}

#[test]
fn the_segment_fallback_names_the_column_read_and_is_kept_by_the_selections_grid() {
    let cfg = build("[input]\npath='x'").unwrap();
    assert_eq!((cfg.recommend.fallback.clone(), cfg.recommend.min_segment_customers), (Fallback::Popular, 20));
    assert_eq!(cfg.columns.segment, None, "no segment column is read by default");
    let cfg =
        build("[input]\npath='x'\n[recommend]\nfallback = 'popular_by: Country'\nmin_segment_customers = 5").unwrap();
    let by = Fallback::PopularBy("Country".into());
    assert_eq!((&cfg.recommend.fallback, cfg.recommend.min_segment_customers), (&by, 5));
    assert_eq!(cfg.columns.segment.as_deref(), Some("Country"));
    // auto's candidates (plain rules) top up as the pipeline says; evaluate's baselines globally
    assert_eq!(cfg.recommend.plain().fallback, by);
    assert_eq!(cfg.recommend.plain().min_segment_customers, 5);
    assert_eq!(cfg.recommend.baseline().fallback, Fallback::Popular);
    assert_eq!(String::from(by.clone()), "popular_by:Country");
    for bad in ["'popular_by'", "'popular_by:'", "'Country'", "'popular:Country'"] {
        let err = build(&format!("[input]\npath='x'\n[recommend]\nfallback = {bad}")).unwrap_err().to_string();
        assert!(err.contains("[recommend] fallback") && err.contains("popular_by:COLUMN"), "{err}");
    }
    let err = build("[input]\npath='x'\n[recommend]\nmin_segment_customers = 0").unwrap_err().to_string();
    assert!(err.contains("[recommend] min_segment_customers") && err.contains("at least 1"), "{err}");
}

#[test]
fn never_recommend_is_kept_by_every_candidate_and_baseline_and_refuses_an_empty_id() {
    assert!(build("[input]\npath='x'").unwrap().recommend.never_recommend.is_empty());
    let cfg = build("[input]\npath='x'\n[recommend]\nnever_recommend = ['POST', 'BANK CHARGES']").unwrap();
    let ids = vec!["POST".to_string(), "BANK CHARGES".to_string()];
    assert_eq!(cfg.recommend.never_recommend, ids);
    // what may be listed is no model setting: auto's plain candidates and evaluate's baselines keep it
    assert_eq!((cfg.recommend.plain().never_recommend, cfg.recommend.baseline().never_recommend), (ids.clone(), ids));
    for bad in ["['POST', '']", "[' ']"] {
        let err = build(&format!("[input]\npath='x'\n[recommend]\nnever_recommend = {bad}")).unwrap_err().to_string();
        assert!(err.contains("[recommend] never_recommend") && err.contains("empty"), "{err}");
    }
}

/// An `[input]` key the input's format never reads is noted (`sheet` for CSV text; a CSV's
/// keys for a workbook or Parquet), by the input's extension.
#[test]
fn input_keys_its_format_never_reads_are_noted() {
    let note = |path: &str, keys: &str| build(&format!("[input]\npath='{path}'\n{keys}")).unwrap().unread_note;
    let all = "sheet = 'Data'\ndelimiter = ';'\nquote = \"'\"\nencoding = 'latin-1'\nskip_bad_rows = true\nmax_record_bytes = 1000\nmax_rows = 10\nmax_bytes = 1000";
    assert_eq!(
        note("x.csv.gz", all).unwrap(),
        "set but never read, so changing them changes nothing: [input] sheet (a workbook's; the input is CSV text); remove them"
    );
    assert_eq!(
        note("x.xlsx", all).unwrap(),
        "set but never read, so changing them changes nothing: [input] delimiter, [input] quote, [input] encoding, \
         [input] skip_bad_rows, [input] max_record_bytes, [input] max_rows (CSV text's; the input is a workbook); remove them"
    );
    let parquet = note("x.parquet", all).unwrap();
    for part in [
        "[input] sheet (a workbook's; the input is Parquet)",
        "[input] delimiter, [input] quote, [input] encoding, [input] skip_bad_rows, [input] max_record_bytes, [input] max_rows (CSV text's; the input is Parquet)",
    ] {
        assert!(parquet.contains(part), "{part}: {parquet}");
    }
    // every format reads max_bytes (a Parquet file by its columns' sizes in its footer)
    assert!(!parquet.contains("max_bytes"), "{parquet}");
    // what each format reads is not noted; the model's keys keep their advice
    assert_eq!(note("x.tsv", "delimiter = ';'\nmax_rows = 10\nmax_bytes = 5"), None);
    assert_eq!(note("x.ods", "sheet = 'Data'\nmax_bytes = 5\nnull_values = ['-']\ndate_format = '%d.%m.%Y'"), None);
    let mixed = note("x.parquet", "sheet = 'Data'\n[model]\nkind = 'auto'\nweighting = 'bm25'").unwrap();
    assert!(mixed.starts_with("set but never read, so changing them changes nothing: [input] sheet ("), "{mixed}");
    assert!(mixed.ends_with("remove them, or set a [model] kind that reads them"), "{mixed}");
}

/// A key its model never reads is noted, grouped by why; the shipped pipelines set none
/// (the integration test `select::unread_keys_change_nothing` checks the table by running it).
#[test]
fn keys_the_model_never_reads_are_noted() {
    let note = |text: &str| build(&format!("[input]\npath='x'\n{text}")).unwrap().unread_note;
    assert_eq!(note(""), None);
    assert_eq!(
        note("[model]\nkind = 'user'\nweighting = 'bm25'\nshrinkage = 3\n[recommend]\nfrom_neighbours = 5"),
        None
    );
    let auto =
        note("[model]\nkind = 'auto'\nweighting = 'bm25'\nease_lambda = 9\n[recommend]\nfrom_neighbours = 5").unwrap();
    assert_eq!(
        auto,
        "set but never read, so changing them changes nothing: [model] weighting, [recommend] from_neighbours \
         (kind = \"auto\" tries its grid's own (README, \"Model selection\")); remove them, or set a [model] kind \
         that reads them"
    );
    let no_ease = note("[model]\nkind = 'auto'\nease_lambda = 9\nsimilarity_half_life_days = 30\n[select]\ncandidates = ['popularity', 'user_knn']").unwrap();
    assert!(
        no_ease.contains(
            "[model] ease_lambda, [model] similarity_half_life_days (EASE's, and [select] candidates lists no EASE)"
        ),
        "{no_ease}"
    );
    let user =
        note("[model]\nease_lambda = 9\ncustomer_neighbours = 5\n[select]\nwindow_days = 7\nkeep_previous = false")
            .unwrap();
    for key in [
        "[model] ease_lambda (EASE's",
        "[model] customer_neighbours (kind = \"user\"",
        "[select] window_days, [select] keep_previous (",
    ] {
        assert!(user.contains(key), "{key}: {user}");
    }
    let ease = note("[model]\nkind = 'ease'\nshrinkage = 2\nmin_overlap = 2\nmin_similarity = 0.1\n[recommend]\nfrom_neighbours = 3").unwrap();
    assert!(
        ease.starts_with(
            "set but never read, so changing them changes nothing: [model] shrinkage, [model] min_overlap, \
             [model] min_similarity (the kNN models'"
        ) && ease.contains("[recommend] from_neighbours (EASE scores with all its weights)"),
        "{ease}"
    );
    // helper-127: refused (exit 2) beside a kind that never reads them, where every other such
    // key is noted — the shipped pipeline with `kind` alone changed to "item" was refused over
    // its blend
    let item = note("[model]\nkind = 'item'\ndescription_weight = 0.25\nsparse_ease_items = 200").unwrap();
    assert!(
        item.contains("[model] description_weight (EASE's; kind is not")
            && item.contains("[model] sparse_ease_items (the sparse EASE's"),
        "{item}"
    );
    let dense = note("[model]\nkind = 'ease'\nsparse_ease_items = 200").unwrap();
    assert!(dense.contains("[model] sparse_ease_items (the sparse EASE's; kind is not \"sparse_ease\")"), "{dense}");
    for kind in ["ease", "sparse_ease", "auto"] {
        let text = format!("[model]\nkind = '{kind}'\nneighbours = 5\n[recommend]\nfrom_neighbours = 10");
        assert!(note(&text).unwrap().contains("[recommend] from_neighbours ("), "{kind}");
    }
    assert_eq!(note("[model]\nkind = 'sparse_ease'\nsparse_ease_items = 200\ndescription_weight = 0.25"), None);
    let popular_only = note("[model]\nkind = 'auto'\n[recommend]\nexposure_exponent = -0.5\npopular_half_life_days = 30\n[select]\ncandidates = ['popularity']").unwrap();
    assert!(
        popular_only.contains("[recommend] exposure_exponent (the exposure prior's")
            && !popular_only.contains("popular_half_life_days"),
        "{popular_only}"
    );
    // a named model's top-up is ordered by the season when both are set
    let both = note("[recommend]\npopular_half_life_days = 30\npopular_season_days = 28").unwrap();
    assert!(
        both.contains(
            "[recommend] popular_half_life_days (the top-up's, and [recommend] popular_season_days orders it instead)"
        ) && !both.contains("popular_season_days,"),
        "{both}"
    );
    let auto_both = "[model]\nkind = 'auto'\n[recommend]\npopular_half_life_days = 30\npopular_season_days = 28";
    assert_eq!(note(auto_both), None, "auto's popularity candidates read both");
    let no_popularity = note(&format!("{auto_both}\n[select]\ncandidates = ['user_knn']")).unwrap();
    assert!(
        no_popularity.contains("popular_half_life_days, [recommend] popular_season_days (the popularity"),
        "{no_popularity}"
    );
    for shipped in ["online_retail.toml", "article.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines").join(shipped);
        let cfg = Config::load(&path, &Overrides::default()).unwrap();
        assert_eq!(cfg.unread_note, None, "{shipped}");
    }
}

#[test]
fn item_patterns_match_the_id_itself_or_any_characters_for_a_star() {
    use crate::config::item_matches;
    let cases = [
        ("POST", "POST", true),
        ("POST", "post", false),
        ("POST", "POSTAGE", false),
        ("Gift Card*", "Gift Card - $25", true),
        ("Gift Card*", "Gift Card", true),
        ("Gift Card*", "A Gift Card", false),
        ("*Shipping*", "Express Shipping (2 days)", true),
        ("*fee", "AMAZONFEE", false),
        ("*FEE", "AMAZONFEE", true),
        ("gift_*_10", "gift_0001_10", true),
        ("gift_*_10", "gift_0001_100", false),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("[SKU-1*", "[SKU-1217] Golden Yo-Yo", true),
        ("*", "anything", true),
    ];
    for (pattern, id, expected) in cases {
        assert_eq!(item_matches(pattern, id), expected, "{pattern:?} against {id:?}");
    }
}

#[test]
fn the_quote_is_a_double_or_single_quote_or_none() {
    assert_eq!(build("[input]\npath='x'").unwrap().input.quote, Some(b'"'));
    assert_eq!(build("[input]\npath='x'\nquote = ''").unwrap().input.quote, None);
    assert_eq!(build("[input]\npath='x'\nquote = \"'\"").unwrap().input.quote, Some(b'\''));
    for bad in ["'ab'", "'|'", "'a'"] {
        let err = build(&format!("[input]\npath='x'\nquote = {bad}")).unwrap_err().to_string();
        assert!(err.starts_with("[input] quote: must be"), "{bad}: {err}");
    }
    let err = build("[input]\npath='x'\nquote = \"'\"\ndelimiter = \"'\"").unwrap_err().to_string();
    assert!(err.contains("[input] quote") && err.contains("delimiter"), "{err}");
}

/// `[clean] exclude_rows` and `keep_rows`: their columns read once each (one in both is read
/// once) with the invoice; a column without values, an empty value or column is refused
/// naming the entry.
#[test]
fn row_filters_name_their_columns_and_refuse_empty_entries() {
    let cfg = build("[input]\npath='x'").unwrap();
    // the invoice is read for every run (an order's lines without its customer: clean::claimed_lines)
    let roles: Vec<(String, &str)> = cfg.columns.text_roles().into_iter().map(|(n, c, _)| (n, c.as_str())).collect();
    assert!(cfg.columns.rows.is_empty() && cfg.columns.order);
    assert_eq!(roles, [("order".into(), "InvoiceNo")]);
    let text = "[input]\npath='x'\n[clean]\nexclude_rows = { Status = ['refunded'], 'Cancelled at' = ['*'] }\nkeep_rows = { Status = ['paid', 'refunded'] }";
    let cfg = build(text).unwrap();
    assert_eq!(cfg.columns.rows, ["Cancelled at", "Status"]);
    let roles: Vec<(String, &str)> = cfg.columns.text_roles().into_iter().map(|(n, c, _)| (n, c.as_str())).collect();
    assert_eq!(roles, [("row:0".into(), "Cancelled at"), ("row:1".into(), "Status"), ("order".into(), "InvoiceNo")]);
    let filters: Vec<(bool, &str)> = cfg.clean.row_filters().iter().map(|f| (f.keep, f.column)).collect();
    assert_eq!(filters, [(false, "Cancelled at"), (false, "Status"), (true, "Status")]);
    assert_eq!(cfg.columns.parsed().len(), 8, "{:?}", cfg.columns.parsed());
    for (bad, entry) in [
        ("exclude_rows = { Status = [] }", "[clean] exclude_rows.\"Status\""),
        ("keep_rows = { Status = ['paid', ' '] }", "[clean] keep_rows.\"Status\""),
        ("exclude_rows = { '' = ['x'] }", "[clean] exclude_rows"),
        ("keep_rows = { Refund = ['N/A'] }", "[clean] keep_rows.\"Refund\": 'N/A' is read as a missing value"),
    ] {
        let err = build(&format!("[input]\npath='x'\n[clean]\n{bad}")).unwrap_err().to_string();
        assert!(err.starts_with(entry), "{err}");
    }
    // the list without it, to paste (helper-163: a filter on `#DIV/0!`, missing by default
    // since 2026-12-07, was told to retype 35 words); pasted, it builds
    let err = build("[input]\npath='x'\n[clean]\nexclude_rows = { Margin = ['#DIV/0!'] }").unwrap_err().to_string();
    let list = err.split("in every column): ").nth(1).and_then(|t| t.strip_suffix(", or list another")).unwrap();
    assert!(list.starts_with("null_values = [\"#CALC!\", \"#ERROR!\"") && !list.contains("DIV"), "{err}");
    let toml = format!("[input]\npath='x'\n{list}\n[clean]\nexclude_rows = {{ Margin = ['#DIV/0!'] }}");
    assert!(build(&toml).is_ok(), "{toml}");
}

/// `[recommend] popular_season_days`: the weeks ahead a year before, so above 0 and at most
/// the 364 days of that year.
#[test]
fn popular_season_days_lie_within_the_year() {
    let season = |v: &str| build(&format!("[input]\npath='x'\n[recommend]\npopular_season_days = {v}"));
    assert_eq!(season("364").unwrap().recommend.popular_season_days, Some(364.0));
    assert_eq!(season("0.5").unwrap().recommend.popular_season_days, Some(0.5));
    for bad in ["0", "-3", "365", "nan"] {
        let e = season(bad).unwrap_err().to_string();
        assert!(e.contains("[recommend] popular_season_days") && e.contains("at most 364"), "{bad}: {e}");
    }
}

/// helper-127: a wrong type or a duplicate said the line but not the key ("line 4: invalid
/// type: string \"20\", expected i64"); helper-130: the first version named the key above a
/// line of no key, a word of a string holding `=`, a `[` line of a multi-line string as a table.
/// The key is named only where it is the one whose value holds the error.
#[test]
fn parse_errors_name_the_key_only_where_it_is_the_one() {
    let tmp = tempfile::tempdir().unwrap();
    let said = |text: &str| {
        let path = tmp.path().join("p.toml");
        std::fs::write(&path, text).unwrap();
        PipelineFile::load(&path).map(drop).unwrap_err().to_string()
    };
    let ends = |text: &str, end: &str| {
        let e = said(text);
        assert!(e.ends_with(end), "{text:?}: {e}");
    };
    ends(
        "[input]\npath = 'x'\n[model]\nneighbours = \"20\"\n",
        "line 4: [model] neighbours: invalid type: string \"20\", expected a whole number",
    );
    ends("[model]\nkind = 'user'\nkind = 'item'\n", "line 3: [model] kind: duplicate key");
    ends("\u{feff}[model]\nkind = 'user'\nkind = 'item'\n", "line 3: [model] kind: duplicate key");
    ends(
        "[model] # the model\nshrinkage = true\n",
        "line 2: [model] shrinkage: invalid type: boolean `true`, expected a number",
    );
    // an array over several lines is its key's, a `=` or `[` inside a string no key or table
    ends(
        "[recommend]\nnever_recommend = [\n  \"POST\", # [x]\n  \"A = B\",\n  7,\n]\n",
        "line 5: [recommend] never_recommend: invalid type: integer `7`, expected a string",
    );
    ends(
        "[columns]\ncustomer = \"\"\"\n[Customer ID]\"\"\"\nitem = 5\n",
        "line 4: [columns] item: invalid type: integer `5`, expected a string",
    );
    // helper-132: a run of quotes closes on its last three, a basic string's `\"` is no
    // quote, a quoted key may hold `=`
    ends(
        "[input]\nnull_values = [\"\"\"n/a \"x\"\"\"\", \"-\"]\n[model]\nneighbours = \"20\"\n",
        "line 4: [model] neighbours: invalid type: string \"20\", expected a whole number",
    );
    ends(
        "[input]\nnull_values = [\"\"\"a \\\"\"\" [model]\n\"\"\"]\n[model]\nneighbours = \"20\"\n",
        "line 5: [model] neighbours: invalid type: string \"20\", expected a whole number",
    );
    ends(
        "[clean.exclude_rows]\n\"a = b\" = [\"\"\"x\n[model]\"\"\"]\nCountry = 5\n",
        "line 4: [clean.exclude_rows] Country: invalid type: integer `5`, expected a list [\"a\", \"b\"]",
    );
    // no key named: a line of no key, a syntax error, an inline table
    for text in [
        "[clean]\nexclude_rows = { Country = [\n 5 ] }\n",
        "[model]\nkind = 'user'\nease_lambda: 350\n",
        "[model]\nkind = 'user'\nL2 penalty of the weights\n",
        "model = { kind = 'user', neighbours = '20' }\n",
        "model = { kind = 'user', kind = 'item' }\n",
    ] {
        let e = said(text);
        assert!(!e.contains("kind:") && !e.contains("model:") && e.contains("line "), "{text:?}: {e}");
    }
}

/// helper-139: a `date_format` that reads no date (`%Q`, no day, "") published every date
/// invalid at exit 0; an empty `path` read the pipeline's folder as a dataset, and an empty
/// `sheet` the first sheet. Each is refused naming its key; a format that reads is kept.
#[test]
fn an_unusable_date_format_an_empty_path_or_sheet_is_refused_naming_the_key() {
    for format in ["%Q", "%Y-%m-%", "", " ", "%H:%M", "%d/%m", "%Y", "%Y-%m", "%::z"] {
        let text = format!("[input]\npath = 'x'\ndate_format = '{format}'");
        match build(&text) {
            Err(ConfigError::Invalid { key, message }) => {
                assert_eq!(key, "[input] date_format", "{text}");
                assert!(message.contains("%d/%m/%Y %H:%M"), "an example: {message}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    for format in [
        "%d/%m/%Y %H:%M",
        "%Y-%m-%d",
        "%s",
        "%m/%d/%y %I:%M %p",
        "%Y-%m-%dT%H:%M:%S%z",
        "%F %T%.f",
        "%d.%m.%Y",
        "%Y-%m-%d %H:%M%#z",
        "%d %b %Y (zulu)",
        "%Y-%j",
        "%G-W%V-%u",
        "%c",
        "%D",
    ] {
        let cfg = build(&format!("[input]\npath = 'x'\ndate_format = '{format}'")).unwrap();
        assert_eq!(cfg.input.date_format.as_deref(), Some(format));
    }
    // what such formats read (helper-142: `%#z`, which only parses, and a letter z in the text
    // were refused or read no date)
    assert_eq!(crate::config::read_date("2011-12-09 12:50+01", "%Y-%m-%d %H:%M%#z"), Some(1_323_431_400));
    assert_eq!(crate::config::read_date("09 Dec 2011 (zulu)", "%d %b %Y (zulu)"), Some(1_323_388_800));
    assert_eq!(wrong_key("[input]\npath = ''", &Overrides::default()), "[input] path");
    assert_eq!(wrong_key("[input]\npath = 'x'\nsheet = ''", &Overrides::default()), "[input] sheet");
    // --input wins over an empty path in the file
    let cli = Overrides { input: Some("a.csv".into()), ..Default::default() };
    let file: PipelineFile = toml::from_str("[input]\npath = ''").unwrap();
    assert!(Config::build(file, Path::new("/pipes"), &cli).is_ok());
}
