"""Only the notifications transports send anything: no other module imports Django's mail-sending API."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "parcours"
ALLOWED = SRC / "notifications" / "backends"
SENDING = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "EmailMessage",
    "EmailMultiAlternatives",
    "get_connection",
}


def sending_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module in ("django.core.mail", "django.core"):
            names = {alias.name for alias in node.names}
            if node.module == "django.core" and "mail" in names:
                found.append(f"{path.relative_to(SRC)}: from django.core import mail")
            found += [f"{path.relative_to(SRC)}: {name}" for name in names & SENDING]
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("smtplib", "django.core.mail"):
                    found.append(f"{path.relative_to(SRC)}: import {alias.name}")
    return found


def test_no_module_but_the_transports_can_send_mail():
    offenders = []
    for path in SRC.rglob("*.py"):
        if ALLOWED in path.parents:
            continue
        offenders += sending_imports(path)
    assert offenders == [], "Envoi hors du point de contrôle unique (notifications) : " + ", ".join(offenders)


def test_the_check_sees_an_import_when_there_is_one():
    sample = SRC / "notifications" / "backends" / "email.py"
    assert sending_imports(sample)  # the transport itself does import the API: the scanner sees it
