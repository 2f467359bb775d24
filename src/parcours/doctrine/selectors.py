"""Reads of the doctrine, through the policy: which sheets an actor sees, the search with its facets,
the synthesis and the document.

What a staff member sees: the published sheets of every Caf (the cross-department read), the sheets
of their own Caf past the draft, and their own drafts; the national pilot sees every Caf's sheets past
the draft.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, FloatField, Q, Sum
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404

from parcours.core import audit, policy
from parcours.core.models import Department
from parcours.doctrine import search
from parcours.doctrine.models import Attachment, Chapter, Dimension, Funding, Practice, Theme
from parcours.protection.models import Partner

S = Practice.State
PILOT_DEPARTMENTS = ("92", "974", "27", "86", "47")


def visible(actor) -> Q:
    """The sheets `actor` may read (with `doctrine.view`), as a filter."""
    shared = Q(state=S.PUBLISHED)
    own_draft = Q(state=S.DRAFT, created_by_id=actor.pk)
    if actor.department_code is None and getattr(actor, "is_national", False):
        return shared | own_draft | ~Q(state=S.DRAFT)
    organisation = getattr(actor, "organisation", None)
    own = Q(department_id=getattr(organisation, "department_id", None)) & ~Q(state=S.DRAFT)
    return shared | own | own_draft


def practices_for(actor):
    if not policy.can(actor, "doctrine.view"):
        return Practice.objects.none()
    return Practice.objects.filter(visible(actor))


def practice_for(actor, pk: int, *, permission: str = "doctrine.view", branch: bool = True) -> Practice:
    """One sheet, or 404 outside what the actor may see (403 first if the role lacks the permission)."""
    practice = get_object_or_404(Practice.objects.select_related("department", "created_by"), pk=pk)
    policy.require(actor, permission, practice, branch=branch)
    return practice


def practice_page_for(actor, pk: int) -> Practice:
    """The sheet's page: `practice_for`, and the consultation is audited (once per page)."""
    practice = practice_for(actor, pk)
    audit.record(actor, "doctrine.practice.viewed", practice)
    return practice


def attachment_for(actor, pk: int) -> Attachment:
    """An attachment to download: the download is audited here, whatever door serves the file."""
    attachment = get_object_or_404(Attachment.objects.select_related("practice__department"), pk=pk)
    policy.require(actor, "doctrine.view", attachment, branch=True)
    audit.record(actor, "doctrine.attachment.downloaded", attachment)
    return attachment


def partners_for_practice(actor, practice: Practice):
    """The entries of protection's partner directory a sheet may name: its Caf's, active."""
    policy.require(actor, "doctrine.propose", practice)
    return Partner.objects.filter(department_id=practice.department_id, is_active=True).order_by(
        "kind", "name"
    )


# --- search -------------------------------------------------------------------------------------

FACETS = ("dimension", "caf", "theme", "partenaire", "financement", "annee", "etat")
PAGE_SIZE = 20


@dataclass
class SearchQuery:
    q: str = ""
    dimension: str = ""
    caf: str = ""
    theme: str = ""
    partenaire: str = ""
    financement: str = ""
    annee: str = ""
    etat: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params) -> SearchQuery:
        def get(name):
            return str(params.get(name, "") or "").strip()[:200]

        try:
            page = max(1, min(int(get("page") or 1), 500))
        except ValueError:
            page = 1
        return cls(**{name: get(name) for name in ("q", *FACETS)}, page=page)

    def params(self, **changes) -> dict:
        values = {name: getattr(self, name) for name in ("q", *FACETS)}
        values.update(changes)
        return {k: v for k, v in values.items() if v}


@dataclass
class Hit:
    practice: Practice
    extract: str


@dataclass
class SearchResult:
    query: SearchQuery
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)


def _filtered(actor, query: SearchQuery):
    qs = practices_for(actor)
    if query.dimension in Practice.DIMENSION_FLAGS:
        qs = qs.filter(**{Practice.DIMENSION_FLAGS[query.dimension]: True})
    if query.caf:
        qs = qs.filter(department__code=query.caf)
    if query.theme:
        qs = qs.filter(theme_codes__contains=f" {query.theme} ")
    if query.partenaire:
        qs = qs.filter(partner_kinds__contains=f" {query.partenaire} ")
    if query.financement:
        qs = qs.filter(funding_sources__contains=f" {query.financement} ")
    if query.annee.isdigit():
        qs = qs.filter(started_year=int(query.annee))
    if query.etat in S.values:
        qs = qs.filter(state=query.etat)
    return qs


# The facet columns of the matching sheets, as the CTE of the facet query below names them.
FACET_COLUMNS = (
    ("department_id", "dep"),
    ("started_year", "yr"),
    ("state", "st"),
    ("has_role", "f1"),
    ("has_means", "f2"),
    ("has_partners", "f3"),
    ("has_funding", "f4"),
    ("has_results", "f5"),
    ("theme_codes", "th"),
    ("partner_kinds", "pa"),
    ("funding_sources", "fi"),
)
# Every facet counted in one statement: the matching sheets read once (materialised), then one
# small GROUP BY per facet (the dimensions' five flags as one bit pattern; " a b " code lists split
# in Python, over their few distinct values). Same SQL on PostgreSQL and SQLite (no GROUPING SETS).
FACET_SQL = (
    "WITH m ({names}) AS MATERIALIZED ({inner}) "
    "SELECT 'caf', CAST(dep AS TEXT), COUNT(*) FROM m GROUP BY dep "
    "UNION ALL SELECT 'annee', CAST(yr AS TEXT), COUNT(*) FROM m WHERE yr IS NOT NULL GROUP BY yr "
    "UNION ALL SELECT 'etat', CAST(st AS TEXT), COUNT(*) FROM m GROUP BY st "
    "UNION ALL SELECT 'theme', CAST(th AS TEXT), COUNT(*) FROM m GROUP BY th "
    "UNION ALL SELECT 'partenaire', CAST(pa AS TEXT), COUNT(*) FROM m GROUP BY pa "
    "UNION ALL SELECT 'financement', CAST(fi AS TEXT), COUNT(*) FROM m GROUP BY fi "
    "UNION ALL SELECT 'dimension', CAST(CAST(f1 AS INTEGER) * 16 + CAST(f2 AS INTEGER) * 8 "
    "+ CAST(f3 AS INTEGER) * 4 + CAST(f4 AS INTEGER) * 2 + CAST(f5 AS INTEGER) AS TEXT), COUNT(*) "
    "FROM m GROUP BY f1, f2, f3, f4, f5"
)


def _facet_groups(qs) -> dict[str, Counter]:
    """For each facet, the number of sheets of `qs` by the column's stored value (one statement)."""
    inner, params = qs.order_by().values_list(*(c for c, _ in FACET_COLUMNS)).query.sql_with_params()
    sql = FACET_SQL.format(names=", ".join(n for _, n in FACET_COLUMNS), inner=inner)
    groups: dict[str, Counter] = defaultdict(Counter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for facet, value, n in cursor.fetchall():
            groups[facet][value] += n
    return groups


def search_practices(actor, query: SearchQuery, *, facets: bool = True) -> SearchResult:
    """The page of matching sheets the actor may read, with the total and the counts of every facet.

    Three reads whatever the number of matches (bench/doctrine_search.py, docs/decisions/perf-021):
    the facet counts in one grouped statement (their sum is the total), the page's ids — ranked by
    the database, which returns only the page (ts_rank over the GIN index's matches on PostgreSQL,
    bm25 inside FTS5 on SQLite) — and the page's sheets by id. Nothing proportional to the number
    of matches crosses into Python.
    """
    allowed = filtered = _filtered(actor, query)
    condition = search.match_condition(query.q)
    if condition is not None:
        filtered = allowed.filter(RawSQL(condition[0], condition[1], output_field=BooleanField()))  # noqa: S611 (constant SQL, typed text as parameter)
    groups = _facet_groups(filtered)
    total = sum(groups["etat"].values())
    offset = (query.page - 1) * PAGE_SIZE
    if not total or offset >= total:
        ids = []
    elif condition is None:
        ids = list(
            filtered.order_by("-published_at", "-updated_at", "-pk").values_list("pk", flat=True)[
                offset : offset + PAGE_SIZE
            ]
        )
    elif search.is_postgres():
        rank_sql, rank_params = search.pg_rank(query.q)
        ids = list(
            filtered.annotate(rank=RawSQL(rank_sql, rank_params, output_field=FloatField()))  # noqa: S611 (constant SQL, typed text as parameter)
            .order_by("-rank", "-pk")
            .values_list("pk", flat=True)[offset : offset + PAGE_SIZE]
        )
    else:
        sql, params = allowed.order_by().values_list("pk").query.sql_with_params()
        ids = search.fts_page(sql, list(params), query.q, offset=offset, limit=PAGE_SIZE)
    loaded = Practice.objects.select_related("department").prefetch_related("themes").in_bulk(ids)
    hits = []
    for pk in ids:
        practice = loaded[pk]
        texts = [t for t in (practice.summary, practice.role_description, practice.search_document) if t]
        extract = ""
        for text in texts if query.q else texts[:1]:
            extract = search.extract(text, query.q)
            if not query.q or "<mark>" in extract:
                break
        hits.append(Hit(practice, extract))
    result = SearchResult(query=query, total=total, hits=hits)
    if facets:
        result.facets = _count_facets(groups)
    return result


def _split_counts(counter: Counter) -> Counter:
    """Counts of codes from counts of " a b " strings (few distinct strings: cheap)."""
    out = Counter()
    for value, n in counter.items():
        for code in (value or "").split():
            out[code] += n
    return out


def _count_facets(groups: dict[str, Counter]) -> dict[str, list[tuple[str, str, int]]]:
    by_department = Counter({int(k): n for k, n in groups["caf"].items() if k is not None})
    year = Counter({int(k): n for k, n in groups["annee"].items() if k and int(k)})
    state = groups["etat"]
    dimension = Counter()
    for bits, n in groups["dimension"].items():
        pattern = int(bits)
        for position, d in enumerate(Dimension.values):
            if pattern & (16 >> position):
                dimension[d] += n
    theme = _split_counts(groups["theme"])
    partner = _split_counts(groups["partenaire"])
    funding = _split_counts(groups["financement"])
    departments = Department.objects.filter(pk__in=list(by_department)).values_list("pk", "code", "name")
    codes = {pk: code for pk, code, _ in departments}
    names = {code: name for _, code, name in departments}
    caf = Counter({codes[pk]: n for pk, n in by_department.items() if pk in codes})
    themes = list(Theme.objects.filter(code__in=list(theme)).values_list("code", "label"))
    kinds, sources, states = dict(Partner.Kind.choices), dict(Funding.Source.choices), dict(S.choices)
    return {
        "dimension": [(d.value, d.label, dimension[d.value]) for d in Dimension if dimension[d.value]],
        "caf": [(c, f"{names.get(c, c)} ({c})", caf[c]) for c in sorted(caf)],
        "theme": [(c, label, theme[c]) for c, label in themes],
        "partenaire": [(k, kinds.get(k, k), partner[k]) for k in sorted(partner)],
        "financement": [(k, sources.get(k, k), funding[k]) for k in sorted(funding)],
        "annee": [(str(y), str(y), year[y]) for y in sorted(year, reverse=True)],
        "etat": [(k, states.get(k, k), state[k]) for k in S.values if state[k]],
    }


def facet_counts(qs) -> dict[str, list[tuple[str, str, int]]]:
    """Counts of the sheets of `qs` by each facet's values: (value, French label, count)."""
    return _count_facets(_facet_groups(qs))


# --- synthesis ----------------------------------------------------------------------------------


def synthesis(actor) -> dict:
    """Counts of the published sheets (the doctrine): by dimension, Caf, theme, partner type; funding
    totals by source and year; which pilot departments have sheets on which themes."""
    policy.require(actor, "doctrine.inventory")
    published = Practice.objects.filter(state=S.PUBLISHED)
    counts = facet_counts(published)
    totals: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for source, year, amount in (
        Funding.objects.filter(practice__in=published.values("pk"))
        .values_list("source", "year")
        .annotate(t=Sum("amount"))
        .order_by("year", "source")
    ):
        totals[(source, year)] += amount or Decimal(0)
    years = sorted({year for _, year in totals})
    sources = [s for s in Funding.Source if any(key[0] == s.value for key in totals)]
    theme_map: dict[str, set[str]] = defaultdict(set)
    for code, theme in published.filter(themes__isnull=False).values_list(
        "department__code", "themes__label"
    ):
        theme_map[code].add(theme)
    departments = {d.code: d for d in Department.objects.filter(code__in=PILOT_DEPARTMENTS)}
    return {
        "total": published.count(),
        "counts": counts,
        "years": years,
        "sources": [(s.value, s.label) for s in sources],
        "funding": {(s, y): v for (s, y), v in totals.items()},
        "funding_rows": [
            (
                s.label,
                [totals.get((s.value, y), Decimal(0)) for y in years],
                sum((totals.get((s.value, y), Decimal(0)) for y in years), Decimal(0)),
            )
            for s in sources
        ],
        "year_totals": [
            sum((totals.get((s.value, y), Decimal(0)) for s in sources), Decimal(0)) for y in years
        ],
        "themes_by_department": [
            (
                code,
                departments[code].name if code in departments else code,
                sorted(theme_map.get(code, ())),
                counts_by(counts["caf"], code),
            )
            for code in PILOT_DEPARTMENTS
        ],
    }


def counts_by(rows, value) -> int:
    return next((n for v, _, n in rows if v == value), 0)


def document_chapters(actor):
    """The doctrine document: its chapters with their published practices, in order."""
    policy.require(actor, "doctrine.view")
    chapters = list(
        Chapter.objects.prefetch_related("entries__practice__department", "entries__practice__themes")
    )
    for chapter in chapters:
        chapter.practices = [e.practice for e in chapter.entries.all() if e.practice.state == S.PUBLISHED]
    return chapters


def inventory(actor):
    """The inventory the actor may export or follow: their Caf's sheets past the draft (local pilot),
    every Caf's (national pilot)."""
    policy.require(actor, "doctrine.inventory")
    qs = Practice.objects.exclude(state=S.DRAFT).select_related("department")
    if not (actor.department_code is None and getattr(actor, "is_national", False)):
        qs = qs.filter(department__code=actor.department_code)
    return qs.order_by("department__code", "title", "pk")
