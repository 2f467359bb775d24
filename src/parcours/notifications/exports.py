"""Exporters of the notifications module (core.exports): the PDF of a letter, for printing."""

from __future__ import annotations

from django.http import Http404

from parcours.core import exports
from parcours.notifications import selectors


def letter(ctx: exports.ExportContext) -> bytes:
    from parcours.notifications.backends import letters

    if not ctx.obj.letter_path:
        raise Http404  # an e-mail or a text message: no letter to print
    try:
        return letters.read(ctx.obj.letter_path)
    except FileNotFoundError as exc:
        raise Http404 from exc


LETTER = exports.Exporter(
    identifier="notifications.letter",
    label="Courrier (PDF)",
    permission="notifications.download_letter",
    formats=("pdf",),
    document=letter,
    obj="message",
    load=lambda actor, pk: selectors.message_for(
        actor, pk, permission="notifications.download_letter", audited=False
    ),
    filename=lambda ctx: f"courrier-{ctx.obj.pk}",
    audit_name="notifications.letter.downloaded",
    former_urls=(("messages/<int:pk>/courrier.pdf", "message-letter"),),
)


def register() -> None:
    exports.register(LETTER)
