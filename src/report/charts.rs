//! report.html's charts: plotters' SVG backend drawing into a string, inlined in the page.
//!
//! Two shapes cover every chart of the report: horizontal bars with a text label each (nulls
//! per column, rows after each cleaning rule, rows by source, seconds per stage) and a
//! histogram over fixed bins (the neighbours' similarity). Text is written as SVG `<text>`
//! (escaped by plotters) and sized by plotters' estimate without `ttf`, so no font file is read.
//! plotters writes a `viewBox`, so the page's CSS scales each chart to its column.

use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::RangedCoordusize;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Bars' colour: a blue that prints well in grey.
const BAR: RGBColor = RGBColor(46, 104, 166);
/// Width of the charts, in SVG units: about the page column they sit in at 1280 px, so their
/// text prints at about the page's size (the page scales them to their column).
const WIDTH: u32 = 600;
const HISTOGRAM_WIDTH: u32 = 540;
const FONT: (&str, u32) = ("sans-serif", 17);
/// Characters of a bar's label shown (the table beside the chart has the whole name).
const LABEL: usize = 28;

/// One histogram bin: `[lo, hi)` and its count.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: usize,
}

type Drawn = Result<(), String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Horizontal bars, one per `(label, value)`, values labelled on the axis by `axis`.
pub fn bars(rows: &[(String, f64)], axis: &dyn Fn(f64) -> String) -> Result<String, String> {
    let n = rows.len().max(1);
    let height = 40 + 26 * n as u32;
    let longest = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(4).min(LABEL + 1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw_bars(&root, rows, axis, 16 + 9 * longest as u32)?;
        root.present().map_err(err)?;
    }
    Ok(inline(svg))
}

fn draw_bars(
    root: &DrawingArea<SVGBackend, Shift>,
    rows: &[(String, f64)],
    axis: &dyn Fn(f64) -> String,
    label_width: u32,
) -> Drawn {
    root.fill(&WHITE).map_err(err)?;
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let top = if max > 0.0 { max * 1.08 } else { 1.0 };
    let n = rows.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .margin_right(24)
        .margin_top(6)
        .x_label_area_size(28)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..top, segments(n))
        .map_err(err)?;
    // plotters counts segments from the bottom: row i is drawn at n - 1 - i, first on top
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(at) if *at < n => rows.get(n - 1 - at).map(|r| short(&r.0, LABEL)).unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .y_labels(n)
        .y_label_formatter(&label)
        .x_labels(5)
        .x_label_formatter(&|x| axis(*x))
        .label_style(FONT)
        .draw()
        .map_err(err)?;
    let rects = rows.iter().enumerate().map(|(i, (_, v))| {
        let at = n - 1 - i;
        let mut r = Rectangle::new([(0.0, SegmentValue::Exact(at)), (*v, SegmentValue::Exact(at + 1))], BAR.filled());
        r.set_margin(4, 4, 0, 0);
        r
    });
    chart.draw_series(rects).map_err(err)?;
    Ok(())
}

/// The y axis of `n` bars. An integer range is inclusive in plotters: `0..n - 1` makes the n
/// segments; one bar gets two (a range of one value has no width, and its bar a negative
/// height), the upper one left empty.
fn segments(n: usize) -> SegmentedCoord<RangedCoordusize> {
    (0..(n - 1).max(1)).into_segmented()
}

/// A histogram of `bins` (equal widths, in order), the x axis labelled by the bins' edges.
pub fn histogram(bins: &[Bin], x_label: &str) -> Result<String, String> {
    let height = 280;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (HISTOGRAM_WIDTH, height)).into_drawing_area();
        draw_histogram(&root, bins, x_label)?;
        root.present().map_err(err)?;
    }
    Ok(inline(svg))
}

fn draw_histogram(root: &DrawingArea<SVGBackend, Shift>, bins: &[Bin], x_label: &str) -> Drawn {
    root.fill(&WHITE).map_err(err)?;
    let (lo, hi) = match (bins.first(), bins.last()) {
        (Some(f), Some(l)) if l.hi > f.lo => (f.lo, l.hi),
        _ => (0.0, 1.0),
    };
    let max = bins.iter().map(|b| b.count).max().unwrap_or(0) as f64;
    let top = if max > 0.0 { max * 1.08 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .margin_right(24)
        .margin_top(6)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(lo..hi, 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| super::thousands(y.round() as u64))
        .x_desc(x_label)
        .y_desc("count")
        .label_style(FONT)
        .axis_desc_style(FONT)
        .draw()
        .map_err(err)?;
    let rects = bins.iter().map(|b| {
        let mut r = Rectangle::new([(b.lo, 0.0), (b.hi, b.count as f64)], BAR.filled());
        r.set_margin(0, 0, 1, 1);
        r
    });
    chart.draw_series(rects).map_err(err)?;
    Ok(())
}

/// A label cut to `max` characters (a long column name or description must not push the bars
/// off the chart; the tables beside the charts show it whole).
fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The SVG as inline markup: the `xmlns` plotters writes is a name, not a request, but an
/// inline `<svg>` needs none and the page then names no http(s) URL at all.
fn inline(svg: String) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_an_svg_with_escaped_labels() {
        let rows = vec![("<script>alert(1)</script>".to_string(), 3.0), ("b".to_string(), 0.0)];
        let svg = bars(&rows, &|x| format!("{x:.0}")).unwrap();
        assert!(svg.starts_with("<svg width=\"600\" height=\"92\" viewBox=\"0 0 600 92\""), "{svg}");
        assert!(!svg.contains("http"), "{svg}");
        assert!(!svg.contains("<script>"), "{svg}");
        // each label once, no empty segment (issue 17: `0..n` made n + 1 segments, and the first
        // row's label was drawn twice)
        assert_eq!(svg.matches("&lt;script&gt;").count(), 1, "{svg}");
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    #[test]
    fn one_bar_or_none_draws_no_negative_size() {
        for rows in [vec![("neighbours".to_string(), 43390.0)], vec![]] {
            let svg = bars(&rows, &|x| format!("{x:.0}")).unwrap();
            assert!(!svg.contains("=\"-"), "{svg}");
        }
    }

    #[test]
    fn a_histogram_of_no_rows_still_draws() {
        let svg = histogram(&[], "similarity").unwrap();
        assert!(svg.contains("viewBox="));
        let bins = [Bin { lo: 0.0, hi: 0.5, count: 2 }, Bin { lo: 0.5, hi: 1.0, count: 1 }];
        assert!(histogram(&bins, "similarity").unwrap().contains("<rect"));
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(short("abcdef", 3), "abc…");
        assert_eq!(short("abc", 3), "abc");
        assert_eq!(short("ééé", 2), "éé…");
    }
}
