"""workshops/integrations.py reaches pathways by direct imports: a rename there fails loudly."""

import importlib
import sys
import types

import pytest

from parcours.workshops import integrations
from tests import factories


def test_a_renamed_pathway_rule_breaks_the_import_instead_of_answering_no(monkeypatch):
    # pathways.selectors as it would be after renaming `violence_reported`: the safety rule
    # (never the other parent's session) must not quietly read "no violence reported".
    renamed = types.ModuleType("parcours.pathways.selectors")
    renamed.due_workshop_invitation_steps = lambda actor: []
    monkeypatch.setitem(sys.modules, "parcours.pathways.selectors", renamed)
    monkeypatch.delitem(sys.modules, "parcours.workshops.integrations")
    with pytest.raises(ImportError, match="violence_reported"):
        importlib.import_module("parcours.workshops.integrations")


def test_a_restricted_household_counts_as_violence_reported_without_asking_pathways(monkeypatch):
    household = factories.HouseholdFactory(department_code="92", restricted=True)
    monkeypatch.setattr(integrations, "pathway_violence_reported", lambda h: pytest.fail("asked"))
    assert integrations.violence_reported(household) is True
    assert integrations.violence_reported(None) is False
