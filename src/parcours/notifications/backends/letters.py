"""Postal letters: the letter is rendered to PDF (WeasyPrint) and stored outside the web root for
printing; authorised staff download it from the message page (audited). "Sent" means "ready to print".
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from parcours.notifications.backends import atomic_write


def root() -> Path:
    return Path(settings.PARCOURS_LETTERS_DIR)


def relative_path(*, department_code: str, reference: str) -> str:
    # One file per message reference: a second hand-over after a crash finds it already there.
    return f"{department_code or 'sans-departement'}/{reference}.pdf"


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.PACKAGE_DIR)).write_pdf()


def store(*, html: str, department_code: str, reference: str) -> str:
    relative = relative_path(department_code=department_code, reference=reference)
    atomic_write(root() / relative, render_pdf(html))
    return relative


def read(relative: str) -> bytes:
    path = (root() / relative).resolve()
    if root().resolve() not in path.parents:
        raise FileNotFoundError(relative)
    return path.read_bytes()


def delivered(*, department_code: str, reference: str) -> bool:
    return (root() / relative_path(department_code=department_code, reference=reference)).exists()
