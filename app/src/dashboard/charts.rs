//! The clinic dashboard's charts (issue 16, item 1): referral volume by
//! week, time to placement (median and 90th percentile), decline reasons,
//! visit completion and EVV exceptions, over a date range chosen with a
//! plain GET form.
//!
//! Charts are SVG drawn on the server: no charting script reaches the
//! phone, and every chart is followed by the same figures as a table, the
//! alternative screen-reader users (and anyone who wants the numbers)
//! read. Figures are counts over the clinic's own rows, read in its tenant
//! transaction; no patient is named, so reading them is not a PHI read.

use crate::error::{AppError, FieldError};
use app_macros::rpc;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

/// The default range: the last twelve weeks.
pub const DEFAULT_DAYS: i64 = 84;
/// The longest range one view covers.
pub const MAX_DAYS: i64 = 731;

/// One labelled figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub label: String,
    pub value: i64,
}

/// Hours from a referral's arrival to its acceptance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub placed: i64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicCharts {
    pub from: Date,
    pub to: Date,
    /// Referrals received per week (the week's Monday as the label).
    pub weekly: Vec<Bar>,
    pub placement: Placement,
    pub declines: Vec<Bar>,
    /// Visits in the range by status.
    pub visits: Vec<Bar>,
    /// Check-ins and check-outs recorded without a device location, by
    /// the reason given.
    pub evv_exceptions: Vec<Bar>,
    /// Completed visits whose EVV record is not complete (they never pay).
    pub evv_incomplete: i64,
}

/// Checks the range typed into the form; blanks take the default.
pub fn parse_range(from: &str, to: &str, today: Date) -> Result<(Date, Date), AppError> {
    let mut errors = Vec::new();
    let mut date = |field: &str, raw: &str| {
        let raw = raw.trim();
        if raw.is_empty() {
            return Some(None);
        }
        match crate::domain::parse_date(raw) {
            Some(d) => Some(Some(d)),
            None => {
                errors.push(FieldError::new(field, "Enter the date as YYYY-MM-DD."));
                None
            }
        }
    };
    let (from, to) = (date("from", from), date("to", to));
    let (Some(from), Some(to)) = (from, to) else {
        return Err(errors.into());
    };
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
    if to < from {
        return Err(AppError::invalid("to", "The end is before the start."));
    }
    if (to - from).whole_days() >= MAX_DAYS {
        return Err(AppError::invalid(
            "from",
            "Choose at most two years; export the data for longer spans.",
        ));
    }
    Ok((from, to))
}

/// The charts for the principal's clinic over `from`..=`to` (blank: the
/// last twelve weeks).
#[rpc(prefix = "/rpc", endpoint = "dashboard/charts")]
pub async fn get_clinic_charts(
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<ClinicCharts, AppError> {
    use crate::auth::Role;
    let today = time::OffsetDateTime::now_utc().date();
    let (from, to) = parse_range(&from, &to, today)?;
    let mut tx = crate::auth::require(&[Role::ClinicAdmin, Role::ClinicStaff]).await?;
    let charts = super::repo::clinic_charts(&mut tx, from, to).await?;
    tx.commit().await?;
    Ok(charts)
}

/// "3.5 h", "2.1 days".
pub fn format_hours(hours: f64) -> String {
    if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// A horizontal bar chart with its data table. Bars scale to the largest
/// value; each bar carries its figure as text, so the chart reads without
/// colour.
#[component]
pub fn BarChart(
    /// The heading's id (names the figure and the table).
    id: &'static str,
    title: &'static str,
    /// The column heading of the values ("Referrals").
    unit: &'static str,
    bars: Vec<Bar>,
    #[prop(optional)] empty: Option<&'static str>,
) -> impl IntoView {
    const ROW: i64 = 28;
    const LABEL: i64 = 150;
    const WIDTH: i64 = 480;
    let total: i64 = bars.iter().map(|b| b.value).sum();
    let heading = view! { <h3 id=id>{title}</h3> };
    if bars.is_empty() || total == 0 {
        let text = empty.unwrap_or("Nothing in this range.");
        return view! { {heading} <p class="empty">{text}</p> }.into_any();
    }
    let max = bars.iter().map(|b| b.value).max().unwrap_or(1).max(1);
    let height = ROW * bars.len() as i64;
    let summary = format!(
        "{title}: {}",
        bars.iter()
            .map(|b| format!("{} {}", b.label, b.value))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows = bars.clone();
    view! {
        {heading}
        <figure class="chart" data-testid=id>
            <svg
                role="img"
                aria-label=summary
                viewBox=format!("0 0 {WIDTH} {height}")
                width="100%"
                preserveAspectRatio="xMinYMin meet"
            >
                {bars.into_iter().enumerate().map(|(i, b)| {
                    let y = ROW * i as i64;
                    let w = (b.value * (WIDTH - LABEL - 50)) / max;
                    view! {
                        <g>
                            <text x="0" y=y + 18 class="chart__label">{b.label.clone()}</text>
                            <rect x=LABEL y=y + 5 width=w.max(1) height=ROW - 10 class="chart__bar" rx="2"/>
                            <text x=LABEL + w + 6 y=y + 18 class="chart__value">{b.value}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
            <details class="chart__data">
                <summary>"Show the figures as a table"</summary>
                <table class="table table--compact" aria-labelledby=id>
                    <thead><tr><th scope="col">"Label"</th><th scope="col">{unit}</th></tr></thead>
                    <tbody>
                        {rows.into_iter().map(|b| view! {
                            <tr><th scope="row">{b.label}</th><td>{b.value}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
    .into_any()
}

/// The reports section of the clinic dashboard: the range form and the
/// charts.
pub fn charts_view(c: ClinicCharts) -> impl IntoView {
    let placement = match (c.placement.median_hours, c.placement.p90_hours) {
        (Some(median), Some(p90)) => format!(
            "{} referrals placed: median {}, 90th percentile {}.",
            c.placement.placed,
            format_hours(median),
            format_hours(p90)
        ),
        _ => "No referral was placed in this range.".to_owned(),
    };
    view! {
        <section class="section" aria-labelledby="reports-heading">
            <h2 id="reports-heading">"Reports"</h2>
            <form method="get" action="/clinic" class="form form--inline" aria-label="Report dates">
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" value=c.from.to_string()/>
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=c.to.to_string()/>
                </div>
                <button type="submit" class="button">"Show"</button>
            </form>
            <div class="charts">
                <BarChart id="chart-referrals" title="Referrals received by week" unit="Referrals" bars=c.weekly/>
                <div>
                    <h3 id="chart-placement">"Time to placement"</h3>
                    <p data-testid="placement">{placement}</p>
                </div>
                <BarChart id="chart-declines" title="Decline reasons" unit="Referrals" bars=c.declines
                    empty="No referral was declined in this range."/>
                <BarChart id="chart-visits" title="Visits by outcome" unit="Visits" bars=c.visits
                    empty="No visits in this range."/>
                <BarChart id="chart-evv" title="EVV exceptions" unit="Check-ins and check-outs" bars=c.evv_exceptions
                    empty="No EVV exceptions in this range."/>
                <p data-testid="evv-incomplete">
                    {format!("{} completed visits without a complete EVV record (these never pay out).", c.evv_incomplete)}
                </p>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn blanks_are_the_last_twelve_weeks_and_bad_ranges_are_named() {
        let today = date!(2026 - 11 - 30);
        assert_eq!(
            parse_range("", "", today).unwrap(),
            (date!(2026 - 09 - 08), today)
        );
        assert_eq!(
            parse_range("2026-01-01", "2026-02-01", today).unwrap(),
            (date!(2026 - 01 - 01), date!(2026 - 02 - 01))
        );
        let field = |e: AppError| match e {
            AppError::Validation { fields } => fields[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(parse_range("x", "", today).unwrap_err()), "from");
        assert_eq!(
            field(parse_range("2026-02-01", "2026-01-01", today).unwrap_err()),
            "to"
        );
        assert_eq!(
            field(parse_range("2020-01-01", "", today).unwrap_err()),
            "from"
        );
    }

    #[test]
    fn hours_read_as_hours_then_days() {
        assert_eq!(format_hours(3.54), "3.5 h");
        assert_eq!(format_hours(72.0), "3.0 days");
    }
}
