"""Every action the code writes to the audit journal has a French label."""

import re
from pathlib import Path

from django.urls import reverse

from parcours.core import audit, audit_labels
from tests import factories

SRC = Path(__file__).resolve().parents[2] / "src" / "parcours"
APPS = {p.name for p in SRC.iterdir() if (p / "apps.py").exists()} | {"audit"}
ACTION = re.compile(r"[\"']([a-z_]+)\.([a-z_]+)\.([a-z_]+)[\"']")


def actions_in_code() -> set[str]:
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for app, obj, verb in ACTION.findall(path.read_text(encoding="utf-8")):
            if app in APPS and obj not in {"models", "services", "selectors", "urls", "apps", "tasks"}:
                found.add(f"{app}.{obj}.{verb}")
    return found


def test_every_audited_action_has_a_french_label():
    from parcours.core import exports

    # The registry writes "<identifier>.exported" (or the exporter's former action) for each exporter.
    actions = actions_in_code() | {exporter.audit_action for exporter in exports.all_exporters()}
    assert len(actions) > 50
    missing = sorted(a for a in actions if not audit_labels.is_known(a))
    assert not missing, f"actions sans libellé français (core/audit_labels.py) : {missing}"


def test_labels_read_as_french():
    assert audit_labels.label("households.person.viewed") == "Consultation — fiche de la personne"
    assert audit_labels.label("protection.violence.reported") == "Signalement de violences"
    assert audit_labels.label("inconnu.x.y") == "inconnu.x.y"


def test_the_household_journal_shows_labels_not_codes(db, client_for):
    household = factories.HouseholdFactory(department_code="92")
    pilot = factories.make_user("local_pilot", "92")
    audit.record(pilot, "households.household.viewed", household)
    page = (
        client_for(pilot)
        .get(reverse("backoffice:audit-household", kwargs={"pk": household.pk}))
        .content.decode()
    )
    assert "Consultation — dossier du foyer" in page
    assert "households.household.viewed" not in page
