//! Report charts as SVG, drawn on the server from the same lines a report
//! answers in JSON and CSV (docs/reports.md, "Charts"): one figure, one
//! breakdown. One row: a horizontal bar per key. Several rows: a column per
//! row, stacked by key (side by side would not fit a phone), except ratios,
//! which do not stack and are drawn one column per row and key.
//!
//! Every bar carries its figure as data (`data-period`, `data-key`,
//! `data-value`) and as visible text, so a reader, a screen reader and the
//! browser test see the numbers the API returned. Text is escaped: keys
//! can be reward names.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::figures::{Line, Unit};

/// Series colours, colour-blind safe (Okabe–Ito), cycled.
const COLOURS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

/// The `i`th series colour.
fn colour(i: usize) -> &'static str {
    COLOURS.get(i % COLOURS.len()).copied().unwrap_or("#000000")
}

const WIDTH: i64 = 640;
const LABEL: i64 = 150;
const BAR: i64 = 22;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How a line's value reads.
fn shown(line: &Line) -> String {
    match (line.unit, line.value) {
        (_, None) => "–".into(),
        (Unit::Ratio, Some(_)) => format!("{}%", line.percent.as_deref().unwrap_or("")),
        (_, Some(v)) => v.to_string(),
    }
}

fn bar_attrs(line: &Line) -> String {
    format!(
        r#"data-period="{}" data-key="{}" data-value="{}""#,
        escape(&line.period),
        escape(&line.key),
        line.value.map_or(String::new(), |v| v.to_string())
    )
}

/// The chart of `lines` (one figure, one breakdown), titled `title`.
pub fn svg(title: &str, lines: &[&Line]) -> String {
    let mut periods: Vec<&str> = Vec::new();
    let mut keys: Vec<&str> = Vec::new();
    for l in lines {
        if !periods.contains(&l.period.as_str()) {
            periods.push(&l.period);
        }
        if !keys.contains(&l.key.as_str()) {
            keys.push(&l.key);
        }
    }
    let ratio = lines.iter().any(|l| l.unit == Unit::Ratio);
    let body = if lines.is_empty() {
        (
            24,
            r#"<text x="0" y="16" font-size="12">Nothing to show for this period.</text>"#
                .to_string(),
        )
    } else if periods.len() <= 1 || ratio {
        bars(lines)
    } else {
        columns(&periods, &keys, lines)
    };
    let (height, content) = body;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" width="100%" role="img" aria-labelledby="t" class="figure-chart"><title id="t">{t}</title>"#,
        h = height + 30,
        t = escape(title)
    );
    let _ = write!(
        out,
        r#"<text x="0" y="16" font-size="14" font-weight="bold">{}</text><g transform="translate(0,30)">{content}</g></svg>"#,
        escape(title)
    );
    out
}

/// One horizontal bar per line: label, bar, value.
fn bars(lines: &[&Line]) -> (i64, String) {
    let max = lines
        .iter()
        .filter_map(|l| l.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let several = lines
        .iter()
        .any(|l| l.period != lines.first().map_or("", |f| &f.period));
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let y = i64::try_from(i).unwrap_or(0) * (BAR + 6);
        let w = l.value.unwrap_or(0).max(0) * (WIDTH - LABEL - 70) / max;
        let label = if several {
            format!("{} {}", l.period, l.key)
        } else {
            l.key.clone()
        };
        let _ = write!(
            out,
            r#"<g class="bar" {a}><text x="0" y="{ty}" font-size="12">{label}</text><rect x="{LABEL}" y="{y}" width="{w}" height="{BAR}" fill="{c}"/><text x="{tx}" y="{ty}" font-size="12">{v}</text></g>"#,
            a = bar_attrs(l),
            ty = y + 15,
            label = escape(&label),
            c = colour(i),
            tx = LABEL + w + 6,
            v = escape(&shown(l)),
        );
    }
    (i64::try_from(lines.len()).unwrap_or(0) * (BAR + 6), out)
}

/// A column per period, stacked by key, with a legend.
fn columns(periods: &[&str], keys: &[&str], lines: &[&Line]) -> (i64, String) {
    const PLOT: i64 = 200;
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for l in lines {
        *totals.entry(&l.period).or_default() += l.value.unwrap_or(0).max(0);
    }
    let max = totals.values().copied().max().unwrap_or(0).max(1);
    let n = i64::try_from(periods.len()).unwrap_or(1).max(1);
    let step = (WIDTH - 40) / n;
    let width = (step - 4).max(2);
    let mut out = String::new();
    for (pi, period) in periods.iter().enumerate() {
        let x = 40 + i64::try_from(pi).unwrap_or(0) * step;
        let mut top = PLOT;
        for (ki, key) in keys.iter().enumerate() {
            let Some(l) = lines.iter().find(|l| l.period == *period && l.key == *key) else {
                continue;
            };
            let h = l.value.unwrap_or(0).max(0) * PLOT / max;
            top -= h;
            let _ = write!(
                out,
                r#"<rect class="bar" {a} x="{x}" y="{top}" width="{width}" height="{h}" fill="{c}"><title>{t}</title></rect>"#,
                a = bar_attrs(l),
                c = colour(ki),
                t = escape(&format!("{period} {key}: {}", shown(l))),
            );
        }
        let total = totals.get(period).copied().unwrap_or(0);
        let _ = write!(
            out,
            r#"<text x="{x}" y="{ty}" font-size="10">{total}</text>"#,
            ty = top - 3
        );
        // Label at most eight rows, evenly, so labels never overlap on a phone.
        if pi % usize::try_from((n + 7) / 8).unwrap_or(1).max(1) == 0 {
            let _ = write!(
                out,
                r#"<text x="{x}" y="{ly}" font-size="10">{p}</text>"#,
                ly = PLOT + 14,
                p = escape(period)
            );
        }
    }
    let mut y = PLOT + 34;
    for (ki, key) in keys.iter().enumerate() {
        let _ = write!(
            out,
            r#"<rect x="0" y="{ry}" width="12" height="12" fill="{c}"/><text x="18" y="{y}" font-size="12">{k}</text>"#,
            ry = y - 10,
            c = colour(ki),
            k = escape(key)
        );
        y += 18;
    }
    (y, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::TOTAL;
    use crate::reports::{Row, Window};

    fn row(label: &str) -> Row {
        Row {
            label: label.into(),
            window: Window {
                from: chrono::DateTime::UNIX_EPOCH,
                to: chrono::DateTime::UNIX_EPOCH,
            },
        }
    }

    #[test]
    fn one_row_is_a_bar_per_key_with_its_value_as_data_and_text() {
        let r = row(TOTAL);
        let a = Line::amount(&r, "backlog", "age", "0-24h", Unit::Count, Some(3));
        let b = Line::amount(&r, "backlog", "age", "<script>", Unit::Count, Some(1));
        let s = svg("Backlog & age", &[&a, &b]);
        assert!(
            s.contains(r#"data-period="total" data-key="0-24h" data-value="3""#),
            "{s}"
        );
        assert!(s.contains(">3</text>"));
        assert!(s.contains("Backlog &amp; age"));
        assert!(s.contains("&lt;script&gt;") && !s.contains("<script>"));
        assert_eq!(s.matches(r#"class="bar""#).count(), 2);
    }

    #[test]
    fn an_empty_chart_says_so() {
        assert!(svg("SLA", &[]).contains("Nothing to show for this period."));
    }

    #[test]
    fn several_rows_stack_by_key_and_ratios_show_percent() {
        let (w1, w2) = (row("2026-W47"), row("2026-W48"));
        let lines = [
            Line::amount(&w1, "vip_members", "tier", "gold", Unit::Count, Some(2)),
            Line::amount(&w1, "vip_members", "tier", "silver", Unit::Count, Some(5)),
            Line::amount(&w2, "vip_members", "tier", "gold", Unit::Count, Some(3)),
        ];
        let refs: Vec<&Line> = lines.iter().collect();
        let s = svg("Tier mix", &refs);
        assert_eq!(s.matches(r#"class="bar""#).count(), 3);
        assert!(s.contains(r#"data-period="2026-W48" data-key="gold" data-value="3""#));
        assert!(s.contains(">7</text>"), "the week's total: {s}");
        let ratio = Line::ratio(&w1, "resolution_sla", "priority", "high", 1, 2);
        assert!(svg("SLA", &[&ratio]).contains(">50.0%</text>"));
    }
}
