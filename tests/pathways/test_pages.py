"""Staff pages of the pathways module: declaring a separation, a step, the situation, the timeline,
imports (upload, background job, progress, report, restart) and templates."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.pathways.models import ImportJob, Pathway, PathwayStep, PathwayTemplate, SeparationEvent
from parcours.pathways.services import jobs
from tests import factories
from tests.pathways.factories import csv_bytes, open_pathway, row


@pytest.fixture
def advisor(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    return factories.make_user("service_advisor", "92")


def declaration(**overrides):
    data = {
        "form_token": "a1b2c3d4", "file_number": "1234567", "is_allocataire": "on", "declared_on": "2026-03-02",
        "declarant_last_name": "Martin", "declarant_first_name": "Camille", "children_count": "2",
        "phone": "06 12 34 56 78",
    }  # fmt: skip
    data.update(overrides)
    return data


# --- declaring a separation ------------------------------------------------------------------


def test_the_form_opens_a_pathway_and_a_double_submit_opens_only_one(advisor, client_for):
    client = client_for(advisor)
    assert client.get(reverse("backoffice:pathway-record")).status_code == 200
    response = client.post(reverse("backoffice:pathway-record"), declaration())
    pathway = Pathway.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "backoffice:household-detail", args=[pathway.household_id]
    )
    assert pathway.steps.count() == 7 and pathway.event.external_id == "SAISIE-a1b2c3d4"
    again = client.post(reverse("backoffice:pathway-record"), declaration(), follow=True)
    assert Pathway.objects.count() == 1
    assert "Cette déclaration était déjà enregistrée" in again.content.decode()


def test_the_form_explains_errors_in_french_and_writes_nothing(advisor, client_for):
    response = client_for(advisor).post(
        reverse("backoffice:pathway-record"),
        declaration(
            children_count="0", youngest_child_birth_date="2020-05-01", phone="12", postal_code="920"
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200 and not SeparationEvent.objects.exists()
    assert (
        "« Date de naissance du plus jeune enfant » est renseignée alors que « Nombre d&#x27;enfants à charge » vaut 0"
        in html
    )
    assert (
        "« Téléphone du déclarant ou de la déclarante » « 12 » n&#x27;est pas un numéro de téléphone français valide"
        in html
    )
    assert "data-error-summary" in html


def test_violence_reported_in_the_form_opens_the_protected_track(advisor, client_for):
    today = advisor.department.local_today().isoformat()
    client_for(advisor).post(
        reverse("backoffice:pathway-record"), declaration(violence_reported="on", declared_on=today)
    )
    pathway = Pathway.objects.get()
    assert pathway.violence_reported
    assert not pathway.steps.filter(kind="mediation_offer").exists()
    assert pathway.steps.get(kind="social_worker_contact").protected_deadline


def test_the_household_page_shows_the_pathway_and_its_timeline(advisor, client_for):
    pathway = open_pathway(children_count=2)
    html = (
        client_for(advisor)
        .get(reverse("backoffice:household-detail", args=[pathway.household_id]))
        .content.decode()
    )
    assert "Parcours séparation" in html and "Contact proactif d&#x27;un travailleur social" in html
    assert "Derniers événements" in html and "Déclaration de séparation reçue" in html
    assert reverse("backoffice:pathway-situation", args=[pathway.pk]) in html


# --- a step ----------------------------------------------------------------------------------


def test_a_step_page_records_an_attempt_then_completes_the_step(client_for):
    social_worker = factories.make_user("social_worker", "92")
    pathway = open_pathway(children_count=1)
    contact = pathway.steps.get(kind="social_worker_contact")
    client = client_for(social_worker)
    page = client.get(reverse("backoffice:step-detail", args=[contact.pk]))
    assert page.status_code == 200 and "Terminer l'étape" in page.content.decode()
    response = client.post(reverse("backoffice:step-attempt", args=[contact.pk]),
                           {"channel": "phone", "result": "no_answer", "attempted_at": "2026-03-03T10:15", "note": ""})  # fmt: skip
    assert response.status_code == 302 and contact.attempts.count() == 1
    refused = client.post(reverse("backoffice:step-complete", args=[contact.pk]), {"outcome": "unreachable"})
    assert refused.status_code == 200 and "au moins 3 tentatives" in refused.content.decode()
    done = client.post(
        reverse("backoffice:step-complete", args=[contact.pk]), {"outcome": "done", "note": "Joint"}
    )
    assert done.status_code == 302
    contact.refresh_from_db()
    assert (contact.status, contact.outcome) == ("closed", "done")


def test_the_attempt_time_is_the_department_time(client_for):
    social_worker = factories.make_user("social_worker", "974")
    contact = open_pathway(department="974", children_count=1).steps.get(kind="social_worker_contact")
    client_for(social_worker).post(reverse("backoffice:step-attempt", args=[contact.pk]),
                                   {"channel": "phone", "result": "reached", "attempted_at": "2026-03-03T10:15"})  # fmt: skip
    attempt = contact.attempts.get()
    assert attempt.attempted_at.isoformat() == "2026-03-03T06:15:00+00:00"  # 10:15 in Saint-Denis (UTC+4)


def test_taking_a_step_for_oneself(client_for):
    first, second = factories.make_user("social_worker", "92"), factories.make_user("social_worker", "92")
    contact = open_pathway(children_count=1).steps.get(kind="social_worker_contact")
    taker = second if contact.assignee == first else first
    response = client_for(taker).post(reverse("backoffice:step-assign", args=[contact.pk]), {"take": "1"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.assignee == taker


# --- situation and timeline ------------------------------------------------------------------


def test_the_situation_page_reevaluates_steps_and_sends_violence_to_the_protection_form(client_for):
    social_worker = factories.make_user("social_worker", "92")
    pathway = open_pathway(children_count=2)
    client = client_for(social_worker)
    page = client.get(reverse("backoffice:pathway-situation", args=[pathway.pk])).content.decode()
    assert reverse("backoffice:protection-report", args=[pathway.household_id]) in page
    assert 'name="violence_reported"' not in page
    response = client.post(reverse("backoffice:pathway-situation", args=[pathway.pk]),
                           {"children_count": "0", "reason": "Enfants déclarés par erreur"})  # fmt: skip
    assert response.status_code == 302
    assert pathway.steps.get(kind="mediation_offer").status == PathwayStep.Status.WITHDRAWN
    missing = client.post(reverse("backoffice:pathway-situation", args=[pathway.pk]), {"children_count": "2"})
    assert "Ce champ est obligatoire." in missing.content.decode()


def test_the_timeline_page_is_audited(client_for):
    social_worker = factories.make_user("social_worker", "92")
    pathway = open_pathway(children_count=2)
    response = client_for(social_worker).get(
        reverse("backoffice:household-timeline", args=[pathway.household_id])
    )
    assert response.status_code == 200 and "Parcours ouvert" in response.content.decode()
    assert AuditEntry.objects.filter(
        action="pathways.timeline.viewed", object_id=str(pathway.household_id)
    ).exists()


# --- imports ---------------------------------------------------------------------------------


def upload(client, data: bytes, name="declarations.csv", **extra):
    return client.post(reverse("backoffice:import-list"), {"file": SimpleUploadedFile(name, data), **extra})


@pytest.mark.parametrize("writer", ["inline", "writer-thread"])
def test_an_uploaded_file_is_imported_in_the_background(
    advisor, client_for, django_capture_on_commit_callbacks, settings, writer
):
    if writer == "writer-thread":  # what a large file does: chunks written by core.bulk.Writer's thread
        settings.PATHWAYS_IMPORT_BACKGROUND_MIN, settings.PATHWAYS_IMPORT_CHUNK_SIZE = 1, 2
    client = client_for(advisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_bytes([row(), row(), row()]))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "backoffice:import-detail", args=[job.pk]
    )
    assert (job.status, job.created_count, job.total_lines, job.percent) == ("done", 3, 3, 100)
    assert SeparationEvent.objects.filter(import_job=job).count() == 3
    page = client.get(response["Location"]).content.decode()
    assert "3 parcours ouverts ; 0 déclarations déjà importées." in page and "hx-trigger" not in page
    assert Pathway.objects.count() == 3


def test_the_progress_part_polls_while_the_job_runs_and_refreshes_the_page_at_the_end(advisor, client_for):
    client = client_for(advisor)
    job = ImportJob.objects.create(department=advisor.department, created_by=advisor, original_name="x.csv",
                                   status="validating", total_lines=100_000, processed_lines=45_000)  # fmt: skip
    fragment = client.get(reverse("backoffice:import-progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert 'hx-trigger="every 2s"' in html and "45000 lignes vérifiées" in html and 'value="45"' in html
    assert "HX-Refresh" not in fragment
    ImportJob.objects.filter(pk=job.pk).update(status="done")
    finished = client.get(reverse("backoffice:import-progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true" and "hx-trigger" not in finished.content.decode()


def test_a_bad_file_is_rejected_with_every_line_and_a_csv_report(
    advisor, client_for, django_capture_on_commit_callbacks
):
    client = client_for(advisor)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_bytes([row(), row(declared_on="31/02/2026"), row(email="=HYPERLINK()")]))
    job = ImportJob.objects.get()
    assert (job.status, job.error_count) == ("rejected", 2) and not SeparationEvent.objects.exists()
    page = client.get(reverse("backoffice:import-detail", args=[job.pk])).content.decode()
    assert "ligne 3 : declared_on « 31/02/2026 » n&#x27;est pas une date valide" in page
    report = client.get(reverse("backoffice:export-pathways-import-report", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["ligne", "champ", "erreur"] and [line[:2] for line in lines[1:]] == [
        ["3", "declared_on"],
        ["4", "email"],
    ]
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)


def test_a_dry_run_upload_writes_nothing(advisor, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(advisor), csv_bytes([row(), row()]), dry_run="on")
    job = ImportJob.objects.get()
    assert job.status == "done" and "Rien n'a été écrit" in job.message
    assert not SeparationEvent.objects.exists()


def test_an_upload_that_is_not_csv_or_json_is_refused(advisor, client_for):
    response = upload(client_for(advisor), b"%PDF-1.7", name="declarations.pdf")
    assert "Déposez un fichier CSV (.csv) ou JSON (.json)." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_failed_job_is_restarted_and_completes(
    advisor, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    client = client_for(advisor)

    def broken(*args, **kwargs):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(jobs, "record_separations", broken)
    with django_capture_on_commit_callbacks(execute=True):  # the task fails: its backend records it
        upload(client, csv_bytes([row(), row()]))
    job = ImportJob.objects.get()
    assert job.status == "failed" and not SeparationEvent.objects.exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:import-restart", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 2)
    refused = client.post(reverse("backoffice:import-restart", args=[job.pk]), follow=True)
    assert "ne peut pas être relancé" in refused.content.decode()


def test_the_sample_file_imports_as_it_is(advisor):
    from parcours.pathways.imports import sample_csv

    outcome = jobs.import_data(actor=None, data=sample_csv().encode(), filename="exemple.csv")
    assert outcome.ok and outcome.created == 2


# --- templates -------------------------------------------------------------------------------


def formset_data(template, **changes):
    data = {"name": template.name, "change_note": changes.pop("change_note", "Délai local"),
            "etapes-TOTAL_FORMS": str(template.steps.count() + 1), "etapes-INITIAL_FORMS": str(template.steps.count()),
            "etapes-MIN_NUM_FORMS": "0", "etapes-MAX_NUM_FORMS": "20"}  # fmt: skip
    from parcours.pathways.rules import format_conditions

    for i, s in enumerate(template.steps.all()):
        data.update({
            f"etapes-{i}-kind": s.kind, f"etapes-{i}-label": s.label, f"etapes-{i}-responsible_role": s.responsible_role,
            f"etapes-{i}-deadline_value": str(s.deadline_value), f"etapes-{i}-deadline_unit": s.deadline_unit,
            f"etapes-{i}-protected_deadline_value": "" if s.protected_deadline_value is None else str(s.protected_deadline_value),
            f"etapes-{i}-protected_deadline_unit": s.protected_deadline_unit,
            f"etapes-{i}-conditions": format_conditions(s.conditions), f"etapes-{i}-ORDER": str(s.position),
        })  # fmt: skip
    data.update(changes)
    return data


def test_a_local_pilot_creates_then_changes_the_department_variant(advisor, client_for):
    pilot = factories.make_user("local_pilot", "92")
    client = client_for(pilot)
    national = PathwayTemplate.objects.get(department__isnull=True, is_current=True)
    assert "modèle national" in client.get(reverse("backoffice:template-list")).content.decode()
    changes = {"etapes-1-deadline_value": "8", "etapes-0-ORDER": "9",  # the information step moves last
               "etapes-7-kind": "housing_help", "etapes-7-label": "Aide au relogement", "etapes-7-ORDER": "3",
               "etapes-7-responsible_role": "social_worker", "etapes-7-deadline_value": "5",
               "etapes-7-deadline_unit": "working_days", "etapes-7-conditions": "logement_commun"}  # fmt: skip
    response = client.post(reverse("backoffice:template-edit"), formset_data(national, **changes))
    assert response.status_code == 302
    variant = PathwayTemplate.objects.get(department__code="92", is_current=True)
    assert variant.steps.get(kind="rights_appointment").deadline_value == 8 and variant.version == 1
    kinds = list(variant.steps.values_list("kind", flat=True))
    assert (
        kinds[:3] == ["rights_appointment", "social_worker_contact", "housing_help"]
        and kinds[-1] == "information_offer"
    )
    assert variant.steps.get(kind="housing_help").conditions == [{"shared_home": True}]
    assert open_pathway().template == variant
    detail = client.get(reverse("backoffice:template-detail", args=[variant.pk]))
    assert detail.status_code == 200 and "Version 1" in detail.content.decode()
    bad = client.post(
        reverse("backoffice:template-edit"), formset_data(variant, **{"etapes-2-conditions": "enfants et"})
    )
    assert bad.status_code == 200 and "incomprise" in bad.content.decode()
    client.post(reverse("backoffice:template-use-national"))
    assert open_pathway().template == national


def test_the_national_pilot_versions_the_national_template(advisor, client_for):
    pilot = factories.make_user("national_pilot", None)
    national = PathwayTemplate.objects.get(department__isnull=True, is_current=True)
    response = client_for(pilot).post(reverse("backoffice:template-national"),
                                      formset_data(national, **{"etapes-6-DELETE": "on"}))  # fmt: skip
    assert response.status_code == 302
    current = PathwayTemplate.objects.get(department__isnull=True, is_current=True)
    assert (
        current.version == national.version + 1 and not current.steps.filter(kind="review_closure").exists()
    )


def test_the_household_page_reads_each_pathways_table_once_and_shows_the_open_pathway(client_for):
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parcours.pathways.services import record_contact_attempt

    social_worker = factories.make_user("social_worker", "92")
    paris = ZoneInfo("Europe/Paris")
    with time_machine.travel(datetime(2026, 1, 5, 9, 0, tzinfo=paris), tick=False):
        first = open_pathway(file_number="7654321", declared_on=date(2026, 1, 5), children_count=1)
        record_contact_attempt(actor=social_worker, step=first.steps.get(kind="social_worker_contact"),
                               channel="phone", result="no_answer")  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=paris), tick=False):
        second = open_pathway(file_number="7654321", declared_on=date(2026, 3, 2), children_count=0)
    first.refresh_from_db()
    assert second.household_id == first.household_id and second.is_open and not first.is_open
    with CaptureQueriesContext(connection) as queries:
        response = client_for(social_worker).get(
            reverse("backoffice:household-detail", args=[second.household_id])
        )
    sqls = [q["sql"] for q in queries.captured_queries]  # read now: the next request empties the log
    html = response.content.decode()
    panel = html.split('id="titre-parcours"')[1].split("Derniers événements")[0]
    # The pathway in progress, with its own steps only: no children, so no workshop invitation.
    assert "0 enfant" in panel and "Invitation à une séance" not in panel
    shown = {s.pk for s in second.steps.all()}
    assert all(reverse("backoffice:step-detail", args=[pk]) in panel for pk in shown)
    assert not any(reverse("backoffice:step-detail", args=[s.pk]) in panel for s in first.steps.all())
    # The first pathway's contact attempt names its step on the full timeline.
    full = client_for(social_worker).get(reverse("backoffice:household-timeline", args=[second.household_id]))
    attempt = (
        full.content.decode().split("Contact (appel téléphonique) : pas de réponse")[1].split("</li>")[0]
    )
    assert "— Contact proactif d&#x27;un travailleur social" in attempt
    steps_read = [q for q in sqls if '"pathways_pathwaystep"."pathway_id" IN (' in q]
    # One read, on the steps' pathway index, for the household's two pathways (no index by household).
    assert len(steps_read) == 1 and not any('"pathways_pathwaystep"."household_id" = ' in q for q in sqls)
    assert str(first.pk) in steps_read[0] and str(second.pk) in steps_read[0]
    assert sum('FROM "pathways_separationevent"' in q for q in sqls) == 1
    # The panel's steps and its pathway come from those two reads, not from queries of their own.
    assert not any('"pathways_pathwaystep"."pathway_id" =' in q for q in sqls)
    assert not any(q.startswith('SELECT "pathways_pathway"."id"') for q in sqls)


def test_declaring_for_a_file_with_an_open_pathway_warns_first_and_writes_nothing(advisor, client_for):
    client = client_for(advisor)
    url = reverse("backoffice:pathway-record")
    client.post(url, declaration())
    first = Pathway.objects.get()
    warned = client.post(url, declaration(form_token="e5f6a7b8", declared_on="2026-03-09"))
    html = warned.content.decode()
    assert warned.status_code == 200
    assert "Un parcours est ouvert pour ce dossier depuis le" in html and "clôt ce parcours" in html
    assert Pathway.objects.count() == 1  # nothing written before the confirmation
    confirmed = client.post(
        url, declaration(form_token="e5f6a7b8", declared_on="2026-03-09", replace_confirmed="on")
    )
    assert confirmed.status_code == 302
    first.refresh_from_db()
    assert first.status == Pathway.Status.CLOSED and Pathway.objects.filter(status="open").count() == 1


def test_an_older_declaration_says_the_pathway_in_progress_is_kept(advisor, client_for):
    client = client_for(advisor)
    url = reverse("backoffice:pathway-record")
    client.post(url, declaration())
    html = client.post(url, declaration(form_token="c0ffee00", declared_on="2026-02-01")).content.decode()
    assert "plus ancienne" in html and "le parcours en cours est gardé" in html
