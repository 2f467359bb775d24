"""Outputs of the doctrine checked by the canary test: the inventory export (CSV), the doctrine
document (PDF text, ODT, DOCX) and the search results. A practice holds no personal data: none of the
world's protected values may reach them."""

from io import BytesIO

from parcours.core import exports, policy
from parcours.doctrine import selectors, services
from tests.authz.kinds_doctrine import practice_of
from tests.authz.registry import output


@output
def doctrine_exports(world, principal):
    if principal == "anonymous":
        return
    user = world.users[principal]
    for variant in ("own", "other", "restricted", "shared"):
        practice_of(world, variant)
    if policy.role_allows(user, "doctrine.inventory"):
        yield (
            "inventaire des pratiques (CSV)",
            exports.produce(actor=user, identifier="doctrine.inventory", fmt="csv").content,
        )
    if policy.role_allows(user, "doctrine.view"):
        services.save_document(
            actor=world.users["national_pilot"],
            chapters=[
                {"title": "Aller vers", "introduction": "", "practices": [practice_of(world, "shared").pk]}
            ],
        )
        from pypdf import PdfReader

        pdf = exports.produce(actor=user, identifier="doctrine.document", fmt="pdf").content
        yield (
            "document de doctrine (PDF, texte)",
            "\n".join(p.extract_text() or "" for p in PdfReader(BytesIO(pdf)).pages),
        )
        yield (
            "document de doctrine (DOCX)",
            exports.produce(actor=user, identifier="doctrine.document", fmt="docx").content,
        )
        result = selectors.search_practices(user, selectors.SearchQuery(q="violences"))
        yield "recherche de pratiques", " ".join(h.extract for h in result.hits)
