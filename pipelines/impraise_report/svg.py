"""Inline SVG charts for the report: no script, no font, nothing fetched.

Each chart is an `<svg class="chart" data-chart="<key>">`; every drawn figure (a point, a
bar, a cell) carries the class `mark`, and a withheld one the class `suppressed` as well,
drawn hatched, so a reader (and a test) can tell shown and withheld apart. Each mark names
the figures it draws in `data-cells` (`month|series`, `label`, `team|column`,
`giver|receiver`, separated by `;`), for the tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape

from .figures import BarChart, FlowMatrix, MonthlyChart, TeamTable, Value

WIDTH = 880
NO_VALUE = "\N{EN DASH}"
COLOURS = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6")
INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"
# the flow matrix's scale, from a single item to the largest flow
LIGHTEST, DARKEST = (219, 234, 254), (30, 58, 138)


def format_number(value: float | None, number: str) -> str:
    """A value as the report prints it; `number` is percent, count, decimal or days."""
    if value is None:
        return NO_VALUE
    if number == "percent":
        return f"{value * 100:.0f}%"
    if number == "count":
        return f"{value:,.0f}"
    if number == "days":
        return f"{value:,.1f} days"
    return f"{value:,.2f}"


def format_change(change: float, number: str) -> str:
    """A change between two periods: points for percentages, as the figure otherwise."""
    sign = "+" if change > 0 else "\N{MINUS SIGN}" if change < 0 else "\N{PLUS-MINUS SIGN}"
    if number == "percent":
        return f"{sign}{abs(change) * 100:.0f} pts"
    return sign + format_number(abs(change), number)


def monthly_chart(chart: MonthlyChart) -> str:
    height, left, right, top, bottom = 250, 56, 16, 34, 34
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    band = plot_width / len(chart.months)
    if chart.kind == "stacked":
        totals = [
            sum(series.values[i].value or 0 for series in chart.series)
            for i in range(len(chart.months))
        ]
    else:
        totals = [value.value or 0 for series in chart.series for value in series.values]
    top_value, ticks = _scale(max(totals, default=0), chart.number)

    def y(value: float) -> float:
        return top + plot_height * (1 - value / top_value)

    parts = [_hatch(chart.key)]
    if chart.target is not None:
        # the target as a band, from it to the top of the scale
        parts.append(
            f'<rect class="target" x="{left}" y="{top}" width="{plot_width}" '
            f'height="{y(chart.target) - top:.1f}" fill="#dcfce7" opacity="0.7">'
            f"{_title(f'target: {format_number(chart.target, chart.number)} or more')}</rect>"
        )
        parts.append(
            _text(
                WIDTH - right - 4,
                y(chart.target) - 4,
                "target " + format_number(chart.target, chart.number),
                anchor="end",
                fill="#15803d",
            )
        )
    if chart.partial_to is not None:
        # the last month: the data ends inside it
        x = left + band * (len(chart.months) - 1)
        parts.append(
            f'<rect class="partial" x="{x:.1f}" y="{top}" width="{band:.1f}" '
            f'height="{plot_height}" fill="#fef3c7" opacity="0.8">'
            f"{_title(f'partial month: the data reaches {chart.partial_to:%d %b %Y}')}</rect>"
        )
        parts.append(
            _text(
                x + band / 2,
                top - 4,
                f"to {chart.partial_to:%d %b}",
                anchor="middle",
                fill="#92400e",
                size=10,
            )
        )
    parts += _y_axis(ticks, top_value, left, WIDTH - right, y, chart.number)
    step = max(1, math.ceil(len(chart.months) / 12))
    for i, month in enumerate(chart.months):
        if i % step == 0:
            x = left + band * (i + 0.5)
            parts.append(_text(x, height - bottom + 16, f"{month:%b %y}", anchor="middle"))
    for i, month in enumerate(chart.months):
        withheld = [series.label for series in chart.series if series.values[i].suppressed]
        if withheld:
            title = f"{month:%b %Y}: withheld (privacy floor): {', '.join(withheld)}"
            cells = [f"{month:%Y-%m}|{label}" for label in withheld]
            parts.append(
                _rect(left + band * i + 1, top, band - 2, plot_height, chart.key, title, cells)
            )
    if chart.kind == "line":
        for colour, series in zip(COLOURS, chart.series, strict=False):
            titles = [
                f"{series.label}, {month:%b %Y}: {format_number(value.value, chart.number)}"
                for month, value in zip(chart.months, series.values, strict=True)
            ]
            names = [f"{month:%Y-%m}|{series.label}" for month in chart.months]
            parts += _line(
                series.values,
                titles,
                names,
                colour,
                lambda i: left + band * (i + 0.5),
                y,
                partial=chart.partial_to is not None,
            )
    else:
        bar = band * 0.7
        base = [0.0] * len(chart.months)
        for colour, series in zip(COLOURS, chart.series, strict=False):
            for i, (month, value) in enumerate(zip(chart.months, series.values, strict=True)):
                if value.value:
                    x = left + band * i + (band - bar) / 2
                    top_y = y(base[i] + value.value)
                    title = f"{series.label}, {month:%b %Y}: "
                    title += format_number(value.value, chart.number)
                    partial = chart.partial_to is not None and i == len(chart.months) - 1
                    if partial:
                        title += " (partial month)"
                    cells = [f"{month:%Y-%m}|{series.label}"]
                    tall = y(base[i]) - top_y
                    parts.append(_bar(x, top_y, bar, tall, colour, title, cells, partial))
                    base[i] += value.value
    legend = [(colour, series.label) for colour, series in zip(COLOURS, chart.series, strict=False)]
    parts += _legend(legend, left, 14, chart.key, any_suppressed(chart.series))
    return _svg(chart.key, height, parts)


def bar_chart(chart: BarChart) -> str:
    label_width, value_width, row = 230, 250, 24
    height = 30 + row * len(chart.bars)
    bar_space = WIDTH - label_width - value_width
    top_value, _ = _scale(
        max((bar.value.value or 0 for bar in chart.bars), default=0), chart.number
    )
    parts = [_hatch(chart.key)]
    for i, bar in enumerate(chart.bars):
        y = 10 + row * i
        cells = [_text(label_width - 8, y + 15, bar.label, anchor="end", limit=34)]
        if bar.value.suppressed:
            cells.append(
                _rect(
                    label_width,
                    y + 3,
                    60,
                    row - 8,
                    chart.key,
                    f"{bar.label}: withheld",
                    [bar.label],
                )
            )
            cells.append(_text(label_width + 68, y + 15, "withheld (privacy floor)", fill=MUTED))
        else:
            length = bar_space * (bar.value.value or 0) / top_value
            label = format_number(bar.value.value, chart.number)
            title = f"{bar.label}: {label}"
            cells.append(
                _bar(label_width, y + 3, max(length, 1), row - 8, COLOURS[0], title, [bar.label])
            )
            cells.append(_text(label_width + length + 6, y + 15, label, weight="600"))
            if bar.detail:
                cells.append(_text(label_width + length + 48, y + 15, bar.detail, fill=MUTED))
        parts.append(_row(bar.label, cells))
    return _svg(chart.key, height, parts)


def team_table(table: TeamTable, floor: int) -> str:
    name_width, header, row = 230, 44, 22
    column_width = (WIDTH - name_width) / len(table.columns)
    height = header + row * len(table.rows) + 8
    tops = [
        _scale(max((r.values[c].value or 0 for r in table.rows), default=0), number)[0]
        for c, (_, number) in enumerate(table.columns)
    ]
    parts = [_hatch(table.key)]
    for c, (heading, _) in enumerate(table.columns):
        x = name_width + column_width * c
        for line_number, line in enumerate(_lines(heading, 20)):
            parts.append(_text(x + 4, header - 24 + 14 * line_number, line, weight="600"))
    for r, team_row in enumerate(table.rows):
        y = header + row * r
        cells = []
        if r % 2 == 0:
            cells.append(f'<rect x="0" y="{y:.1f}" width="{WIDTH}" height="{row}" fill="#f9fafb"/>')
        name = team_row.team + (" *" if team_row.suppressed_months else "")
        cells.append(_text(name_width - 8, y + 15, name, anchor="end", limit=34))
        if team_row.values[0].suppressed:
            message = f"withheld: fewer than {floor} active members in every month"
            names = [f"{team_row.team}|{heading}" for heading, _ in table.columns]
            cells.append(_rect(name_width + 4, y + 4, 60, row - 8, table.key, message, names))
            cells.append(_text(name_width + 72, y + 15, message, fill=MUTED))
        else:
            for c, ((heading, number), value) in enumerate(
                zip(table.columns, team_row.values, strict=True)
            ):
                x = name_width + column_width * c + 4
                if value.value is None:
                    message = f"{team_row.team}, {heading}: withheld (privacy floor)"
                    name = [f"{team_row.team}|{heading}"]
                    cells.append(_rect(x, y + 5, 40, row - 10, table.key, message, name))
                    continue
                label = format_number(value.value, number)
                length = (column_width - 60) * value.value / tops[c]
                colour = COLOURS[c % len(COLOURS)]
                title = f"{team_row.team}, {heading}: {label}"
                name = [f"{team_row.team}|{heading}"]
                cells.append(_bar(x, y + 5, max(length, 1), row - 10, colour, title, name))
                cells.append(_text(x + length + 4, y + 15, label))
        parts.append(_row(team_row.team, cells))
    return _svg(table.key, height, parts)


def flow_matrix(matrix: FlowMatrix) -> str:
    count = max(len(matrix.teams), 1)
    # the column labels lean right, past the last column: leave them room
    label_width, column_labels, overhang = 200, 150, 110
    cell = min(24.0, (WIDTH - label_width - overhang) / count)
    height = column_labels + cell * count + 50
    largest = max((value.value or 0 for value in matrix.cells.values()), default=0)
    parts = [_hatch(matrix.key)]
    for i, team in enumerate(matrix.teams):
        y = column_labels + cell * i
        parts.append(_text(label_width - 6, y + cell * 0.7, team, anchor="end", limit=30))
        x = label_width + cell * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{column_labels - 6}" font-size="11" fill="{INK}" '
            f'transform="rotate(-60 {x:.1f} {column_labels - 6})">{escape(_cut(team, 26))}</text>'
        )
    for i in range(count):
        for j in range(count):
            x, y = label_width + cell * j, column_labels + cell * i
            value = matrix.cells.get((i, j))
            if value is None or value.value is None:
                # below the floor or none at all: alike, so a cell says nothing happened
                title = f"{matrix.teams[i]} to {matrix.teams[j]}: not shown"
                name = [f"{matrix.teams[i]}|{matrix.teams[j]}"]
                parts.append(_rect(x, y, cell, cell, matrix.key, title, name))
            else:
                shade = _shade((value.value or 0) / largest if largest else 0)
                title = f"{matrix.teams[i]} to {matrix.teams[j]}: {value.value:,.0f}"
                name = _cells([f"{matrix.teams[i]}|{matrix.teams[j]}"])
                parts.append(
                    f'<rect class="mark"{name} x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" '
                    f'height="{cell:.1f}" fill="{shade}" stroke="#ffffff">{_title(title)}</rect>'
                )
                if cell >= 18:
                    fill = "#ffffff" if (value.value or 0) > largest / 2 else INK
                    parts.append(
                        _text(
                            x + cell / 2,
                            y + cell * 0.68,
                            f"{value.value:,.0f}",
                            anchor="middle",
                            fill=fill,
                            size=10,
                        )
                    )
    legend_y = column_labels + cell * count + 20
    parts.append(_text(label_width, legend_y + 10, "fewer", fill=MUTED))
    for step in range(6):
        parts.append(
            f'<rect x="{label_width + 40 + step * 16}" y="{legend_y}" width="16" height="12" '
            f'fill="{_shade(step / 5)}"/>'
        )
    parts.append(
        _text(label_width + 142, legend_y + 10, f"more (up to {largest:,.0f})", fill=MUTED)
    )
    parts.append(_rect(label_width + 270, legend_y, 16, 12, matrix.key))
    parts.append(
        _text(label_width + 292, legend_y + 10, "not shown: too few people, or none", fill=MUTED)
    )
    return _svg(matrix.key, height, parts)


def any_suppressed(series: Iterable) -> bool:
    return any(value.suppressed for one in series for value in one.values)


# ----------------------------------------------------------------------------- drawing


def _svg(key: str, height: float, parts: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(key)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" role="img" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        + "".join(parts)
        + "</svg>"
    )


def _hatch(key: str) -> str:
    """The hatching of withheld figures, one pattern per chart (ids are page-wide)."""
    return (
        f'<defs><pattern id="{escape(key)}-hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#f3f4f6"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#9ca3af" stroke-width="2"/></pattern></defs>'
    )


def _rect(x, y, width, height, key: str, title: str | None = None, cells=()) -> str:
    """A hatched area: withheld figures (with a `title`, and the `cells` it stands for),
    or without one the legend's sample of it."""
    css = "legend" if title is None else "mark suppressed"
    return (
        f'<rect class="{css}"{_cells(cells)} x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
        f'height="{height:.1f}" fill="url(#{escape(key)}-hatch)" stroke="#9ca3af" '
        f'stroke-width="0.5">{_title(title)}</rect>'
    )


def _bar(x, y, width, height, colour: str, title: str, cells=(), partial=False) -> str:
    """A bar; one of a partial month is pale, so that it does not read as final."""
    css, opacity = ("mark partial", ' fill-opacity="0.35"') if partial else ("mark", "")
    return (
        f'<rect class="{css}"{_cells(cells)} x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
        f'height="{height:.1f}" fill="{colour}"{opacity}>{_title(title)}</rect>'
    )


def _cells(names) -> str:
    """The `data-cells` attribute naming the figures a mark draws (none: no attribute)."""
    return f' data-cells="{escape(";".join(names))}"' if names else ""


def _row(label: str, cells: list[str]) -> str:
    """One row of a bar chart or table, named for readers of the markup (and tests)."""
    return f'<g class="row" data-label="{escape(label)}">{"".join(cells)}</g>'


def _title(text: str | None) -> str:
    """A tooltip: browsers show an element's <title> on hover, no script needed."""
    return "" if text is None else f"<title>{escape(text)}</title>"


def _line(values: list[Value], titles, names, colour: str, x, y, partial=False) -> list[str]:
    """The series as a line broken where a month has no figure, and a dot per month; the
    last month, when `partial`, joined by a dashed line and drawn hollow."""
    parts, run = [], []
    complete = values[:-1] if partial else values
    if (
        partial
        and values[-1].value is not None
        and len(values) > 1
        and values[-2].value is not None
    ):
        x1, y1, x2, y2 = (
            x(len(values) - 2),
            y(values[-2].value),
            x(len(values) - 1),
            y(values[-1].value),
        )
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="4 3"/>'
        )
    if partial and values[-1].value is not None:
        i = len(values) - 1
        title = _title(titles[i] + " (partial month)")
        parts.append(
            f'<circle class="mark partial"{_cells([names[i]])} cx="{x(i):.1f}" '
            f'cy="{y(values[i].value):.1f}" r="3" '
            f'fill="#ffffff" stroke="{colour}" stroke-width="1.5">{title}</circle>'
        )
    for i, value in enumerate([*complete, Value(None)]):
        if value.value is not None:
            run.append(f"{x(i):.1f},{y(value.value):.1f}")
            parts.append(
                f'<circle class="mark"{_cells([names[i]])} cx="{x(i):.1f}" '
                f'cy="{y(value.value):.1f}" r="3" '
                f'fill="{colour}">{_title(titles[i])}</circle>'
            )
        elif run:
            if len(run) > 1:
                parts.insert(
                    0,
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"/>',
                )
            run = []
    return parts


def _y_axis(ticks, top_value, left, right, y, number) -> list[str]:
    parts = []
    for tick in ticks:
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/>'
        )
        label = format_number(tick, number).replace(".0 days", " d")
        parts.append(_text(left - 6, y(tick) + 4, label, anchor="end", fill=MUTED))
    return parts


def _legend(entries, x, y, key, suppressed: bool) -> list[str]:
    parts = []
    for colour, label in entries:
        parts.append(f'<rect x="{x}" y="{y - 9}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, y + 1, label))
        x += 28 + 6.5 * len(label)
    if suppressed:
        parts.append(_rect(x, y - 9, 12, 12, key))
        parts.append(_text(x + 16, y + 1, "withheld (privacy floor)"))
    return parts


def _text(x, y, text, anchor="start", fill=INK, weight="400", size=12, limit=None):
    shown = _cut(text, limit) if limit else text
    title = _title(text) if shown != text else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
        f'font-size="{size}" font-weight="{weight}">{title}{escape(shown)}</text>'
    )


def _lines(text: str, width: int) -> list[str]:
    """Words of `text` on lines of at most `width` characters (a longer word alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scale(largest: float, number: str) -> tuple[float, list[float]]:
    """The axis' top and its ticks: percentages end at 100%, other scales at a round number."""
    if number == "percent":
        return 1.0, [0, 0.25, 0.5, 0.75, 1.0]
    if largest <= 0:
        return 1.0, [0, 1.0]
    step = 10 ** math.floor(math.log10(largest / 4))
    for multiple in (1, 2, 2.5, 5, 10):
        if largest / (step * multiple) <= 5:
            step *= multiple
            break
    top = step * math.ceil(largest / step)
    return top, [step * i for i in range(round(top / step) + 1)]


def _shade(share: float) -> str:
    channels = (round(a + (b - a) * share) for a, b in zip(LIGHTEST, DARKEST, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*channels)
