"""Reads of the doctrine, through the policy: which sheets an actor sees, the search with its facets,
the synthesis and the document.

What a staff member sees: the published sheets of every Caf (the cross-department read), the sheets
of their own Caf past the draft, and their own drafts; the national pilot sees every Caf's sheets past
the draft.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404

from parcours.core import policy
from parcours.core.models import Department
from parcours.doctrine import search
from parcours.doctrine.models import Attachment, Chapter, Dimension, Funding, Practice, PracticePartner, Theme
from parcours.protection.models import Partner

S = Practice.State
PILOT_DEPARTMENTS = ("92", "974", "27", "86", "47")


def visible(actor) -> Q:
    """The sheets `actor` may read (with `doctrine.view`), as a filter."""
    shared = Q(state=S.PUBLISHED)
    own_draft = Q(state=S.DRAFT, created_by_id=actor.pk)
    if actor.department_code is None and getattr(actor, "is_national", False):
        return shared | own_draft | ~Q(state=S.DRAFT)
    own = Q(department__code=actor.department_code) & ~Q(state=S.DRAFT)
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


def attachment_for(actor, pk: int) -> Attachment:
    attachment = get_object_or_404(Attachment.objects.select_related("practice__department"), pk=pk)
    policy.require(actor, "doctrine.view", attachment, branch=True)
    return attachment


def partners_for_practice(practice: Practice):
    """The entries of protection's partner directory a sheet may name: its Caf's, active."""
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
        qs = qs.filter(themes__code=query.theme)
    if query.partenaire:
        qs = qs.filter(
            pk__in=PracticePartner.objects.filter(partner__kind=query.partenaire).values("practice_id")
        )
    if query.financement:
        qs = qs.filter(pk__in=Funding.objects.filter(source=query.financement).values("practice_id"))
    if query.annee.isdigit():
        qs = qs.filter(started_year=int(query.annee))
    if query.etat in S.values:
        qs = qs.filter(state=query.etat)
    return qs


def _sql(qs) -> tuple[str, list]:
    sql, params = qs.values("pk").query.sql_with_params()
    return sql, list(params)


def search_practices(actor, query: SearchQuery, *, facets: bool = True) -> SearchResult:
    filtered = _filtered(actor, query)
    matching = search.matching_sql(query.q)
    offset = (query.page - 1) * PAGE_SIZE
    if matching is not None:
        base = filtered.filter(pk__in=_raw_ids(*matching))
        within_sql, within_params = _sql(filtered)
        ids = search.ranked_ids(query.q, within_sql, within_params, limit=PAGE_SIZE, offset=offset)
    else:
        base = filtered
        ids = list(
            base.order_by("-published_at", "-updated_at", "-pk").values_list("pk", flat=True)[
                offset : offset + PAGE_SIZE
            ]
        )
    total = base.count()
    rows = Practice.objects.select_related("department").prefetch_related("themes").in_bulk(ids)
    hits = []
    for pk in ids:
        practice = rows[pk]
        text = practice.summary or practice.role_description or practice.search_document
        if query.q:
            # The passage with the first match, wherever it is in the sheet.
            best = next(
                (
                    t
                    for t in (practice.summary, practice.role_description, practice.search_document)
                    if t and "<mark>" in search.extract(t, query.q)
                ),
                text,
            )
            hits.append(Hit(practice, search.extract(best, query.q)))
        else:
            hits.append(Hit(practice, search.extract(text, "")))
    result = SearchResult(query=query, total=total, hits=hits)
    if facets:
        result.facets = facet_counts(base)
    return result


def _raw_ids(sql: str, params: list):
    from django.db.models.expressions import RawSQL

    return RawSQL(sql, params)  # noqa: S611 - SQL from search.matching_sql: constants, query as a parameter


def facet_counts(qs) -> dict[str, list[tuple[str, str, int]]]:
    """Counts of the matching sheets by each facet's values: (value, French label, count)."""
    ids = qs.values("pk")
    out: dict[str, list[tuple[str, str, int]]] = {}
    flags = qs.aggregate(
        **{d: Count("pk", filter=Q(**{flag: True})) for d, flag in Practice.DIMENSION_FLAGS.items()}
    )
    out["dimension"] = [(d.value, d.label, flags[d.value] or 0) for d in Dimension if flags[d.value]]
    names = dict(Department.objects.values_list("code", "name"))
    out["caf"] = [
        (code, f"{names.get(code, code)} ({code})", n)
        for code, n in qs.order_by()
        .values_list("department__code")
        .annotate(n=Count("pk"))
        .order_by("department__code")
    ]
    labels = dict(Theme.objects.values_list("code", "label"))
    out["theme"] = [
        (code, labels.get(code, code), n)
        for code, n in Theme.objects.filter(practices__in=ids)
        .values_list("code")
        .annotate(n=Count("practices"))
        .order_by("position")
    ]
    kinds = dict(Partner.Kind.choices)
    out["partenaire"] = [
        (kind, kinds.get(kind, kind), n)
        for kind, n in PracticePartner.objects.filter(practice_id__in=ids)
        .values_list("partner__kind")
        .annotate(n=Count("practice_id", distinct=True))
        .order_by("partner__kind")
    ]
    sources = dict(Funding.Source.choices)
    out["financement"] = [
        (source, sources.get(source, source), n)
        for source, n in Funding.objects.filter(practice_id__in=ids)
        .values_list("source")
        .annotate(n=Count("practice_id", distinct=True))
        .order_by("source")
    ]
    out["annee"] = [
        (str(year), str(year), n)
        for year, n in qs.order_by()
        .exclude(started_year=None)
        .values_list("started_year")
        .annotate(n=Count("pk"))
        .order_by("-started_year")
    ]
    states = dict(S.choices)
    out["etat"] = [
        (state, states[state], n)
        for state, n in qs.order_by().values_list("state").annotate(n=Count("pk")).order_by("state")
    ]
    return out


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
