//! The page's content: each section of report.html as plain values, numbers formatted for
//! people beside their machine value (a [`cell`]), charts drawn. The template only lays it out.
//!
//! Everything is read from the manifest with `pointer`: a key this manifest lacks (an older
//! kindred, a section another stage adds later) gives `null`, which the template prints as
//! "not available". Nothing here can panic on a manifest's shape.

use crate::words::plural;
use serde_json::{json, Map, Value};

use super::charts;
use super::{thousands, Figures};

/// A figure: `id` for tests and scripts, `value` the machine value (`data-value`), `text` as
/// printed.
fn cell(id: &str, label: &str, value: Value, text: String) -> Value {
    json!({"id": id, "label": label, "value": value, "text": text})
}

fn count_cell(id: &str, label: &str, n: Option<u64>) -> Value {
    cell(id, label, json!(n), n.map_or_else(na, thousands))
}

fn na() -> String {
    "not available".to_string()
}

fn percent(share: f64) -> String {
    if share > 0.0 && share < 0.001 {
        return "<0.1%".to_string();
    }
    format!("{:.1}%", share * 100.0)
}

fn seconds(s: f64) -> String {
    if s < 0.01 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b => format!("{:.1} KiB", b as f64 / 1024.0),
    }
}

fn share_of(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn u(m: &Value, path: &str) -> Option<u64> {
    m.pointer(path).and_then(Value::as_u64)
}

fn f(m: &Value, path: &str) -> Option<f64> {
    m.pointer(path).and_then(Value::as_f64)
}

fn s(m: &Value, path: &str) -> String {
    match m.pointer(path) {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn list<'a>(m: &'a Value, path: &str) -> &'a [Value] {
    m.pointer(path).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The whole page.
pub fn page(m: &Value, fig: &Figures) -> Result<Value, String> {
    Ok(json!({
        "title": format!("kindred run {}", s(m, "/run_id")),
        "run": run(m),
        "summary": summary(m, fig),
        "audit": audit(m)?,
        "clean": clean(m)?,
        "neighbours": neighbours(m, fig)?,
        "selection": selection(m),
        "recommend": recommend(m, fig)?,
        "drift": drift(m),
        "stages": stages(m)?,
    }))
}

fn run(m: &Value) -> Value {
    json!({
        "run_id": s(m, "/run_id"), "status": s(m, "/status"), "started": s(m, "/started_utc"),
        "finished": s(m, "/finished_utc"), "version": s(m, "/kindred_version"), "input": s(m, "/input/path"),
        "input_bytes": u(m, "/input/bytes").map(bytes), "model": s(m, "/parameters/model/kind"),
        "forced": m.pointer("/forced") == Some(&json!(true)),
        "gates": list(m, "/gates").iter().map(|g| json!({
            "gate": s(g, "/gate"), "passed": g.pointer("/passed") == Some(&json!(true)), "detail": s(g, "/detail"),
        })).collect::<Vec<_>>(),
    })
}

fn summary(m: &Value, fig: &Figures) -> Vec<Value> {
    let coverage = share_of(fig.recommended_items, fig.items);
    vec![
        count_cell("customers", "customers", u(m, "/customers")),
        count_cell("items", "items", u(m, "/items")),
        count_cell("pairs", "customer–item pairs", u(m, "/pairs")),
        count_cell("recommendation-rows", "recommendation rows", Some(fig.recommendations as u64)),
        count_cell("fallback-only", "customers with fallbacks only", Some(fig.fallback_only as u64)),
        cell("coverage", "catalogue coverage", json!(coverage), percent(coverage)),
        cell("peak-rss", "peak memory", json!(u(m, "/peak_rss_bytes")), u(m, "/peak_rss_bytes").map_or_else(na, bytes)),
    ]
}

/// The null audit per column (as bars), with the first look's types and counts when the
/// manifest has them, and its first rows.
fn audit(m: &Value) -> Result<Value, String> {
    let columns = list(m, "/reports/audit/columns");
    let rows: Vec<(String, f64)> = columns.iter().map(|c| (s(c, "/column"), f(c, "/nulls").unwrap_or(0.0))).collect();
    let chart = charts::bars(&rows, &count_tick)?;
    let typed = columns.iter().any(|c| c.get("type_read").is_some());
    let cols: Vec<Value> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let opt = |k: &str| c.get(k).filter(|v| !v.is_null()).map(|_| s(c, &format!("/{k}")));
            json!({
                "column": s(c, "/column"), "role": opt("role"),
                "nulls": count_cell(&format!("nulls-{i}"), "nulls", u(c, "/nulls")),
                "null_percent": f(c, "/null_percent").map(|p| format!("{p:.1}%")),
                "invalid": u(c, "/invalid").map(thousands),
                "type_read": opt("type_read"), "type_parsed": opt("type_parsed"),
                "non_null": u(c, "/non_null").map(thousands), "distinct": u(c, "/distinct").map(thousands),
                "min": opt("min"), "max": opt("max"),
            })
        })
        .collect();
    let head = m.pointer("/reports/audit/head").filter(|h| h.is_object()).map(|h| {
        let cells = |r: &Value| r.as_array().map_or(vec![], |r| r.iter().map(|v| s(v, "")).collect::<Vec<_>>());
        // a row's null stays null: the page marks it, as the audit prints it, apart from ""
        let row =
            |r: &Value| r.as_array().map_or(vec![], |r| r.iter().map(|v| v.as_str().map(|t| t.to_string())).collect());
        json!({"columns": cells(&h["columns"]), "rows": list(h, "/rows").iter().map(row).collect::<Vec<_>>()})
    });
    Ok(json!({
        "chart": chart, "columns": cols, "typed": typed, "head": head,
        "rows": count_cell("audit-rows", "rows read", u(m, "/reports/audit/rows_in")),
        "total_nulls": count_cell("audit-nulls", "nulls", u(m, "/reports/audit/total_nulls")),
    }))
}

/// The cleaning funnel: rows in, then the rows left after each rule; the after-cleaning check.
fn clean(m: &Value) -> Result<Value, String> {
    let rules = list(m, "/reports/clean/rules");
    let mut bars = vec![("read".to_string(), f(m, "/reports/clean/rows_in").unwrap_or(0.0))];
    bars.extend(rules.iter().map(|r| (s(r, "/rule"), f(r, "/rows_out").unwrap_or(0.0))));
    let chart = charts::bars(&bars, &count_tick)?;
    let rows: Vec<Value> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (inn, out) = (u(r, "/rows_in").unwrap_or(0), u(r, "/rows_out").unwrap_or(0));
            json!({
                "rule": s(r, "/rule"),
                "rows_in": count_cell(&format!("rule-{i}-in"), "rows in", Some(inn)),
                "rows_out": count_cell(&format!("rule-{i}-out"), "rows out", Some(out)),
                "dropped": thousands(inn.saturating_sub(out)),
                "share": percent(share_of(inn.saturating_sub(out) as usize, inn as usize)),
            })
        })
        .collect();
    let after = m.pointer("/reports/clean/after_cleaning").filter(|a| a.is_object()).map(|a| {
        let cols: Vec<Value> = list(a, "/columns")
            .iter()
            .map(|c| json!({"column": s(c, "/column"), "role": s(c, "/role"), "nulls": u(c, "/nulls").map(thousands)}))
            .collect();
        json!({"statement": s(a, "/statement"), "nulls": u(a, "/nulls"), "columns": cols})
    });
    Ok(json!({
        "chart": chart, "rules": rows, "after": after,
        "rows_in": count_cell("clean-in", "rows in", u(m, "/reports/clean/rows_in")),
        "rows_out": count_cell("clean-out", "rows kept", u(m, "/reports/clean/rows_out")),
    }))
}

fn neighbours(m: &Value, fig: &Figures) -> Result<Value, String> {
    let mean = fig.mean_top1;
    Ok(json!({
        "top1_chart": charts::histogram(&fig.top1, "best neighbour's similarity (one per customer)")?,
        "all_chart": charts::histogram(&fig.all, "similarity (every neighbour row)")?,
        // popularity, chosen by `kind = "auto"`, fits no model (its similarity report says
        // "user" with every customer isolated): named as what it is
        "kind": match m.pointer("/selection/winner/candidate").and_then(Value::as_str) {
            Some("popularity") => "popularity (no similarity)".to_string(),
            _ => s(m, "/reports/similarity/kind"),
        },
        // `[model] customer_neighbours = 0`: none computed, not "0 customers with a neighbour"
        "skipped": m.pointer("/reports/customer_neighbours/source").and_then(Value::as_str) == Some("skipped"),
        "cells": [
            count_cell("neighbour-rows", "neighbour rows", Some(fig.neighbour_rows as u64)),
            count_cell("with-neighbours", "customers with a neighbour", Some(fig.with_neighbours as u64)),
            cell("mean-top1", "mean best similarity", json!(mean), mean.map_or_else(na, |v| format!("{v:.3}"))),
        ],
    }))
}

/// The model selection's validation table; `null` when the pipeline named its model.
fn selection(m: &Value) -> Value {
    let Some(sel) = m.pointer("/selection").filter(|v| v.is_object()) else { return Value::Null };
    let (winner, settings) = (s(sel, "/winner/candidate"), s(sel, "/winner/settings"));
    let num = |t: &Value, k: &str| f(t, &format!("/{k}")).map_or_else(na, |v| format!("{v:.4}"));
    let rows: Vec<Value> = list(sel, "/candidates")
        .iter()
        .map(|t| {
            json!({
                "candidate": s(t, "/candidate"), "settings": s(t, "/settings"),
                "winner": s(t, "/candidate") == winner && s(t, "/settings") == settings,
                "ndcg": num(t, "ndcg"), "precision": num(t, "precision"), "recall": num(t, "recall"),
                "hit_rate": num(t, "hit_rate"), "coverage": num(t, "coverage"),
                "customers": u(t, "/customers").map(thousands), "seconds": f(t, "/seconds").map(seconds),
            })
        })
        .collect();
    let skipped: Vec<Value> = list(sel, "/skipped")
        .iter()
        .map(|k| {
            // an option the data cannot offer (no memory figure) is told from a family the
            // memory budget kept out
            let option = k.pointer("/needs_bytes").is_none_or(Value::is_null)
                && ["popularity", "prior", "description"].contains(&s(k, "/candidate").as_str());
            json!({"candidate": s(k, "/candidate"), "reason": s(k, "/reason"), "option": option})
        })
        .collect();
    // a sample is scored when more customers have new items than `[select] max_customers`
    let customers = match (u(sel, "/window/customers"), u(sel, "/window/scored_customers")) {
        (Some(all), Some(some)) if some < all => {
            let customers = plural(all as usize, "customer");
            format!("{} {customers} with new items, a seeded sample of {} scored", thousands(all), thousands(some))
        }
        (Some(0), _) => {
            "no customer bought a new item in it: nothing told the candidates apart, the simplest is published".into()
        }
        (all, _) => {
            format!("{} {} scored", all.map_or_else(na, thousands), plural(all.unwrap_or(0) as usize, "customer"))
        }
    };
    json!({
        "winner": cell("winner", "chosen", json!(format!("{winner} {settings}").trim()), match settings.is_empty() {
            true => winner.clone(),
            false => format!("{winner} ({settings})"),
        }),
        "rule": s(sel, "/rule"), "rows": rows, "skipped": skipped,
        "window": format!("Held back: {}; {} training rows, {} test rows, {customers}",
            window_text(sel), u(sel, "/window/train_rows").map_or_else(na, thousands),
            u(sel, "/window/test_rows").map_or_else(na, thousands)),
    })
}

/// What the selection held back, as the log says it: "the last 30 days (from 2011-11-09
/// 12:50:00 UTC)", "20% of each customer's items"; the manifest's kind printed as it was
/// ("days window:") told no length (helper-156).
fn window_text(sel: &Value) -> String {
    let days = f(sel, "/window/days");
    match (s(sel, "/window/kind").as_str(), days) {
        ("days", Some(d)) => {
            let length = match d.fract() == 0.0 {
                true => format!("{d:.0} {}", plural(d as usize, "day")),
                false => format!("{d:.1} days"),
            };
            let from = sel.pointer("/window/start_utc").and_then(Value::as_str);
            from.map_or_else(|| format!("the last {length}"), |t| format!("the last {length} (from {t} UTC)"))
        }
        _ => match f(sel, "/window/share") {
            Some(share) => format!("{:.0}% of each customer's items", share * 100.0),
            None => s(sel, "/window/kind"),
        },
    }
}

fn recommend(m: &Value, fig: &Figures) -> Result<Value, String> {
    let bars: Vec<(String, f64)> = fig.by_source.iter().map(|(name, n)| (name.clone(), *n as f64)).collect();
    let chart = charts::bars(&bars, &count_tick)?;
    let sources: Vec<Value> = fig
        .by_source
        .iter()
        .map(|(name, n)| {
            let share = percent(share_of(*n, fig.recommendations));
            json!({"source": name, "rows": count_cell(&format!("source-{name}"), name, Some(*n as u64)), "share": share})
        })
        .collect();
    let top: Vec<Value> = fig
        .top
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"rank": i + 1, "item": t.item, "description": t.description,
                   "rows": count_cell(&format!("top-{i}"), "customers", Some(t.rows as u64)),
                   "share": percent(share_of(t.rows, fig.customers))})
        })
        .collect();
    let per_customer = u(m, "/parameters/recommend/per_customer");
    Ok(json!({
        "chart": chart, "sources": sources, "top": top, "per_customer": per_customer,
        "cells": [
            count_cell("with-recommendations", "customers with recommendations", Some(fig.with_recommendations as u64)),
            count_cell("fallback-only-customers", "customers with fallbacks only", Some(fig.fallback_only as u64)),
            count_cell("topped-up", "customers topped up by a fallback", u(m, "/reports/recommend/topped_up_customers")),
            count_cell("recommended-items", "distinct items recommended", Some(fig.recommended_items as u64)),
            cell("catalogue-coverage", "catalogue coverage", json!(share_of(fig.recommended_items, fig.items)),
                 percent(share_of(fig.recommended_items, fig.items))),
        ],
    }))
}

/// The drift section: `missing` (this manifest has no drift), `first` (nothing to compare
/// with), `unavailable` (a previous run, but nothing compared: its set unreadable; its note
/// says why — its zero counts read as "nothing changed"), or the figures with the note, if
/// any (how ids of two types were compared).
fn drift(m: &Value) -> Value {
    let Some(d) = m.pointer("/drift").filter(|v| v.is_object()) else {
        return json!({"state": "missing"});
    };
    if d.get("previous_run_id").is_none_or(Value::is_null) {
        return json!({"state": "first", "note": s(d, "/note")});
    }
    if d.get("changed_share").is_none_or(Value::is_null) {
        // the section says "not available" itself: the note's own prefix is not said twice
        let note = s(d, "/note");
        let note = note.strip_prefix("drift not available: ").map_or(note.clone(), str::to_string);
        return json!({"state": "unavailable", "previous": s(d, "/previous_run_id"), "note": note});
    }
    let share = f(d, "/changed_share");
    let overlap = f(d, "/mean_overlap");
    json!({
        "state": "present", "previous": s(d, "/previous_run_id"), "note": s(d, "/note"),
        "cells": [
            count_cell("drift-customers", "customers (today or previously)", u(d, "/customers")),
            count_cell("drift-kept", "kept", u(d, "/kept")),
            count_cell("drift-new", "new", u(d, "/new")),
            count_cell("drift-gone", "gone", u(d, "/gone")),
            count_cell("drift-changed", "lists changed", u(d, "/changed")),
            cell("drift-changed_share", "share changed", json!(share), share.map_or_else(na, percent)),
            cell("drift-mean_overlap", "mean overlap (kept)", json!(overlap), overlap.map_or_else(na, |v| format!("{v:.3}"))),
        ],
    })
}

/// A count axis's tick: whole numbers only. The axis of counts all 0 (a null audit with no
/// null) runs 0 to 1 in fifths, and rounded each tick read "0 0 1 1 1".
fn count_tick(x: f64) -> String {
    match (x - x.round()).abs() < 1e-9 {
        true => thousands(x.round() as u64),
        false => String::new(),
    }
}

/// A seconds axis's ticks, with as many decimals as a fifth of the longest bar needs: stages of
/// a few milliseconds read "0.01 s 0.01 s 0.01 s" at two.
fn seconds_ticks(bars: &[(String, f64)]) -> impl Fn(f64) -> String {
    let longest = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max);
    let step = if longest > 0.0 { longest / 5.0 } else { 0.2 };
    let decimals = (-step.log10()).ceil().clamp(0.0, 6.0) as usize;
    move |x| format!("{x:.decimals$} s")
}

fn stages(m: &Value) -> Result<Value, String> {
    let list = list(m, "/stages");
    let bars: Vec<(String, f64)> = list.iter().map(|st| (s(st, "/name"), f(st, "/seconds").unwrap_or(0.0))).collect();
    let chart = charts::bars(&bars, &seconds_ticks(&bars))?;
    let rows: Vec<Value> = list
        .iter()
        .map(|st| {
            let name = s(st, "/name");
            let secs = f(st, "/seconds");
            json!({
                "name": name,
                "seconds": cell(&format!("stage-{name}"), "seconds", json!(secs), secs.map_or_else(na, seconds)),
                "rows_in": u(st, "/rows_in").map(thousands), "rows_out": u(st, "/rows_out").map(thousands),
            })
        })
        .collect();
    let total: f64 = bars.iter().map(|b| b.1).sum();
    let mut out = Map::new();
    out.insert("chart".into(), json!(chart));
    out.insert("rows".into(), json!(rows));
    out.insert("total".into(), cell("stages-total", "total", json!(total), seconds(total)));
    out.insert("sharded".into(), json!(m.pointer("/sharded").is_some_and(|v| !v.is_null())));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod ticks {
    use super::*;

    /// Session 36: an all-zero count axis read "0 0 1 1 1" and millisecond stages "0.01 s" thrice.
    #[test]
    fn axis_ticks_are_distinct() {
        let counts: Vec<String> = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0].iter().map(|&x| count_tick(x)).collect();
        assert_eq!(counts, ["0", "", "", "", "", "1"]);
        assert_eq!(count_tick(2_000.0), "2,000");
        let fast = seconds_ticks(&[("ingest".into(), 0.012), ("pivot".into(), 0.004)]);
        let ticks: Vec<String> = [0.0, 0.003, 0.006, 0.009, 0.012].iter().map(|&x| fast(x)).collect();
        assert_eq!(ticks, ["0.000 s", "0.003 s", "0.006 s", "0.009 s", "0.012 s"]);
        assert_eq!(seconds_ticks(&[("select".into(), 40.0)])(10.0), "10 s");
    }
}
