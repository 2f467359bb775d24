"""Typed refusals from the domain, mapped to HTTP codes in one place (parcours.api.errors)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from parcours.api.errors import exception_handler
from parcours.core.errors import Invalid, NotYours, Refused
from parcours.pathways import imports
from parcours.pathways.imports import LineError, ParsedFile
from tests import factories
from tests.pathways.factories import row


@pytest.mark.parametrize(
    ("exc", "status", "detail"),
    [
        (NotYours("Pas votre département."), 403, "Pas votre département."),
        (Refused(), 403, "Accès refusé."),
        (PermissionDenied(), 403, "Ce jeton n'a pas le droit de faire cette opération."),
        (Invalid("2 erreur(s) : rien n'a été écrit."), 400, "2 erreur(s) : rien n'a été écrit."),
        (ValidationError("Date invalide."), 400, "Date invalide."),
        (ValidationError({"value": "Numéro invalide."}), 400, "Numéro invalide."),
        (Http404(), 404, None),
    ],
)
def test_each_refusal_type_has_one_status(exc, status, detail):
    response = exception_handler(exc, {})
    assert response.status_code == status
    if detail is not None:
        assert response.data["detail"] == detail


def test_the_lines_of_a_refusal_are_listed():
    error = LineError(2, "department", "n'importe quel texte", "élément", not_yours=True)
    response = exception_handler(NotYours("Refusé.", errors=[error]), {})
    assert response.data["errors"] == [
        {"line": 2, "field": "department", "message": "élément 2 : n'importe quel texte"}
    ]


def test_a_foreign_declaration_is_told_by_its_type_not_by_its_wording():
    # Reworded or translated, the refusal stays a refusal; a French look-alike stays a mistake.
    foreign = ParsedFile(errors=[LineError(1, "department", "another department", not_yours=True)])
    with pytest.raises(NotYours) as refused:
        foreign.raise_for_errors()
    assert refused.value.errors == foreign.errors
    lookalike = ParsedFile(errors=[LineError(1, "department", "department « 75 » n'est pas le vôtre")])
    with pytest.raises(Invalid):
        lookalike.raise_for_errors()


def test_a_file_without_errors_is_not_refused():
    ParsedFile().raise_for_errors()


def test_the_declaration_check_marks_another_departments_line_as_not_yours(db):
    factories.caf("92"), factories.caf("974")
    checker = imports.RecordChecker(["92", "974"], today=date(2026, 4, 1), own_department="92")
    parsed = imports.check_records([row(), row(department="974")], checker)
    assert [(e.line, e.field, e.not_yours) for e in parsed.errors] == [(2, "department", True)]
