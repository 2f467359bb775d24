"""Server-drawn SVG charts of the dashboard (no script, no third party): one bar per month, with
its 95 % interval; a hidden month is drawn as an empty outline marked "< 11". Coordinates are
plain numbers (the template turns localisation off: a French decimal comma draws nothing).
Each chart is followed on the page by the data table with the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from parcours.core import indicators

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 56, 40, 16
MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    label_x: float
    hidden: bool
    low_y: float | None = None
    high_y: float | None = None
    centre: float = 0


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    base_y: float
    left: int = LEFT


def number(value: float, unit: str) -> str:
    """French display of a figure: 72 %, 1 234, 4,5."""
    if unit == indicators.SHARE:
        return f"{value * 100:.0f} %"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.1f}".replace(".", ",")


def monthly(pub, department: str, title: str) -> Chart:
    unit = pub.indicator.unit
    figures = [pub.get(department, month) for month in pub.months]
    highest = max([f.high or f.value or 0 for f in figures if not f.hidden] + [0])
    if unit == indicators.SHARE:
        highest = 1.0
    highest = highest or 1
    plot_height = HEIGHT - BOTTOM - TOP
    base = HEIGHT - BOTTOM
    slot = (WIDTH - LEFT - 10) / len(figures)

    def y(value: float) -> float:
        return round(base - plot_height * value / highest, 1)

    bars = []
    for i, (month, figure) in enumerate(zip(pub.months, figures, strict=True)):
        x = round(LEFT + i * slot + slot * 0.15, 1)
        width = round(slot * 0.7, 1)
        centre = round(x + width / 2, 1)
        if figure.hidden:
            bars.append(Bar(x, TOP, width, plot_height, MONTHS[month.month - 1], centre, True, centre=centre))
            continue
        value = figure.value or 0
        bars.append(
            Bar(
                x,
                y(value),
                width,
                round(base - y(value), 1),
                MONTHS[month.month - 1],
                centre,
                False,
                y(figure.low) if figure.low is not None else None,
                y(figure.high) if figure.high is not None else None,
                centre,
            )
        )
    ticks = [(y(highest * k / 4), number(highest * k / 4, unit)) for k in range(5)]
    return Chart(title, WIDTH, HEIGHT, bars, ticks, base)
