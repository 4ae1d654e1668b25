//! What a report request asks (period, rows, `as_of`, format, breakdown)
//! and how a report answers: JSON, CSV with a header row, or one figure's
//! chart as SVG (`vip_domain::chart`).

use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::figures::{Line, ReportsProgram, TOTAL};
use vip_domain::reports::{resolve, PeriodQuery, Periods, Row};
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::reports::PROGRAM;

/// How the answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    /// The chart of one figure (`figure=`) by one breakdown.
    Svg,
}

/// Which figures a request needs computed: all of them, or only some (the
/// one a chart draws, the summary's key figures): nothing else is read.
#[derive(Debug, Clone, Copy)]
pub struct Want<'a>(Option<&'a [&'a str]>);

impl<'a> Want<'a> {
    pub fn only(figures: &'a [&'a str]) -> Self {
        Want(Some(figures))
    }

    /// Whether any of `figures` is wanted.
    pub fn any(&self, figures: &[&str]) -> bool {
        self.0
            .is_none_or(|wanted| wanted.iter().any(|w| figures.contains(w)))
    }
}

/// A parsed report request.
pub struct Ask {
    pub as_of: chrono::DateTime<chrono::Utc>,
    pub periods: Periods,
    pub program: ReportsProgram,
    format: Format,
    /// Only this breakdown's lines (and the totals), if given.
    breakdown: Option<String>,
    /// The figure to chart (SVG).
    figure: Option<&'static str>,
}

impl Ask {
    /// The figures to compute.
    pub fn want(&self) -> Want<'_> {
        Want(self.figure.as_ref().map(std::slice::from_ref))
    }

    /// The whole window as one row (figures that are not cut by rows:
    /// cohorts, stock alerts).
    pub fn whole(&self) -> Row {
        Row {
            label: TOTAL.into(),
            window: self.periods.window.clone(),
        }
    }
}

/// Reads the request: `period` or `from`/`to`, `by`, `as_of`, `format`
/// (or `Accept: text/csv`), `breakdown` (one of `breakdowns`), `figure`
/// (one of `definitions`, for a chart). Every mistake is a 400 naming its
/// parameter.
pub fn ask(
    ctx: &Ctx<'_>,
    db: &Db,
    breakdowns: &[&str],
    definitions: &'static [(&'static str, &'static str)],
) -> Result<Ask, Problem> {
    let as_of = ctx.as_of()?;
    let program = PROGRAM.load(db, ctx.now)?.document;
    let format = match ctx.query("format") {
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("svg") => Format::Svg,
        Some(_) => return Err(Problem::field("format", "must be json, csv or svg")),
        None if ctx.header("accept").is_some_and(|a| a.contains("text/csv")) => Format::Csv,
        None => Format::Json,
    };
    let breakdown = match ctx.query("breakdown") {
        Some(b) if b == TOTAL || breakdowns.contains(&b) => Some(b.to_string()),
        Some(_) => {
            return Err(Problem::field(
                "breakdown",
                format!("must be one of: {TOTAL}, {}", breakdowns.join(", ")),
            ))
        }
        None => None,
    };
    let figure = match (ctx.query("figure"), format) {
        (Some(f), Format::Svg) => {
            let names = definitions.iter().map(|(d, _)| *d);
            let known = names.clone().find(|d| *d == f);
            Some(known.ok_or_else(|| {
                Problem::field(
                    "figure",
                    format!("must be one of: {}", names.collect::<Vec<_>>().join(", ")),
                )
            })?)
        }
        (None, Format::Svg) => {
            return Err(Problem::field(
                "figure",
                "a chart (format=svg) needs a figure",
            ))
        }
        (Some(_), _) => return Err(Problem::field("figure", "only with format=svg")),
        (None, _) => None,
    };
    let q = PeriodQuery {
        period: ctx.query("period"),
        from: ctx.query("from"),
        to: ctx.query("to"),
        by: ctx.query("by"),
    };
    let max_rows = usize::try_from(program.max_rows).unwrap_or(usize::MAX);
    let periods = resolve(&q, as_of, program.zone, max_rows).map_err(Problem::validation)?;
    Ok(Ask {
        as_of,
        periods,
        program,
        format,
        breakdown,
        figure,
    })
}

/// A report as answered in JSON.
#[derive(Serialize)]
struct Report<'a> {
    report: &'a str,
    as_of: String,
    zone: &'a str,
    from: String,
    to: String,
    rows: Vec<&'a str>,
    /// How each figure is computed.
    definitions: serde_json::Map<String, serde_json::Value>,
    lines: Vec<&'a Line>,
}

/// Answers `lines` of report `name` in the format asked, with `definitions`
/// (figure, how it is computed) for the figures present.
pub fn answer(
    name: &str,
    ask: &Ask,
    lines: &[Line],
    definitions: &[(&str, &str)],
) -> Result<Response, Problem> {
    let kept: Vec<&Line> = lines
        .iter()
        .filter(|l| {
            ask.breakdown
                .as_deref()
                .is_none_or(|b| l.breakdown == TOTAL || l.breakdown == b)
        })
        .collect();
    match ask.format {
        Format::Json => Ok(vip_kit::json(
            200,
            &Report {
                report: name,
                as_of: timestamp_text(ask.as_of),
                zone: ask.program.zone.name(),
                from: timestamp_text(ask.periods.window.from),
                to: timestamp_text(ask.periods.window.to),
                rows: ask.periods.rows.iter().map(|r| r.label.as_str()).collect(),
                definitions: definitions
                    .iter()
                    .map(|(f, d)| ((*f).to_string(), serde_json::Value::from(*d)))
                    .collect(),
                lines: kept,
            },
        )),
        Format::Svg => {
            let figure = ask.figure.unwrap_or_default();
            let breakdown = ask.breakdown.as_deref().unwrap_or(TOTAL);
            let charted: Vec<&Line> = lines
                .iter()
                .filter(|l| l.figure == figure && l.breakdown == breakdown)
                .collect();
            let title = match breakdown {
                TOTAL => figure.replace('_', " "),
                b => format!("{} by {}", figure.replace('_', " "), b.replace('_', " ")),
            };
            Ok(Response::builder()
                .status(200)
                .header("content-type", "image/svg+xml")
                .body(vip_domain::chart::svg(&title, &charted))
                .build())
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for line in kept {
                w.serialize(line).map_err(Problem::internal)?;
            }
            let body = w.into_inner().map_err(Problem::internal)?;
            // An empty report still has its header row.
            let body = if body.is_empty() {
                CSV_HEADER.as_bytes().to_vec()
            } else {
                body
            };
            Ok(Response::builder()
                .status(200)
                .header("content-type", "text/csv; charset=utf-8")
                .header(
                    "content-disposition",
                    format!(
                        "attachment; filename=\"{name}-{}.csv\"",
                        ask.as_of.format("%Y%m%dT%H%M%SZ")
                    ),
                )
                .body(body)
                .build())
        }
    }
}

/// The CSV columns: a `Line`'s fields.
const CSV_HEADER: &str = "period,from,to,figure,breakdown,key,unit,value,part,whole,percent\n";

#[cfg(test)]
mod tests {
    use vip_domain::figures::{Line, Unit};
    use vip_domain::reports::{Row, Window};

    #[test]
    fn the_csv_header_is_the_lines_fields() {
        let row = Row {
            label: "total".into(),
            window: Window {
                from: chrono::DateTime::UNIX_EPOCH,
                to: chrono::DateTime::UNIX_EPOCH,
            },
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.serialize(Line::total(&row, "x", Unit::Count, 1)).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), super::CSV_HEADER.trim_end());
    }
}
