"""Exports of the doctrine, through the exporter registry (core/exports.py):

- `doctrine.inventory`: the inventory the actor may see (CSV, ODS, XLSX; cells neutralised by the
  registry's one `neutralise`);
- `doctrine.document`: the doctrine document (PDF with a table of contents and page numbers, editable
  ODT and DOCX), produced in the background with progress.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from parcours.core import exports
from parcours.doctrine import selectors, services
from parcours.doctrine.models import Dimension, Practice

INVENTORY_HEADERS = (
    "N°",
    "Caf",
    "Titre",
    "État",
    "Équipe",
    "Public concerné",
    "Année",
    "Dimensions renseignées",
    "Thèmes",
    "Partenaires",
    "Financements (€)",
    "ETP",
    "Résumé",
)


def inventory_table(ctx: exports.ExportContext) -> exports.Table:
    practices = list(
        selectors.inventory(ctx.actor).prefetch_related("themes", "partners__partner", "fundings")
    )
    labels = dict(Dimension.choices)

    def rows():
        for index, p in enumerate(practices, start=1):
            ctx.progress(index, len(practices))
            yield (
                p.pk,
                p.department.code,
                p.title,
                p.get_state_display(),
                p.team,
                p.audience,
                p.started_year,
                ", ".join(labels[d] for d in p.dimensions),
                ", ".join(t.label for t in p.themes.all()),
                ", ".join(r.partner.name for r in p.partners.all()),
                sum((f.amount for f in p.fundings.all()), Decimal(0)),
                p.staff_fte,
                p.summary,
            )

    return exports.Table(INVENTORY_HEADERS, rows(), title="Inventaire des pratiques")


# --- French typography ---------------------------------------------------------------------------

NNBSP, NBSP = "\u202f", "\u00a0"


def typo_fr(text: str) -> str:
    """French spacing: a narrow no-break space before ; ! ? and inside « », a no-break one before :."""
    if not text:
        return ""
    text = re.sub(r'"([^"]*)"', "«\\1»", text)
    text = re.sub(r"\s*([;!?])", NNBSP + r"\1", text)
    text = re.sub(r"(?<![\d/])\s*:(?!//)", NBSP + ":", text)
    text = re.sub(r"«\s*", "«" + NNBSP, text)
    text = re.sub(r"\s*»", NNBSP + "»", text)
    return text.replace("'", "’")


def _sections(practice: Practice) -> list[tuple[str, str]]:
    data = services.snapshot(practice)
    keep = (
        "Équipe",
        "Public concerné",
        "Résumé",
        "Rôle de la Caf",
        "Étapes du parcours séparation",
        "Effectif (ETP)",
        "Outils",
        "Budget annuel",
        "Partenaires",
        "Financements",
        "Indicateurs",
        "Innovation",
        "Évaluation",
        "Liens",
    )
    return [(k, typo_fr(data[k])) for k in keep if data.get(k)]


def _document_data(ctx: exports.ExportContext):
    chapters = selectors.document_chapters(ctx.actor)
    total = sum(len(c.practices) for c in chapters) or 1
    done = 0
    out = []
    for chapter in chapters:
        items = []
        for practice in chapter.practices:
            items.append(
                {"practice": practice, "title": typo_fr(practice.title), "sections": _sections(practice)}
            )
            done += 1
            ctx.progress(done, total)
        out.append(
            {"title": typo_fr(chapter.title), "introduction": typo_fr(chapter.introduction), "items": items}
        )
    return out


TITLE = "Doctrine de la branche Famille : agir contre les violences conjugales"


def document_html(ctx: exports.ExportContext) -> str:
    return render_to_string(
        "doctrine/document_pdf.html",
        {"chapters": _document_data(ctx), "title": typo_fr(TITLE), "today": timezone.localdate()},
    )


def document_pdf(ctx) -> bytes:
    from weasyprint import HTML

    return HTML(string=document_html(ctx)).write_pdf()


def document_odt(ctx) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.style import (
        Footer,
        FooterStyle,
        MasterPage,
        PageLayout,
        PageLayoutProperties,
        ParagraphProperties,
        Style,
        TextProperties,
    )
    from odf.text import H, IndexBody, IndexTitle, P, PageNumber, TableOfContent, TableOfContentSource

    chapters = _document_data(ctx)
    doc = OpenDocumentText()
    layout = PageLayout(name="Page")
    layout.addElement(PageLayoutProperties(margin="2cm"))
    layout.addElement(FooterStyle())
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    footer = Footer()
    centred = Style(name="Centre", family="paragraph")
    centred.addElement(ParagraphProperties(textalign="center"))
    doc.automaticstyles.addElement(centred)
    number = P(stylename=centred, text="Page ")
    number.addElement(PageNumber(selectpage="current"))
    footer.addElement(number)
    master.addElement(footer)
    doc.masterstyles.addElement(master)
    for level, size in ((1, "18pt"), (2, "14pt"), (3, "12pt")):
        style = Style(
            name=f"Heading_20_{level}",
            displayname=f"Heading {level}",
            family="paragraph",
            defaultoutlinelevel=str(level),
        )
        style.addElement(TextProperties(fontsize=size, fontweight="bold"))
        doc.styles.addElement(style)
    strong = Style(name="Label", family="text")
    strong.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(strong)
    doc.text.addElement(H(outlinelevel=1, stylename="Heading_20_1", text=typo_fr(TITLE)))
    toc = TableOfContent(name="Table des matières")
    toc.addElement(TableOfContentSource(outlinelevel="2"))
    body = IndexBody()
    body.addElement(IndexTitle(name="Table des matières_Head"))
    body.addElement(P(text="Table des matières"))
    for chapter in chapters:
        body.addElement(P(text=chapter["title"]))
        for item in chapter["items"]:
            body.addElement(P(text="    " + item["title"]))
    toc.addElement(body)
    doc.text.addElement(toc)
    for chapter in chapters:
        doc.text.addElement(H(outlinelevel=1, stylename="Heading_20_1", text=chapter["title"]))
        for para in chapter["introduction"].split("\n"):
            if para.strip():
                doc.text.addElement(P(text=para))
        for item in chapter["items"]:
            practice = item["practice"]
            doc.text.addElement(H(outlinelevel=2, stylename="Heading_20_2", text=item["title"]))
            doc.text.addElement(P(text=f"{practice.department.name} ({practice.department.code})"))
            for label, value in item["sections"]:
                doc.text.addElement(H(outlinelevel=3, stylename="Heading_20_3", text=label))
                for line in value.split("\n"):
                    doc.text.addElement(P(text=line))
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _docx_field(paragraph, instruction: str) -> None:
    """A Word field (TOC, PAGE): Word computes it when the document opens or is printed."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = instruction
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    placeholder = OxmlElement("w:t")
    placeholder.text = "1" if "PAGE" in instruction else "Table des matières (mise à jour à l'ouverture)"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, placeholder, end):
        run._r.append(element)


def document_docx(ctx) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    chapters = _document_data(ctx)
    doc = Document()
    # French proofing language for the whole document.
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "fr-FR")
        rpr.append(lang)
    doc.core_properties.title = TITLE
    doc.core_properties.language = "fr-FR"
    doc.add_heading(typo_fr(TITLE), level=0)
    doc.add_heading("Table des matières", level=1)
    _docx_field(doc.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u')
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _docx_field(footer, "PAGE")
    for chapter in chapters:
        doc.add_heading(chapter["title"], level=1)
        for para in chapter["introduction"].split("\n"):
            if para.strip():
                doc.add_paragraph(para)
        for item in chapter["items"]:
            practice = item["practice"]
            doc.add_heading(item["title"], level=2)
            doc.add_paragraph(f"{practice.department.name} ({practice.department.code})").italic = True
            for label, value in item["sections"]:
                doc.add_heading(label, level=3)
                for line in value.split("\n"):
                    doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def document(ctx: exports.ExportContext) -> bytes:
    return {"pdf": document_pdf, "odt": document_odt, "docx": document_docx}[ctx.fmt](ctx)


exports.register(
    exports.Exporter(
        identifier="doctrine.inventory",
        label="Inventaire des pratiques",
        permission="doctrine.inventory",
        formats=("csv", "ods", "xlsx"),
        table=inventory_table,
        description="Les fiches pratiques de votre Caf (toutes les Caf pour le pilote national), hors brouillons.",
        filename="inventaire-pratiques",
    )
)
exports.register(
    exports.Exporter(
        identifier="doctrine.document",
        label="Document de doctrine",
        permission="doctrine.view",
        formats=("pdf", "odt", "docx"),
        document=document,
        background=True,
        description="La doctrine composée par la Cnaf : chapitres, introductions et pratiques publiées.",
        filename="doctrine-violences-conjugales",
    )
)
