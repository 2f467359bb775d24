"""Imports of separation events: every column's checks, encodings and separators, JSON, idempotency,
all-or-nothing, dry runs, the command, and a crash in the middle of the write."""

import random
import threading
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from parcours.core import bulk
from parcours.core.models import AuditEntry
from parcours.core.phones import normalize_french_phone
from parcours.households.models import Address, ContactChannel, Household, Person
from parcours.pathways import imports
from parcours.pathways.models import Pathway, PathwayStep, SeparationEvent
from parcours.pathways.services import complete_step, import_data
from parcours.pathways.services.opening import SUPERSEDED, _find_by_department
from tests import factories
from tests.pathways.factories import csv_bytes, json_bytes, row


@pytest.fixture(autouse=True)
def cafs(db):
    for code in ("92", "974"):
        factories.caf(code)
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()


def counts():
    return (Household.objects.count(), SeparationEvent.objects.count(), Pathway.objects.count(),
            PathwayStep.objects.count(), AuditEntry.objects.filter(action__startswith="pathways.").count())  # fmt: skip


def run(data: bytes, name: str = "declarations.csv", **kwargs):
    return import_data(actor=kwargs.pop("actor", None), data=data, filename=name, **kwargs)


# --- every column --------------------------------------------------------------------------------

BAD_VALUES = [
    ({"external_id": ""}, "external_id", "external_id est obligatoire"),
    ({"external_id": "SEP 12"}, "external_id", "external_id « SEP 12 » ne peut contenir que lettres"),
    ({"department": ""}, "department", "department est obligatoire"),
    ({"department": "99"}, "department", "department « 99 » n'est le département d'aucune Caf utilisant Parcours"),
    ({"file_number": ""}, "file_number", "file_number est obligatoire"),
    ({"file_number": "12 34"}, "file_number", "file_number « 12 34 » n'est pas un numéro d'allocataire : 7 chiffres"),
    ({"file_number": "A123456"}, "file_number", "file_number « A123456 » n'est pas un numéro d'allocataire"),
    ({"separated_on": "2099-01-01"}, "separated_on", "separated_on : le 01/01/2099 est dans le futur"),
    ({"declarant_birth_date": "2015-01-01"}, "declarant_birth_date", "declarant_birth_date : née ou né le 01/01/2015, la personne n'était pas majeure"),
    ({"declarant_birth_date": "1900-01-01"}, "declarant_birth_date", "declarant_birth_date : le 01/01/1900 n'est pas plausible"),
    (
        {"declarant_birth_date": "1990-05-04", "separated_on": "2005-01-01"},
        "separated_on",
        "separated_on : le 01/01/2005 précède la majorité du déclarant (04/05/2008)",
    ),
    (
        {"youngest_child_birth_date": "2026-06-01"},
        "youngest_child_birth_date",
        "youngest_child_birth_date : le 01/06/2026 est après la déclaration",
    ),
    ({"declared_on": ""}, "declared_on", "declared_on est obligatoire"),
    ({"declared_on": "31/02/2026"}, "declared_on",
     "declared_on « 31/02/2026 » n'est pas une date valide (AAAA-MM-JJ ou JJ/MM/AAAA)"),
    ({"declared_on": "2099-01-01"}, "declared_on", "declared_on : le 01/01/2099 est dans le futur"),
    ({"separated_on": "2026-13-01"}, "separated_on", "separated_on « 2026-13-01 » n'est pas une date valide"),
    ({"declarant_last_name": ""}, "declarant_last_name", "declarant_last_name est obligatoire"),
    ({"declarant_last_name": "X" * 81}, "declarant_last_name", "declarant_last_name dépasse 80 caractères"),
    ({"declarant_first_name": ""}, "declarant_first_name", "declarant_first_name est obligatoire"),
    ({"declarant_birth_date": "hier"}, "declarant_birth_date", "declarant_birth_date « hier » n'est pas une date valide"),
    ({"other_parent_last_name": "Durand"}, "other_parent_first_name",
     "other_parent_first_name est obligatoire quand l'autre parent est nommé"),
    ({"other_parent_first_name": "Julien"}, "other_parent_last_name",
     "other_parent_last_name est obligatoire quand l'autre parent est nommé"),
    ({"children_count": ""}, "children_count", "children_count est obligatoire"),
    ({"children_count": "-1"}, "children_count", "children_count « -1 » doit être un nombre entier entre 0 et 20"),
    ({"children_count": "deux"}, "children_count", "children_count « deux » doit être un nombre entier"),
    ({"children_count": "21"}, "children_count", "children_count « 21 » doit être un nombre entier entre 0 et 20"),
    ({"children_count": "0", "youngest_child_birth_date": "2020-01-01"}, "youngest_child_birth_date",
     "youngest_child_birth_date est renseignée alors que children_count vaut 0"),
    ({"youngest_child_birth_date": "32/01/2020"}, "youngest_child_birth_date",
     "youngest_child_birth_date « 32/01/2020 » n'est pas une date valide"),
    ({"shared_home": "peut-être"}, "shared_home", "shared_home « peut-être » doit valoir oui, non, true, false, 1 ou 0"),
    ({"violence_reported": "2"}, "violence_reported", "violence_reported « 2 » doit valoir oui, non"),
    ({"email": "camille@"}, "email", "email « camille@ » n'est pas une adresse e-mail valide"),
    ({"phone": "01 23"}, "phone", "phone « 01 23 » n'est pas un numéro de téléphone français valide"),
    ({"address_line": "3 rue Haute", "city": "Nanterre"}, "postal_code",
     "postal_code est obligatoire quand address_line est renseignée"),
    ({"address_line": "3 rue Haute", "postal_code": "92000"}, "city",
     "city est obligatoire quand address_line est renseignée"),
    ({"postal_code": "9200", "address_line": "3 rue Haute", "city": "Nanterre"}, "postal_code",
     "postal_code « 9200 » doit compter 5 chiffres"),
    ({"city": "Nanterre"}, "postal_code", "postal_code est obligatoire quand city est renseignée"),
    ({"postal_code": "92000"}, "city", "city est obligatoire quand postal_code est renseigné"),
]  # fmt: skip


@pytest.mark.parametrize("overrides, field, message", BAD_VALUES)
def test_each_column_is_checked_and_a_bad_line_writes_nothing(overrides, field, message):
    before = counts()
    outcome = run(csv_bytes([row(), row(**overrides), row()]))
    assert [(e.line, e.field) for e in outcome.errors] == [(3, field)]
    assert str(outcome.errors[0]).startswith(f"ligne 3 : {message}")
    assert counts() == before


def test_the_report_lists_every_bad_line_with_its_number():
    outcome = run(
        csv_bytes([row(), row(declared_on="31/02/2026"), row(), row(children_count="-1", email="x@")])
    )
    assert [str(e) for e in outcome.errors] == [
        "ligne 3 : declared_on « 31/02/2026 » n'est pas une date valide (AAAA-MM-JJ ou JJ/MM/AAAA)",
        "ligne 5 : children_count « -1 » doit être un nombre entier entre 0 et 20",
        "ligne 5 : email « x@ » n'est pas une adresse e-mail valide",
    ]
    assert SeparationEvent.objects.count() == 0


def test_accepted_forms_of_values():
    outcome = run(csv_bytes([
        row(external_id="A-1", declared_on="03/03/2026", shared_home="OUI", violence_reported="0",
            phone="0692 12 34 56", email="Camille.Martin@Exemple.fr"),
        row(external_id="A-2", declared_on="2026-03-03", shared_home="true", violence_reported="1",
            phone="06.12.34.56.78", children_count="0"),
    ]))  # fmt: skip
    assert outcome.ok and outcome.created == 2
    first, second = (SeparationEvent.objects.get(external_id=x) for x in ("A-1", "A-2"))
    assert (first.declared_on, first.shared_home, first.violence_reported) == (date(2026, 3, 3), True, False)
    assert (second.shared_home, second.violence_reported) == (True, True)
    values = set(ContactChannel.objects.values_list("value", "kind"))
    assert ("+262692123456", "sms") in values and ("+33612345678", "sms") in values
    assert ("camille.martin@exemple.fr", "email") in values


# --- encodings, separators, formats --------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, bom, sep",
    [
        ("utf-8", False, ";"),
        ("utf-8", True, ";"),
        ("utf-8", True, ","),
        ("cp1252", False, ";"),
        ("cp1252", False, ","),
    ],
)
def test_both_encodings_and_separators(encoding, bom, sep):
    data = csv_bytes([row(declarant_last_name="Lefèvre", declarant_first_name="Hélène", city="Évreux",
                          address_line="5 place de l'Église", postal_code="27000")],
                     encoding=encoding, bom=bom, sep=sep)  # fmt: skip
    outcome = run(data)
    assert outcome.ok and outcome.created == 1
    person = Person.objects.get()
    assert (person.last_name, person.first_name) == ("Lefèvre", "Hélène")
    assert Address.objects.get().city == "Évreux"


def test_a_file_in_another_encoding_is_refused_in_french():
    outcome = run(csv_bytes([row()], encoding="utf-16"))
    assert outcome.unreadable.startswith("Le fichier n'est ni en UTF-8 ni en Windows-1252")
    assert SeparationEvent.objects.count() == 0


def test_the_header_is_required_and_checked():
    columns = [c if c != "declared_on" else "declared_at" for c in imports.COLUMNS]
    outcome = run(csv_bytes([row()], columns=columns))
    assert [str(e) for e in outcome.errors] == [
        "ligne 1 : colonne « declared_at » inconnue",
        "ligne 1 : colonne obligatoire « declared_on » absente",
    ]
    assert run(b"").unreadable == "Le fichier est vide : la ligne d'en-tête est obligatoire."


def test_a_line_with_a_wrong_number_of_values_is_reported():
    data = csv_bytes([row()]) + b"SEP-X;92;123\r\n"
    outcome = run(data)
    assert [str(e) for e in outcome.errors] == [
        "ligne 3 : 3 valeurs pour 19 colonnes (séparateur ou guillemets ?)"
    ]


def test_blank_lines_are_skipped():
    outcome = run(csv_bytes([row()]) + b"\r\n\r\n" + csv_bytes([row()]).split(b"\r\n", 1)[1])
    assert outcome.ok and outcome.created == 2


@pytest.mark.parametrize("wrapped", [False, True])
def test_json_as_a_list_or_under_events(wrapped):
    items = [dict(row(), children_count=2, violence_reported=True, shared_home=False), row()]
    outcome = run(json_bytes(items, wrapped=wrapped), name="declarations.json")
    assert outcome.ok and outcome.created == 2
    assert SeparationEvent.objects.filter(violence_reported=True, children_count=2).count() == 1


def test_json_errors_name_the_element():
    outcome = run(json_bytes([row(), {**row(), "declared_on": "31/02/2026"}, "pas un objet", {**row(), "colour": "x"}]),
                  name="x.json")  # fmt: skip
    assert [str(e) for e in outcome.errors] == [
        "élément 2 : declared_on « 31/02/2026 » n'est pas une date valide (AAAA-MM-JJ ou JJ/MM/AAAA)",
        "élément 3 : un objet JSON est attendu",
        "élément 4 : colonne « colour » inconnue",
    ]
    assert run(b"[{", name="x.json").unreadable.startswith("JSON invalide")


# --- idempotency and households -----------------------------------------------------------------


def test_importing_the_same_file_twice_opens_each_pathway_once():
    data = csv_bytes([row(), row(), row()])
    assert run(data).created == 3
    before = counts()
    again = run(data)
    assert (again.created, again.existing) == (0, 3)
    assert counts()[:4] == before[:4]


def test_the_same_external_id_twice_in_a_file_is_one_pathway():
    # With different data it is an error on both lines (tests/pathways/test_import_consistency.py).
    first = row(external_id="SEP-DUP")
    outcome = run(csv_bytes([first, dict(first), row()]))
    assert (outcome.created, outcome.existing) == (2, 1)
    assert SeparationEvent.objects.get(external_id="SEP-DUP").children_count == 1


def test_the_same_external_id_in_two_departments_is_two_pathways():
    outcome = run(csv_bytes([row(external_id="SEP-1"), row(external_id="SEP-1", department="974")]))
    assert outcome.created == 2


def test_the_batch_lookup_finds_exactly_the_pairs_asked_for():
    """Any identifier a file may hold, in the department it was declared for, and only there."""
    ids = ["A-1", "é.ü:2/3", "x_y", "0", "9" * 64]
    import_data(actor=None, data=csv_bytes([row(external_id=i, file_number=f"{5600000 + n}")
                                            for n, i in enumerate(ids)]), filename="a.csv")  # fmt: skip
    d92, d974 = (factories.department(code) for code in ("92", "974"))
    pairs = {(d92.pk, i) for i in ids} | {(d974.pk, ids[0]), (d92.pk, "absent")}
    rows = _find_by_department(pairs, "external_id", SeparationEvent, ["department_id", "external_id", "pk"],
                               linked=(Pathway, "event"))  # fmt: skip
    assert {(d, e) for d, e, _, _ in rows} == {(d92.pk, i) for i in ids}
    assert {(pk, pathway) for _, _, pk, pathway in rows} == set(
        SeparationEvent.objects.filter(external_id__in=ids).values_list("pk", "pathway__pk")
    )
    assert len(rows) == len(ids) and all(pathway is not None for *_, pathway in rows)
    if connection.vendor == "postgresql":  # the pairs travel as texts split on the unit separator
        with pytest.raises(ValueError, match="unit separator"):
            _find_by_department({(d92.pk, "a\x1fb")}, "external_id", SeparationEvent, ["pk"])


def test_a_known_household_is_found_by_department_and_file_number():
    household = factories.HouseholdFactory(department_code="92", file_number="7777777")
    known = factories.PersonFactory(
        household=household, first_name="Hélène", last_name="Lefèvre", is_declarant=True
    )
    from parcours.households.services import protect_address

    factories.AddressFactory(person=known, line="8 rue Secrète")
    protect_address(actor=factories.make_user("social_worker", "92"), person=known, reason="Violences",
                    elected_kind="association", elected_name="CIDFF", elected_line="1 place de la Mairie",
                    elected_postal_code="92000", elected_city="Nanterre")  # fmt: skip
    outcome = run(csv_bytes([row(file_number="7777777", address_line="4 rue Neuve", postal_code="92000",
                                 city="Nanterre", email="helene@exemple.fr",
                                 other_parent_last_name="Durand", other_parent_first_name="Julien")]))  # fmt: skip
    assert outcome.created == 1 and Household.objects.count() == 1
    pathway = Pathway.objects.get()
    assert pathway.household == household
    # The declarant is the person on file; her protected address is untouched; the other parent is added.
    assert list(household.members.values_list("first_name", flat=True).order_by("first_name")) == [
        "Hélène",
        "Julien",
    ]
    assert not Address.objects.filter(person=known).exists()
    contact = ContactChannel.objects.get(person=known)
    assert (contact.value, contact.is_safe) == ("helene@exemple.fr", False)


def test_a_new_declaration_closes_the_pathway_in_progress_and_keeps_what_was_done():
    run(csv_bytes([row(external_id="SEP-OLD", file_number="5555555", declared_on="2026-01-05")]))
    old = Pathway.objects.get(event__external_id="SEP-OLD")
    done = old.steps.get(kind="information_offer")
    complete_step(actor=factories.make_user("service_advisor", "92"), step=done, outcome="done")
    run(csv_bytes([row(external_id="SEP-NEW", file_number="5555555", declared_on="2026-03-02")]))
    old.refresh_from_db()
    assert (old.status, old.closed_reason) == (Pathway.Status.CLOSED, SUPERSEDED)
    assert set(old.steps.values_list("status", flat=True)) == {"closed", "withdrawn"}
    assert old.steps.get(kind="information_offer").outcome == "done"
    assert Pathway.objects.get(event__external_id="SEP-NEW").status == Pathway.Status.OPEN


def test_an_older_declaration_arriving_late_does_not_replace_the_pathway_in_progress():
    run(csv_bytes([row(external_id="SEP-NEW", file_number="5555555", declared_on="2026-03-02")]))
    run(csv_bytes([row(external_id="SEP-OLD", file_number="5555555", declared_on="2026-01-05")]))
    assert Pathway.objects.get(event__external_id="SEP-NEW").status == Pathway.Status.OPEN
    late = Pathway.objects.get(event__external_id="SEP-OLD")
    assert late.status == Pathway.Status.CLOSED and not late.steps.exists()


# --- all or nothing, dry run, audit, volume ------------------------------------------------------


def test_a_dry_run_checks_and_writes_nothing():
    run(csv_bytes([row(external_id="SEP-KNOWN")]))
    before = counts()
    outcome = run(csv_bytes([row(external_id="SEP-KNOWN"), row(), row()]), dry_run=True)
    assert outcome.ok and (outcome.created, outcome.existing) == (2, 1)
    assert counts() == before


def test_the_import_is_audited_once_per_pathway_and_once_for_the_file():
    run(csv_bytes([row(), row()]))
    opened = AuditEntry.objects.filter(action="pathways.pathway.opened")
    assert opened.count() == 2
    assert {e.scope for e in opened} == {
        f"household:{pk}" for pk in Household.objects.values_list("pk", flat=True)
    }
    summary = AuditEntry.objects.get(action="pathways.import.completed")
    assert summary.data == {
        "source": "file",
        "lines": 2,
        "created": 2,
        "already_imported": 0,
        "households_created": 2,
    }
    from parcours.core import audit

    assert audit.verify().ok


def test_the_number_of_queries_does_not_grow_with_the_file():
    def queries(n):
        with CaptureQueriesContext(connection) as captured:
            assert run(csv_bytes([row() for _ in range(n)])).created == n
        return len(captured)

    queries(1)  # the first write of the audit chain creates its head
    assert queries(600) <= queries(30)  # (fewer on PostgreSQL: from 100 audit entries on, a COPY)


@pytest.mark.parametrize("background", [False, True], ids=["inline", "background-writer"])
def test_a_crash_in_the_middle_of_the_write_leaves_nothing_and_a_rerun_completes(
    monkeypatch, settings, background
):
    settings.PATHWAYS_IMPORT_BACKGROUND_MIN = 1 if background else 10**9
    data = csv_bytes([row() for _ in range(40)])
    original = bulk.Batch.write
    threads = set()

    def crash_on_steps(self, raw):
        threads.add(threading.current_thread().name)
        if self.table.model is PathwayStep:
            raise RuntimeError("processus tué")
        return original(self, raw)

    monkeypatch.setattr(bulk.Batch, "write", crash_on_steps)
    before = counts()
    with pytest.raises(RuntimeError):
        run(data)
    assert counts() == before
    assert threads == ({"parcours-bulk-writer"} if background else {threading.current_thread().name})
    monkeypatch.setattr(bulk.Batch, "write", original)
    outcome = run(data)
    assert (outcome.created, outcome.existing) == (40, 0)
    assert Pathway.objects.count() == 40


def test_staff_import_only_their_department():
    advisor = factories.make_user("service_advisor", "92")
    outcome = run(csv_bytes([row(), row(department="974")]), actor=advisor)
    assert [str(e) for e in outcome.errors] == [
        "ligne 3 : department « 974 » n'est pas le vôtre : vous ne déclarez que pour le 92"
    ]
    with pytest.raises(PermissionDenied):
        run(csv_bytes([row()]), actor=factories.make_user("partner", "92"))


# --- the command -------------------------------------------------------------------------------


def test_the_command_imports_and_reports(tmp_path, capsys):
    path = tmp_path / "declarations.csv"
    path.write_bytes(csv_bytes([row(), row()]))
    call_command("import-events", str(path), verbosity=0)
    assert "2 parcours ouverts, 0 déclarations déjà importées" in capsys.readouterr().out
    call_command("import-events", str(path), "--dry-run", verbosity=0)
    assert "0 seraient importées, 2 le sont déjà. Rien n'a été écrit." in capsys.readouterr().out


def test_the_command_fails_on_a_bad_file_and_lists_every_line(tmp_path, capsys):
    path = tmp_path / "declarations.csv"
    path.write_bytes(csv_bytes([row(), row(declared_on="31/02/2026"), row(phone="12")]))
    with pytest.raises(CommandError, match="2 erreurs sur 3 lignes ; rien n'a été écrit"):
        call_command("import-events", str(path), verbosity=0)
    err = capsys.readouterr().err
    assert "ligne 3 : declared_on « 31/02/2026 » n'est pas une date valide" in err
    assert "ligne 4 : phone « 12 » n'est pas un numéro de téléphone français valide" in err
    assert SeparationEvent.objects.count() == 0
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import-events", str(tmp_path / "absent.csv"))


# --- French phone numbers ----------------------------------------------------------------------


def test_the_fast_phone_check_agrees_with_phonenumbers_on_every_prefix():
    """One number of a block decides for the block: check another number of each block against phonenumbers."""
    rng = random.Random(2026)
    imports._PHONE_PREFIXES.clear()
    for prefix in range(0, 100000, 7):  # 6-digit national prefixes in steps of 7 (~14,000 blocks)
        first, second = (f"0{prefix:05d}{rng.randint(0, 9999):04d}" for _ in range(2))
        imports.normalize_phone(first)  # decides the block with phonenumbers
        found = imports.normalize_phone(second)  # answered from the block's verdict
        assert (found[0] if found else None) == normalize_french_phone(second), second


def test_the_phone_prefix_cache_reuses_a_verdict_only_for_the_same_block():
    imports._PHONE_PREFIXES.clear()
    assert imports.normalize_phone("0612345678") == ("+33612345678", True)
    assert imports.normalize_phone("0612349999") == ("+33612349999", True)
    assert imports.normalize_phone("0262201234") == ("+262262201234", False)
    assert imports.normalize_phone("+33 6 12 34 56 78") == ("+33612345678", True)
    assert imports.normalize_phone("0000000000") is None


# --- e-mail addresses --------------------------------------------------------------------------


EMAILS = [
    "camille@exemple.fr", "Camille.Martin@Exemple.FR", "a+b@sous.domaine.exemple.fr", "x@localhost",
    "x@[127.0.0.1]", "x@[::1]", "x@[999.1.1.1]", '"nom avec espaces"@exemple.fr', "x@", "@exemple.fr",
    "x@exemple", "x@-exemple.fr", "x@exemple..fr", "x y@exemple.fr", "x@exemple.fr.", "é@exemple.fr",
    "x@éxemple.fr", "x@xn--xemple-9ua.fr", "x" * 310 + "@exemple.fr", "x@" + "a" * 64 + ".fr",
]  # fmt: skip


def test_the_file_e_mail_check_agrees_with_django_even_for_a_domain_seen_before():
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    def verdict(check, value):
        try:
            check(value)
        except ValidationError:
            return False
        return True

    check = imports.FileEmailValidator()
    for _ in range(2):  # the second pass answers the domains from the cache
        for value in EMAILS + [f"other.{v}" for v in EMAILS]:
            assert verdict(check, value) == verdict(validate_email, value), value
    assert {verdict(validate_email, v) for v in EMAILS} == {True, False}


def test_a_large_batch_tunes_its_connection_for_itself(settings):
    """SQLite: a wider page cache for the index pages; PostgreSQL: no JIT compilation of the
    batch's lookups, for this transaction only."""

    def current() -> str:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size" if connection.vendor == "sqlite" else "SHOW jit")
            return str(cursor.fetchone()[0])

    with connection.cursor() as cursor:  # the defaults (an earlier test may have used this connection)
        cursor.execute("PRAGMA cache_size = -2000" if connection.vendor == "sqlite" else "SET LOCAL jit = on")
    settings.PATHWAYS_IMPORT_CHUNK_SIZE = 2
    assert run(csv_bytes([row()])).created == 1  # a small batch leaves them alone
    assert current() == ("-2000" if connection.vendor == "sqlite" else "on")
    assert run(csv_bytes([row(), row(), row()])).created == 3
    assert current() == ("-16384" if connection.vendor == "sqlite" else "off")


def test_a_large_batch_writes_each_chunks_steps_in_the_order_of_the_worklists_indexes(settings):
    """(department, assignee, deadline): each page of those indexes is then written once per chunk."""
    settings.PATHWAYS_IMPORT_BACKGROUND_MIN, settings.PATHWAYS_IMPORT_CHUNK_SIZE = 1, 1000  # one chunk
    for code in ("92", "974"):
        for role in ("social_worker", "social_worker", "service_advisor", "benefits_officer"):
            factories.make_user(role, code)
    lines = [row(department="974" if n % 2 else "92", children_count=str(n % 3), violence_reported="oui" if n % 4 == 0
                 else "non", declared_on=f"2026-0{1 + n % 9}-1{n % 10}") for n in range(40)]  # fmt: skip
    assert run(csv_bytes(lines)).created == 40
    written = list(PathwayStep.objects.order_by("pk").values_list("department_id", "assignee_id", "due_at"))
    assert len(written) > 120 and len({d for d, _, _ in written}) == 2
    # A file declared with violence is restricted at once: its steps only go to its assigned staff
    # (the social worker), the others wait for the local pilot (issue 15).
    open_files = PathwayStep.objects.filter(household__restricted=False)
    assert open_files.count() > 80 and not open_files.filter(assignee=None).exists()
    assert not (
        PathwayStep.objects.filter(household__restricted=True, assignee__isnull=False)
        .exclude(household__assignments__user=F("assignee"))
        .exists()
    )
    assert written == sorted(written, key=lambda r: (r[0], r[1] or 0, r[2]))  # unassigned first
    assert PathwayStep.objects.values("pathway").distinct().count() == 40
