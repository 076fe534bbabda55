"""The report as one HTML page: inline style and SVG, nothing loaded from anywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from . import svg
from .figures import BarChart, FlowMatrix, MonthlyChart, Report, TeamTable

STYLE = """
body { margin: 0; background: #f3f4f6; color: #1f2937;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 920px; margin: 0 auto; padding: 24px 20px 48px; }
header p { margin: 4px 0; color: #4b5563; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; }
.headlines { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin-top: 18px; }
.headline { background: #fff; border-radius: 8px; padding: 10px 12px; }
.headline b { display: block; font-size: 22px; }
.headline span { color: #4b5563; font-size: 12px; display: block; }
.headline em { color: #6b7280; font-size: 11px; font-style: normal; }
.headline.suppressed b { color: #6b7280; font-size: 15px; }
figure { background: #fff; border-radius: 8px; margin: 0 0 14px; padding: 14px 20px 10px; }
figcaption h3 { font-size: 15px; margin: 0; }
figcaption p { margin: 2px 0 8px; color: #4b5563; font-size: 12px; }
figure > p { margin: 6px 0 0; color: #6b7280; font-size: 12px; }
svg.chart { display: block; max-width: 100%; height: auto; }
footer { margin-top: 32px; color: #6b7280; font-size: 12px; }
"""


def render(
    report: Report,
    generated_at: dt.datetime,
    more_sections: Sequence[str] = (),
    more_style: str = "",
) -> str:
    """The page; `more_sections` (HTML `<section>`s, styled by `more_style`) follow the
    report's own sections (people_page's calibration, managers, departments, leavers)."""
    period = report.period.label
    reach = report.reach
    loaded = f"{reach.loaded_at:%d %b %Y %H:%M} UTC" if reach.loaded_at else "unknown"
    partial = ""
    if report.partial_month:
        partial = (
            f" {report.partial_month:%B %Y} is partial (the data reaches {reach.day:%d %b}): "
            "the charts draw it pale and dashed, and the headlines leave it out."
        )
    body = [
        "<header>",
        "<h1>Engagement report</h1>",
        f"<p><strong>Period:</strong> {escape(period)}, complete calendar months (UTC)."
        f"{escape(partial)}</p>",
        f"<p><strong>Headlines:</strong> {escape(report.headline_period.label)}, each against "
        f"{escape(report.headline_period.previous.label)}, the period of equal length before."
        "</p>",
        f'<p class="reach" data-reach="{reach.latest_activity.isoformat()}">'
        f"<strong>Data reaches</strong> {reach.latest_activity:%d %b %Y %H:%M} UTC (the latest "
        f"activity loaded); <strong>loaded</strong> {escape(loaded)}.</p>",
        "<p>Organisation and team figures only. Any figure that rests on fewer than "
        f"<strong>{report.floor}</strong> people (the privacy floor, "
        "<code>min_group_size</code>) is withheld and drawn hatched, as is a figure over no "
        "one: a hatched figure does not say whether anything happened.</p>",
        '<div class="headlines">',
        *(_headline(headline, report) for headline in report.headlines),
        "</div>",
        "</header>",
    ]
    for title, charts in report.sections:
        body.append(f"<section><h2>{escape(title)}</h2>")
        body += [_figure(chart, report) for chart in charts]
        body.append("</section>")
    body += more_sections
    body.append(
        "<footer>Every figure is a metric of the dbt semantic layer "
        "(<code>dbt_project/models/semantic/</code>); <code>mf list metrics</code> describes "
        f"them. Data to {reach.latest_activity:%Y-%m-%d %H:%M} UTC, loaded {escape(loaded)}; "
        f"generated {generated_at:%Y-%m-%d %H:%M} UTC.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # Nothing on the page may be fetched: no script, font, style or image from anywhere.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>Engagement report, {escape(period)}</title><style>{STYLE}{more_style}</style>"
        "</head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _headline(headline, report: Report) -> str:
    attributes = f'data-metric="{escape(headline.key)}"'
    if headline.value.suppressed:
        return (
            f'<div class="headline suppressed" {attributes}><b>withheld</b>'
            f"<span>{escape(headline.label)}</span></div>"
        )
    value = svg.format_number(headline.value.value, headline.number)
    attributes += f' data-value="{headline.value.value!r}"'
    previous = report.headline_period.previous.label
    if headline.change is None:
        change = f"no figure for {previous}"
    else:
        change = f"{svg.format_change(headline.change, headline.number)} vs {previous}"
        attributes += f' data-previous="{headline.previous.value!r}"'
    target = report.targets.get(headline.key)
    if target is not None:
        change += f" · target {svg.format_number(target, headline.number)}"
    return (
        f'<div class="headline" {attributes}><b>{escape(value)}</b>'
        f"<span>{escape(headline.label)}</span><em>{escape(change)}</em></div>"
    )


def _figure(chart, report: Report) -> str:
    period = report.period.label
    match chart:
        case MonthlyChart() if not chart.partial_to:
            drawing, caption = svg.monthly_chart(chart), f"{chart.unit}, by month, {period}"
        case BarChart():
            drawing, caption = svg.bar_chart(chart), f"{chart.unit}, {period}"
        case TeamTable():
            drawing = svg.team_table(chart, report.floor)
            caption = f"{chart.unit}, {period}; * some months left out under the privacy floor"
        case MonthlyChart() if chart.partial_to:
            drawing = svg.monthly_chart(chart)
            caption = f"{chart.unit}, by month, {period} and {chart.months[-1]:%B %Y} (partial)"
        case FlowMatrix():
            drawing, caption = svg.flow_matrix(chart), f"{chart.unit}, {period}"
            if chart.hidden_teams:
                caption += (
                    f"; the {len(chart.teams)} with the most feedback"
                    f" ({chart.hidden_teams} more not shown)"
                )
        case _:
            raise TypeError(f"no drawing for {type(chart).__name__}")
    return (
        f'<figure id="{escape(chart.key)}"><figcaption><h3>{escape(chart.title)}</h3>'
        f"<p>{escape(caption)}</p></figcaption>"
        + ("<p>No data in the period.</p>" if _is_empty(chart) else drawing)
        + (f"<p>{escape(chart.note)}</p>" if chart.note else "")
        + "</figure>"
    )


def _is_empty(chart) -> bool:
    if isinstance(chart, MonthlyChart):
        return not any(v.value is not None or v.suppressed for s in chart.series for v in s.values)
    if isinstance(chart, BarChart):
        return not chart.bars
    if isinstance(chart, TeamTable):
        return not chart.rows
    return not chart.cells
