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
from django.db.models import Q, Sum
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


# What one read of the matching sheets brings back: enough for every facet count.
ROW = (
    "pk",
    "department_id",
    "started_year",
    "state",
    "has_role",
    "has_means",
    "has_partners",
    "has_funding",
    "has_results",
    "theme_codes",
    "partner_kinds",
    "funding_sources",
)
FEW = 5000  # below this many matches, the filtered read is limited to them by id


def _rows(qs) -> list[tuple]:
    """The ROW columns of `qs`, read with the cursor: no per-row conversion (booleans may be 0/1)."""
    sql, params = qs.order_by().values_list(*ROW).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def search_practices(actor, query: SearchQuery, *, facets: bool = True) -> SearchResult:
    """The page of matching sheets the actor may read, with the counts of every facet.

    A few reads whatever the size of the inventory: the ranked ids from the full-text index, the
    filtered sheets' facet columns (limited to the matches when they are few), the page's sheets by
    id. Counting in Python over the distinct values keeps a search over 10,000 sheets under 100 ms
    on both databases (bench/doctrine_search.py).
    """
    filtered = _filtered(actor, query)
    ranked = search.ranked_matches(query.q)
    if ranked is not None and len(ranked) <= FEW:
        filtered = filtered.filter(pk__in=ranked)
    rows = _rows(filtered) if ranked != [] else []
    offset = (query.page - 1) * PAGE_SIZE
    if ranked is not None:
        if len(ranked) > FEW:  # the read was not limited to the matches
            matched = set(ranked)
            rows = [row for row in rows if row[0] in matched]
        allowed = {row[0] for row in rows}
        ordered = [pk for pk in ranked if pk in allowed]
        total, ids = len(ordered), ordered[offset : offset + PAGE_SIZE]
    else:
        total = len(rows)
        ids = list(
            filtered.order_by("-published_at", "-updated_at", "-pk").values_list("pk", flat=True)[
                offset : offset + PAGE_SIZE
            ]
        )
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
        result.facets = _count_facets(rows)
    return result


def _split_counts(counter: Counter) -> Counter:
    """Counts of codes from counts of " a b " strings (few distinct strings: cheap)."""
    out = Counter()
    for value, n in counter.items():
        for code in value.split():
            out[code] += n
    return out


def _count_facets(rows) -> dict[str, list[tuple[str, str, int]]]:
    by_department = Counter(r[1] for r in rows)
    year = Counter(r[2] for r in rows if r[2])
    state = Counter(r[3] for r in rows)
    flags = Counter(tuple(bool(f) for f in r[4:9]) for r in rows)
    dimension = Counter()
    for combination, n in flags.items():
        for d, on in zip(Dimension.values, combination, strict=True):
            if on:
                dimension[d] += n
    theme = _split_counts(Counter(r[9] for r in rows))
    partner = _split_counts(Counter(r[10] for r in rows))
    funding = _split_counts(Counter(r[11] for r in rows))
    codes = dict(Department.objects.filter(pk__in=list(by_department)).values_list("pk", "code"))
    names = dict(Department.objects.filter(pk__in=list(by_department)).values_list("code", "name"))
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
    return _count_facets(_rows(qs))


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
