"""Foundation outputs for the canary test: the audit trail and the console of audit verification."""

import json
from io import StringIO

from django.core.management import call_command

from parcours.core.models import AuditEntry
from tests.authz.registry import output


@output
def audit_trail(world, principal):
    # The audit trail holds references and reasons, never the protected value itself.
    rows = list(AuditEntry.objects.values("actor_label", "action", "object_ref", "reason", "data"))
    assert rows
    yield "journal d'audit (toutes les entrées)", json.dumps(rows, ensure_ascii=False, default=str)


@output
def audit_verify_console(world, principal):
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    yield "parcours audit verify", out.getvalue()
