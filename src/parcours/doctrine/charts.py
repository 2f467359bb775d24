"""Server-drawn SVG of the synthesis: funding by year and source (stacked bars) and the map of the five
pilot departments. No script, no tile server; every number in an attribute is written with a dot
(never through the template's French localisation, which would write "12,5" and break the SVG).
The page shows the same figures as a table beside each drawing."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

COLOURS = ["#1d4f73", "#0f6e68", "#6b3fa0", "#8a4b08", "#5a5a5a"]


def num(value: float) -> str:
    """A number for an SVG attribute: dot decimal, whatever the locale."""
    return f"{float(value):.1f}"


def euros(value: Decimal) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") + " €"


def funding_chart(data: dict) -> str:
    years, sources = data["years"], data["sources"]
    if not years:
        return ""
    funding = data["funding"]
    width, height, left, bottom, top = 640, 300, 70, 40, 20
    plot_h = height - bottom - top
    totals = [sum((funding.get((s, y), Decimal(0)) for s, _ in sources), Decimal(0)) for y in years]
    highest = float(max(totals)) or 1.0
    slot = (width - left - 20) / len(years)
    bar = min(60.0, slot * 0.6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 20 * len(sources)}" '
        f'role="img" aria-labelledby="funding-chart-title" class="doctrine-chart">',
        '<title id="funding-chart-title">Financements par année et par source (le tableau suivant donne les montants)</title>',
    ]
    for i in range(5):
        value = highest * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{num(y)}" y2="{num(y)}" stroke="#ccc"/>')
        parts.append(
            f'<text x="{left - 6}" y="{num(y + 4)}" text-anchor="end" font-size="11">{escape(euros(Decimal(value)))}</text>'
        )
    for index, year in enumerate(years):
        x = left + slot * index + (slot - bar) / 2
        y = top + plot_h
        for colour, (code, label) in zip(COLOURS, sources, strict=False):
            amount = funding.get((code, year), Decimal(0))
            h = plot_h * float(amount) / highest
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{num(x)}" y="{num(y)}" width="{num(bar)}" height="{num(h)}" fill="{colour}">'
                    f"<title>{escape(label)} {year} : {escape(euros(amount))}</title></rect>"
                )
        parts.append(
            f'<text x="{num(x + bar / 2)}" y="{num(top + plot_h + 16)}" text-anchor="middle" font-size="12">{year}</text>'
        )
    for index, (colour, (_, label)) in enumerate(zip(COLOURS, sources, strict=False)):
        y = height + 20 * index - 10
        parts.append(f'<rect x="{left}" y="{num(y - 10)}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{left + 18}" y="{num(y)}" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


# Approximate positions (longitude, latitude) of the pilot departments; La Réunion in an inset.
POSITIONS = {"92": (2.22, 48.85), "27": (1.15, 49.1), "86": (0.45, 46.6), "47": (0.45, 44.35)}
# A simplified outline of metropolitan France (longitude, latitude), enough to place the departments.
OUTLINE = [
    (-4.7, 48.4),
    (-1.9, 48.7),
    (-1.4, 49.7),
    (0.2, 49.7),
    (1.6, 50.9),
    (2.6, 51.1),
    (4.2, 49.9),
    (6.4, 49.5),
    (8.2, 49.0),
    (7.6, 47.6),
    (6.0, 46.4),
    (7.0, 45.9),
    (7.6, 44.1),
    (6.6, 43.1),
    (4.6, 43.4),
    (3.1, 43.1),
    (3.1, 42.4),
    (-1.7, 43.3),
    (-1.2, 44.6),
    (-1.2, 46.2),
    (-2.2, 47.1),
    (-4.7, 47.9),
]


def _xy(lon: float, lat: float) -> tuple[float, float]:
    # An equirectangular projection at 46° N, scaled to the drawing.
    return 30 + (lon + 5.0) * 28.0, 20 + (51.5 - lat) * 40.0


def departments_map(data: dict) -> str:
    rows = data["themes_by_department"]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 460 420" role="img" '
        'aria-labelledby="map-title" class="doctrine-map">',
        '<title id="map-title">Carte des cinq départements pilotes et de leurs fiches publiées '
        "(le tableau suivant donne les mêmes informations)</title>",
    ]
    points = " ".join(f"{num(x)},{num(y)}" for x, y in (_xy(lon, lat) for lon, lat in OUTLINE))
    parts.append(f'<polygon points="{points}" fill="#eef2f5" stroke="#7a8b99"/>')
    parts.append('<rect x="340" y="300" width="100" height="100" fill="#f7f7f7" stroke="#7a8b99"/>')
    parts.append('<text x="390" y="392" text-anchor="middle" font-size="11">La Réunion</text>')
    for code, name, themes, count in rows:
        x, y = (390.0, 345.0) if code == "974" else _xy(*POSITIONS[code])
        radius = 6 + min(count, 30) * 0.8
        label = f"{name} ({code}) : {count} fiche{'s' if count > 1 else ''} publiée{'s' if count > 1 else ''}"
        if themes:
            label += " — " + ", ".join(themes)
        parts.append(
            f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(radius)}" fill="#0f6e68" fill-opacity="0.75">'
            f"<title>{escape(label)}</title></circle>"
        )
        parts.append(
            f'<text x="{num(x + radius + 4)}" y="{num(y + 4)}" font-size="12">{escape(code)} · {count}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
