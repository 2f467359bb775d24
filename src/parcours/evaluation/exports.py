"""The bilan's exports (core.exports registry): the figures (CSV, ODS, XLSX) and the bilan (PDF),
produced in the background with progress; the scope is checked against the person asking."""

from __future__ import annotations

from parcours.core import exports
from parcours.evaluation import tables


def _scope_and_year(ctx: exports.ExportContext) -> tuple[str, int]:
    scope = tables.allowed_scope(ctx.actor, ctx.params.get("scope"))
    return scope, tables.clean_year(ctx.params.get("year"))


def _figures(ctx: exports.ExportContext) -> exports.Table:
    scope, year = _scope_and_year(ctx)
    return tables.figures_table(scope=scope, year=year, progress=ctx.progress)


def _bilan(ctx: exports.ExportContext) -> bytes:
    from parcours.evaluation import bilan

    scope, year = _scope_and_year(ctx)
    return bilan.render_pdf(actor=ctx.actor, scope=scope, year=year, progress=ctx.progress)


def _name(prefix: str):
    def name(ctx: exports.ExportContext) -> str:
        scope, year = _scope_and_year(ctx)
        return f"{prefix}-{scope}-{year}"

    return name


exports.register(
    exports.Exporter(
        identifier="evaluation.figures",
        label="Chiffres du bilan",
        permission="evaluation.export",
        formats=("ods", "xlsx", "csv"),
        table=_figures,
        background=True,
        description=(
            "Une ligne par indicateur × département × mois × ventilation, avec les totaux ; les cases "
            "couvertes par le secret statistique sont écrites « < 11 »."
        ),
        filename=_name("chiffres-bilan"),
        params=("scope", "year"),
    )
)
exports.register(
    exports.Exporter(
        identifier="evaluation.bilan",
        label="Bilan de l'expérimentation (PDF)",
        permission="evaluation.export",
        formats=("pdf",),
        document=_bilan,
        background=True,
        description="Méthode, définitions, chiffres avec leurs intervalles, cases masquées expliquées, contexte national.",
        filename=_name("bilan"),
        params=("scope", "year"),
    )
)
