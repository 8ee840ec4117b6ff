//! Explain: the article's last steps for one customer, read back from the published Parquet.
//!
//! Takes an output folder and a customer id; prints what the customer bought, their nearest
//! neighbours with similarities, and their recommendations with names and why.

use crate::words::counted;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::*;

use crate::audit::{cut, pad};
use crate::config::Kind;
use crate::error::{ConfigError, Error, OutputError, Result};
use crate::roles::normalize_id;
use crate::write::{file, read_table};

/// Rows of `frame` whose `customer_id` is `customer` (Int64 or String ids).
fn rows_for(frame: &DataFrame, customer: &str) -> Result<DataFrame> {
    let err = |e: PolarsError| Error::frame("explain")(e);
    let ids = frame.column("customer_id").map_err(err)?;
    let mask: BooleanChunked = match ids.dtype() {
        DataType::Int64 => {
            // the run's rule for an integer id: "007" and "+7" are text, never customer 7
            let wanted = normalize_id(customer).and_then(crate::roles::integer_id);
            ids.i64().map_err(err)?.iter().map(|v| Some(v.is_some() && v == wanted)).collect()
        }
        // text ids were published as the run reads them (trimmed, "17850.0" as "17850")
        _ => {
            let wanted = normalize_id(customer);
            ids.str().map_err(err)?.iter().map(|v| Some(v.is_some() && v == wanted)).collect()
        }
    };
    frame.filter(&mask).map_err(err)
}

fn strings(frame: &DataFrame, name: &str) -> Vec<String> {
    frame
        .column(name)
        .ok()
        .and_then(|c| c.cast(&DataType::String).ok())
        .map(|c| c.str().map(|s| s.iter().map(|v| v.unwrap_or("").to_string()).collect()).unwrap_or_default())
        .unwrap_or_default()
}

fn floats(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    frame
        .column(name)
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok())
        .map(|c| c.f64().map(|s| s.iter().collect()).unwrap_or_default())
        .unwrap_or_default()
}

/// The explanation of `customer`'s recommendations in the output folder `dir`, as text.
///
/// Every table comes from the one run `current` names when read: through the fixed links each
/// file looked `current` up again, and a publish between two reads mixed two runs' tables (a
/// customer recommended what the other run had them buy). A run pruned while it is read
/// (`keep_runs = 1`) is read again from the run that replaced it. A folder holding a set's
/// files without `current` (a copy) is read as it is; one with `current` whose managed names
/// hold what kindred did not make is refused, as `run` and `status` refuse it.
pub fn run(dir: &Path, customer: &str) -> Result<String> {
    // an empty id (an unset shell variable: `kindred explain "$ID"`) is no customer to look for:
    // it read every table and answered "customer  is not in the published output", exit 1
    if normalize_id(customer).is_none() {
        let message = "the customer id is empty (or spaces only); pass an id as the export writes it".into();
        return Err(ConfigError::Invalid { key: "CUSTOMER".into(), message }.into());
    }
    // a folder with `current` that `kindred run` and `status` refuse as laid out by someone
    // else is not read either (a `current` naming a set copied in from elsewhere); a copy of a
    // set's files, without `current`, is read as it is
    if std::fs::symlink_metadata(dir.join(crate::publish::CURRENT)).is_ok() {
        crate::publish::check_layout(dir)?;
    }
    let mut attempts = 0;
    loop {
        let set = crate::publish::published_run(dir)?;
        if set.is_none() && !dir.join(file::NEIGHBOURS).exists() {
            return Err(OutputError::Read { path: dir.to_path_buf(), detail: unpublished(dir) }.into());
        }
        attempts += 1;
        match explain_set(dir, set.as_deref().unwrap_or(dir), customer) {
            Err(Error::Output(_)) if attempts < 3 && set.is_some() && crate::publish::current_run(dir) != set => {}
            read => return read,
        }
    }
}

/// Why nothing can be explained from `dir`: no run published there, or the run `current` points
/// to is missing.
fn unpublished(dir: &Path) -> String {
    match crate::publish::dangling_current(dir) {
        Some(dangling) => dangling,
        None => "nothing is published there (no current run): run `kindred run` first, or name the folder a run \
                 published to (--output, or the pipeline's [output] dir)"
            .into(),
    }
}

/// Refuses a set whose files are not those its run wrote ([`crate::publish::damaged`]: a
/// partial copy or restore; a set without a manifest, a copy of its tables, is read as it is):
/// a shorter table explained "0 recommendations: bought every item", exit 0 (helper-105).
/// By sizes and footers, not checksums: hashing the four tables it reads would add about a
/// tenth to every explain (5 ms to its 60 ms on the shipped set); `status --verify` reads them
/// (helper-118).
fn refuse_damaged(set: &Path) -> Result<()> {
    let read = [file::NEIGHBOURS, file::RECOMMENDATIONS, file::PURCHASES, file::ITEMS];
    let damaged = crate::publish::read_manifest(set).map(|m| crate::publish::damaged(set, &m)).unwrap_or_default();
    // the files it reads only (helper-107: report.html edited refused it)
    let damaged: Vec<&crate::publish::Damage> = damaged.iter().filter(|d| read.contains(&d.file.as_str())).collect();
    if damaged.is_empty() {
        return Ok(());
    }
    let detail = refusal(&damaged);
    Err(OutputError::Read { path: set.to_path_buf(), detail }.into())
}

/// Why `explain` refuses a set with `damaged` files: files this account cannot read only are
/// the owner's to fix (another run writes them the same way: "run `kindred run`" fixed
/// nothing, helper-115); anything else is damage a whole set replaces.
fn refusal(damaged: &[&crate::publish::Damage]) -> String {
    let said = damaged.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
    match damaged.iter().all(|d| d.denied()) {
        true => format!(
            "this account cannot read the published set's files ({said}); check their owner and mode (the runs' umask?), or run explain as the account that wrote them"
        ),
        false => format!(
            "the published set is damaged ({said}); `kindred status` says so too: run `kindred run` to publish a whole set"
        ),
    }
}

/// [`run`] on the set in `set` (`dir`, the folder the user named, for the messages).
fn explain_set(dir: &Path, set: &Path, customer: &str) -> Result<String> {
    refuse_damaged(set)?;
    let all_neighbours = read_table(&set.join(file::NEIGHBOURS))?;
    let published = all_neighbours.height() > 0;
    let neighbours = rows_for(&all_neighbours, customer)?;
    let recs = rows_for(&read_table(&set.join(file::RECOMMENDATIONS))?, customer)?;
    let bought = rows_for(&read_table(&set.join(file::PURCHASES))?, customer)?;
    if recs.height() == 0 && bought.height() == 0 {
        return Err(Error::UnknownCustomer { customer: customer.to_string(), dir: dir.to_path_buf() });
    }
    let items = read_table(&set.join(file::ITEMS))?;
    let names: HashMap<String, String> =
        strings(&items, "item_id").into_iter().zip(strings(&items, "description")).collect();
    // a description that is the id itself (a pipeline mapping one column to both) is not
    // printed twice ("Tip Tip")
    let name = |id: &str| names.get(id).filter(|d| d.as_str() != id).cloned().unwrap_or_default();
    let manifest = manifest(set);
    // the id as published (`12001.0` and ` 12001 ` find 12001: the header said them as typed)
    let published_id = strings(&bought, "customer_id").into_iter().chain(strings(&recs, "customer_id")).next();
    let mut out = header(published_id.as_deref().unwrap_or(customer), dir, &manifest);
    let by_qty = most_bought(&mut out, &bought, &name);
    // The customers' cosine neighbours: a named user model's always; beside another model, and
    // beside an auto run's user-kNN, when the run published them (`[model] customer_neighbours`,
    // not 0: the report's `source` is "skipped" when it was; sets without it, by the table).
    let kind = model_kind(&manifest);
    let source = manifest.pointer("/reports/customer_neighbours/source").and_then(|s| s.as_str());
    let skipped = source.map_or(kind.compares_items() && !published, |s| s == "skipped");
    let nearest = match skipped {
        false => voters(&mut out, &manifest, &neighbours, kind),
        true => {
            // said, not left out without a word (helper-123), nor as "no other customer bought
            // any of the same items" beside lists their 50 nearest voted for (helper-127)
            let _ = writeln!(out, "\nNearest customers: not published by this run ([model] customer_neighbours = 0).");
            match voting_neighbours(&manifest).filter(|_| !kind.compares_items()) {
                Some(k) => format!("the {k} nearest customers"),
                None => "the nearest customers".to_string(),
            }
        }
    };
    let because = model_lines(&mut out, set, &manifest, kind, &by_qty)?;
    let _ = writeln!(out, "\nRecommendations ({}):", recs.height());
    if recs.height() == 0 {
        let _ = writeln!(out, "  none: the customer bought every item a list may hold");
    }
    let (rid, score, source, sup) =
        (strings(&recs, "item_id"), floats(&recs, "score"), strings(&recs, "source"), strings(&recs, "supporters"));
    for (k, (((id, s), src), n)) in rid.iter().zip(&score).zip(&source).zip(&sup).enumerate() {
        let why = match (s.map(score_text), kind.compares_items()) {
            (Some(s), false) => format!("score {s}, bought by {n} of {nearest}"),
            // no item of theirs weighs for it: the description blend alone ranked it
            (Some(s), true) if n == "0" => format!("score {s}, by its description's likeness to their items alone"),
            (Some(s), true) => match because.get(id) {
                Some(j) => {
                    format!("score {s}, backed by {n} of their items; most by {} {}", cut(j, 20), cut(&name(j), 40))
                }
                None => format!("score {s}, backed by {n} of their items"),
            },
            (None, _) if src == "popular_segment" => {
                format!("{src}: {}", segment_words(&manifest, &top_up_words(&manifest)))
            }
            (None, _) => format!("{src}: {}", top_up_words(&manifest)),
        };
        let _ = writeln!(out, "  {:>2}. {} {} {why}", k + 1, pad(id, 10), pad(&cut(&name(id), 60), 40));
    }
    // every row a top-up beside "voted by the 10 nearest" read as if they had voted (helper-141);
    // popularity chosen by auto is the model itself, no neighbour was asked (helper-151)
    let popularity = manifest.pointer("/selection/winner/candidate").and_then(|c| c.as_str()) == Some("popularity");
    if popularity && !score.is_empty() {
        let _ = writeln!(
            out,
            "  (the run's selection chose popularity: every customer's list is the most bought items they have not bought, {})",
            top_up_words(&manifest)
        );
    } else if !score.is_empty() && score.iter().all(Option::is_none) {
        let who = match kind.compares_items() {
            false => format!("{nearest} bought nothing this customer has not"),
            true => "no item of theirs backs one they have not bought".to_string(),
        };
        let _ = writeln!(
            out,
            "  (the model scored no item for this customer — {who}, or nothing a list may hold: every row is a top-up)"
        );
    }
    Ok(out)
}

/// The customer, and which folder and run the answer comes from: a `KINDRED_OUTPUT` left set
/// in a shell explained another shop's customer of the same id, naming neither.
fn header(customer: &str, dir: &Path, manifest: &serde_json::Value) -> String {
    let run_id = manifest.get("run_id").and_then(|r| r.as_str()).map(|r| format!("run {r} in "));
    let folder = dir.to_string_lossy();
    let shown = |text| crate::progress::printable(text, crate::progress::Lines::Escaped);
    format!("Customer {}\n  from {}{}\n", shown(customer), run_id.unwrap_or_default(), shown(&folder))
}

/// The customer's items, most bought first (the ten first printed).
fn most_bought(out: &mut String, bought: &DataFrame, name: &impl Fn(&str) -> String) -> Vec<(String, f64)> {
    let (item_ids, qty) = (strings(bought, "item_id"), floats(bought, "quantity"));
    let mut by_qty: Vec<(String, f64)> = item_ids.into_iter().zip(qty.into_iter().map(|q| q.unwrap_or(0.0))).collect();
    by_qty.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let _ = writeln!(out, "\nBought {}; the most bought:", counted(by_qty.len(), "distinct item"));
    for (id, q) in by_qty.iter().take(10) {
        let _ = writeln!(out, "  {} {} ×{}", pad(id, 10), pad(&cut(&name(id), 60), 40), quantity_text(*q));
    }
    by_qty
}

/// Prints the customer's nearest customers and who of them voted; returns the voters in words
/// for the recommendations' lines ("the 10 nearest customers"). The lists were voted by the
/// model's K nearest, of which neighbours.parquet keeps `customer_neighbours` (20): the votes
/// of the others were not shown, unsaid; or by fewer than are shown (`from_neighbours` below
/// `neighbours`), which "bought by 2" was read against; and a customer with fewer neighbours
/// than K, all shown, had that many ("of the 10 nearest" beside 4).
fn voters(out: &mut String, manifest: &serde_json::Value, neighbours: &DataFrame, kind: Kind) -> String {
    nearest_customers(out, neighbours);
    let shown = neighbours.height();
    let kept = manifest.pointer("/reports/customer_neighbours/neighbours").and_then(|n| n.as_u64());
    let cut = kept == Some(shown as u64);
    let voting = voting_neighbours(manifest).filter(|_| !kind.compares_items());
    match voting {
        Some(k) if cut && shown > 0 && k > shown => _ = writeln!(
            out,
            "  (the lists were voted by each customer's {k} nearest; neighbours.parquet keeps the first {shown} of them: [model] customer_neighbours)"
        ),
        Some(k) if k < shown => _ = writeln!(
            out,
            "  (the lists were voted by each customer's {k} nearest, the first {k} above: [recommend] from_neighbours)"
        ),
        _ => {}
    }
    match voting {
        Some(k) if !cut && shown < k => format!("the {shown} nearest customers"),
        Some(k) => format!("the {k} nearest customers"),
        None => "the nearest customers".to_string(),
    }
}

/// Prints the model: an auto run's choice whole (the blend and the prior change the order a
/// reader sees, "backed by 24" above "backed by 101"; a popularity winner votes by no
/// neighbour), and how an item-side model votes; returns, for such a model, each recommended
/// item's strongest reason among the customer's items.
fn model_lines(
    out: &mut String,
    set: &Path,
    manifest: &serde_json::Value,
    kind: Kind,
    by_qty: &[(String, f64)],
) -> Result<HashMap<String, String>> {
    let chosen = manifest.pointer("/selection/winner").filter(|w| !w.is_null()).map(|w| {
        let (candidate, settings) = (w["candidate"].as_str().unwrap_or("?"), w["settings"].as_str().unwrap_or(""));
        let settings = if settings.is_empty() { String::new() } else { format!(" ({settings})") };
        format!("\nModel: chosen by the run's selection (kind = \"auto\"): {candidate}{settings}.")
    });
    if let Some(chosen) = &chosen {
        let _ = writeln!(out, "{chosen}");
    }
    if !kind.compares_items() {
        return Ok(HashMap::new());
    }
    let name = serde_json::to_string(&kind).unwrap_or_default();
    let _ = writeln!(
        out,
        "{}Model: kind = {name}: each item the customer bought votes for the items related to it (\"most by\": the strongest of the links item_neighbours.parquet keeps, each item's nearest).",
        if chosen.is_some() { "" } else { "\n" }
    );
    strongest_reasons(set, by_qty)
}

/// The customer's rows of `neighbours.parquet`, best first.
fn nearest_customers(out: &mut String, neighbours: &DataFrame) {
    let _ = writeln!(out, "\nNearest customers (cosine = shared items / √(items × items)):");
    if neighbours.height() == 0 {
        let _ = writeln!(out, "  none: no other customer bought any of the same items");
    }
    let (nid, sim, shared) =
        (strings(neighbours, "neighbour_id"), floats(neighbours, "similarity"), strings(neighbours, "shared_items"));
    for (k, ((n, s), c)) in nid.iter().zip(&sim).zip(&shared).enumerate() {
        let shared = counted(c.parse().unwrap_or(0), "shared item");
        let _ = writeln!(out, "  {:>2}. {} similarity {:.6}  ({shared})", k + 1, pad(n, 10), s.unwrap_or(0.0));
    }
}

/// A summed quantity as people write it: 6, 2.5, 0.3 — a sum of decimals printed whole was
/// `0.30000000000000004`.
fn quantity_text(q: f64) -> String {
    let text = format!("{q:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How many nearest customers voted for each list: an auto run's user-kNN winner's K
/// (settings `k=50`), else the pipeline's `[recommend] from_neighbours`; `None` for another
/// model or a set without a manifest.
fn voting_neighbours(manifest: &serde_json::Value) -> Option<usize> {
    match manifest.pointer("/selection/winner") {
        Some(w) if !w.is_null() => match (w["candidate"].as_str(), w["settings"].as_str()) {
            (Some("user_knn"), Some(settings)) => {
                settings.split(", ").find_map(|s| s.strip_prefix("k=")).and_then(|k| k.parse().ok())
            }
            _ => None,
        },
        _ => manifest.pointer("/parameters/recommend/from_neighbours").and_then(|k| k.as_u64()).map(|k| k as usize),
    }
}

/// The published set's manifest (`null` when it cannot be read: sets made before manifests).
/// The set's manifest; a damaged one (a set `status` reports damaged: its tables are still
/// read) is said on stderr.
fn manifest(dir: &Path) -> serde_json::Value {
    crate::publish::read_manifest(dir).unwrap_or_else(|| {
        let line = format!(
            "{} is missing or damaged (`kindred status` reports it): the model's kind is not known, the tables are read as they are",
            dir.join(file::MANIFEST).display()
        );
        crate::progress::warn(false, &line);
        serde_json::Value::Null
    })
}

/// The published model's kind, from the manifest: the model learnt (`kind = "auto"`: the one
/// its selection chose), else the pipeline's (sets made before kinds existed: user).
fn model_kind(manifest: &serde_json::Value) -> Kind {
    let kind = |at: &str| serde_json::from_value::<Kind>(manifest.pointer(at)?.clone()).ok();
    kind("/reports/similarity/kind").or_else(|| kind("/parameters/model/kind")).unwrap_or_default()
}

/// What the popularity rows were ranked by: the most bought items, the most bought lately
/// when buyers were weighed by the age of their purchase, or the most bought in the weeks
/// ahead a year before — by the pipeline's `popular_half_life_days` or `popular_season_days`,
/// or in an auto run (where only the popularity candidates use them) by the popularity its
/// selection chose (settings `half_life=H` or `season=D`).
fn top_up_words(manifest: &serde_json::Value) -> String {
    let setting = |key: &str| manifest.pointer(&format!("/parameters/recommend/{key}")).and_then(|h| h.as_f64());
    let (half_life, season) = match manifest.pointer("/selection/winner") {
        Some(w) if !w.is_null() => match (w["candidate"].as_str(), w["settings"].as_str()) {
            (Some("popularity"), Some(s)) => {
                let value = |prefix: &str| s.strip_prefix(prefix).and_then(|h| h.parse::<f64>().ok());
                (value("half_life="), value("season="))
            }
            _ => (None, None),
        },
        _ => (setting("popular_half_life_days"), setting("popular_season_days")),
    };
    match (season, half_life) {
        (Some(d), _) => format!(
            "among the items of the season ahead (most bought in the same {d} days a year before, by buyers who have not bought them since, and lately)"
        ),
        (None, Some(h)) => {
            format!("among the items most bought lately (each buyer weighed by a half-life of {h} days)")
        }
        (None, None) => "among the most bought items".to_string(),
    }
}

/// A segment's top-up (`popular_segment`) in words: `popular` ranks the whole shop's items, this
/// the customer's segment's (`[recommend] fallback = "popular_by:Country"`), which read alike.
fn segment_words(manifest: &serde_json::Value, ranked: &str) -> String {
    let by = manifest.pointer("/parameters/recommend/fallback").and_then(|f| f.as_str());
    match by.and_then(|f| f.strip_prefix("popular_by:")) {
        Some(column) => format!("{ranked} by the customers of their {column}"),
        None => format!("{ranked} in their segment"),
    }
}

/// For each item related to one the customer bought (item_neighbours.parquet), the bought
/// item with the strongest link to it.
fn strongest_reasons(dir: &Path, bought: &[(String, f64)]) -> Result<HashMap<String, String>> {
    let table = read_table(&dir.join(file::ITEM_NEIGHBOURS))?;
    let owned: std::collections::HashSet<&str> = bought.iter().map(|(id, _)| id.as_str()).collect();
    let (from, to, sim) =
        (strings(&table, "item_id"), strings(&table, "neighbour_item_id"), floats(&table, "similarity"));
    let mut best: HashMap<String, (f64, String)> = HashMap::new();
    for ((j, i), s) in from.into_iter().zip(to).zip(sim) {
        let s = s.unwrap_or(0.0);
        if owned.contains(j.as_str()) && best.get(&i).is_none_or(|(b, _)| s > *b) {
            best.insert(i, (s, j));
        }
    }
    Ok(best.into_iter().map(|(i, (_, j))| (i, j)).collect())
}

/// A score as the list shows it: four decimals, and below 0.01 four significant digits (a
/// model with the exposure prior or recency weights scores 1.9e-5 … 4.2e-5, which four
/// decimals showed as 0.0000 on every line: helper-156).
fn score_text(score: f64) -> String {
    match score.abs() {
        a if a == 0.0 || a >= 0.01 => format!("{score:.4}"),
        _ => format!("{score:.3e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// helper-156: a prior model's scores (2e-5) showed as 0.0000 on every line.
    #[test]
    fn small_scores_keep_their_digits() {
        assert_eq!(score_text(3.27341), "3.2734");
        assert_eq!(score_text(0.0), "0.0000");
        assert_eq!(score_text(1.9e-5), "1.900e-5");
        assert_eq!(score_text(0.004_213), "4.213e-3");
        assert_ne!(score_text(1.9e-5), score_text(4.2e-5));
    }

    /// helper-111: the published run's folder renamed by hand left `current` pointing at nothing,
    /// and explain said "nothing is published there (no current run): run `kindred run` first".
    #[test]
    fn a_current_whose_run_is_missing_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("runs")).unwrap();
        let id = "20261201T095501.000Z-1";
        std::os::unix::fs::symlink(format!("runs/{id}"), tmp.path().join("current")).unwrap();
        let err = run(tmp.path(), "17850").unwrap_err().to_string();
        assert!(err.contains(&format!("current points to runs/{id}, which is missing")), "{err}");
    }

    /// helper-111: `kindred explain "$ID"` with ID unset read every table and said "customer  is
    /// not in the published output", exit 1: a usage error (exit 2), before any file is read.
    #[test]
    fn an_empty_customer_id_is_a_usage_error() {
        let tmp = tempfile::tempdir().unwrap();
        for id in ["", "  ", "\u{feff}"] {
            let err = run(tmp.path(), id).unwrap_err();
            assert_eq!(err.exit_code(), crate::error::Exit::Usage, "{id:?}: {err}");
            assert!(err.to_string().contains("the customer id is empty"), "{err}");
        }
    }

    #[test]
    fn a_segments_top_up_names_its_column() {
        let m = json!({"parameters": {"recommend": {"fallback": "popular_by:Country"}}});
        assert_eq!(
            segment_words(&m, "among the most bought items"),
            "among the most bought items by the customers of their Country"
        );
        assert_eq!(segment_words(&serde_json::Value::Null, "x"), "x in their segment");
    }

    #[test]
    fn counts_and_quantities_read_as_written() {
        assert_eq!(
            (counted(1, "shared item"), counted(2, "shared item")),
            ("1 shared item".into(), "2 shared items".into())
        );
        let shown: Vec<String> = [6.0, 2.5, 0.1 + 0.2, 1e-7, -3.0].into_iter().map(quantity_text).collect();
        assert_eq!(shown, ["6", "2.5", "0.3", "0", "-3"]);
    }

    #[test]
    fn the_top_up_is_described_by_what_ranked_it() {
        let plain = "among the most bought items";
        assert_eq!(top_up_words(&serde_json::Value::Null), plain, "a set without a manifest");
        let named = |h: serde_json::Value| json!({"parameters": {"recommend": {"popular_half_life_days": h}}, "selection": null});
        assert_eq!(top_up_words(&named(json!(null))), plain);
        assert!(top_up_words(&named(json!(14.0))).contains("half-life of 14 days"));
        // auto: only a popularity winner's own half-life ranks the top-up
        let auto = |candidate: &str, settings: &str| {
            let mut m = named(json!(14.0));
            m["selection"] = json!({"winner": {"candidate": candidate, "settings": settings}});
            top_up_words(&m)
        };
        assert!(auto("popularity", "half_life=30").contains("half-life of 30 days"));
        assert_eq!(auto("popularity", ""), plain);
        assert_eq!(auto("ease", "lambda=350, half_life=90"), plain);
        assert!(auto("popularity", "season=30").contains("the same 30 days a year before"));
        let mut both = named(json!(14.0));
        both["parameters"]["recommend"]["popular_season_days"] = json!(28.0);
        assert!(top_up_words(&both).contains("the same 28 days a year before"), "the season orders the top-up");
    }

    #[test]
    fn a_set_this_account_cannot_read_is_told_from_a_damaged_one() {
        use crate::publish::{Damage, Harm};
        let denied = Damage::new("items.parquet", Harm::Denied("Permission denied (os error 13)".into()));
        let missing = Damage::new("purchases.parquet", Harm::Missing);
        let said = refusal(&[&denied]);
        assert!(
            said.starts_with("this account cannot read the published set's files (items.parquet: cannot be read ("),
            "{said}"
        );
        assert!(said.contains("owner and mode") && !said.contains("kindred run"), "{said}");
        let said = refusal(&[&denied, &missing]);
        assert!(
            said.starts_with("the published set is damaged (items.parquet: cannot be read (")
                && said.contains("kindred run"),
            "{said}"
        );
    }
}
