"""Server-drawn SVG charts for the comparison page (no script, no third party), with their numbers.

Each chart is accompanied on the page by a data table with the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, BAR_HEIGHT, GAP, LEFT, TOP = 560, 28, 18, 190, 10
COLOURS = {"in_person": "#1d4f73", "webinar": "#0f6e68", "hybrid": "#6b3fa0"}


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    width: float
    low: float
    high: float
    value_label: str
    colour: str
    text_y: int


@dataclass(frozen=True)
class Chart:
    title: str
    height: int
    bars: list[Bar]
    axis_labels: list[tuple[float, str]]
    plot_width: int = WIDTH - LEFT - 20
    left: int = LEFT


def _chart(title: str, rows: list[tuple[str, str, object]], *, lowest: float, highest: float, fmt) -> Chart:
    plot = WIDTH - LEFT - 20
    scale = plot / (highest - lowest)
    bars = []
    y = TOP
    for key, label, interval in rows:
        if interval is None:
            continue
        bars.append(
            Bar(
                label=label,
                y=y,
                width=round((interval.estimate - lowest) * scale, 1),
                low=round(LEFT + (interval.low - lowest) * scale, 1),
                high=round(LEFT + (interval.high - lowest) * scale, 1),
                value_label=fmt(interval.estimate),
                colour=COLOURS.get(key, "#1d4f73"),
                text_y=y + BAR_HEIGHT // 2 + 5,
            )
        )
        y += BAR_HEIGHT + GAP
    ticks = 4
    axis = [
        (round(LEFT + i * plot / ticks, 1), fmt(lowest + i * (highest - lowest) / ticks))
        for i in range(ticks + 1)
    ]
    return Chart(title=title, height=y + 30, bars=bars, axis_labels=axis)


def comparison_charts(result) -> dict:
    def pct(v):
        return f"{v * 100:.0f} %"

    def score(v):
        return f"{v:.1f}".replace(".", ",")

    turnout = _chart(
        "Taux de présence par format (intervalle de confiance à 95 %)",
        [(r.format, r.label, r.turnout) for r in result.rows],
        lowest=0,
        highest=1,
        fmt=pct,
    )
    satisfaction = _chart(
        "Satisfaction moyenne par format, de 1 à 5 (intervalle de confiance à 95 %)",
        [(r.format, r.label, r.satisfaction if r.shown else None) for r in result.rows],
        lowest=1,
        highest=5,
        fmt=score,
    )
    return {"turnout": turnout, "satisfaction": satisfaction}
