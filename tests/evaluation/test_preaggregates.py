"""The pre-aggregates: every indicator recomputed from the raw tables, by hand, for the seeded
demo year, equals the rows the refresh stored."""

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.utils import timezone

from parcours.core import calendar, indicators, schedule
from parcours.evaluation import services
from parcours.evaluation.models import Aggregate, Refresh, breakdown_key
from parcours.pathways.models import Pathway, PathwayStep
from parcours.protection.models import EmergencyAid
from parcours.workshops.models import Invitation, Registration, SurveyResponse

OFFERS = {
    "rights_appointment",
    "social_worker_contact",
    "workshop_invitation",
    "child_support_information",
    "mediation_offer",
}


def _month(day):
    if isinstance(day, datetime):
        day = timezone.localtime(day).date()
    return day.replace(day=1)


def _by_hand(window) -> dict:
    """Each indicator, from its written definition, with plain loops over the records."""
    now = timezone.now()
    cells: dict = defaultdict(lambda: [0, 0, Counter()])

    def add(code, department, month, breakdown, numerator=0, denominator=0, value=None):
        if not window.start <= month <= window.end:
            return
        cell = cells[(code, department, month, breakdown_key(breakdown))]
        cell[0] += numerator
        cell[1] += denominator
        if value is not None:
            cell[2][value] += 1

    pathways = Pathway.objects.select_related("department").prefetch_related("steps__attempts")
    for pathway in pathways:
        dep, month = pathway.department, _month(pathway.declared_on)
        track = "protected" if pathway.violence_reported else "normal"
        children = "with" if pathway.children_count > 0 else "without"
        add("pathways.separations", dep.code, month, {"track": track, "children": children}, 1)
        steps = list(pathway.steps.all())
        moments = [a.attempted_at for s in steps for a in s.attempts.all() if a.result == "reached"]
        moments += [
            s.closed_at
            for s in steps
            if s.kind in ("rights_appointment", "social_worker_contact") and s.outcome == "done"
        ]
        if moments:
            days = max(
                0,
                calendar.working_days_between(
                    dep, pathway.declared_on, calendar.local_date(dep, min(moments))
                ),
            )
            for code in ("pathways.first_contact_median", "pathways.first_contact_p90"):
                add(code, dep.code, month, {"track": track}, 1, value=days)
        for step in steps:
            due = step.status == "closed" or step.due_at < now
            counted = step.status != "withdrawn" and step.outcome != "not_applicable" and due
            if step.kind in ("rights_appointment", "social_worker_contact") and counted:
                on_time = step.status == "closed" and step.outcome == "done" and step.closed_at <= step.due_at
                add(f"pathways.{step.kind}_on_time", dep.code, month, {"track": track}, int(on_time), 1)
            if (
                step.kind in OFFERS
                and step.status == "closed"
                and step.outcome in ("done", "declined", "unreachable")
            ):
                add("pathways.take_up", dep.code, month, {"step": step.kind}, int(step.outcome == "done"), 1)

    sw_steps = list(
        PathwayStep.objects.filter(responsible_role="social_worker", assignee__isnull=False).select_related(
            "department"
        )
    )
    month = window.start
    while month <= window.end:
        following = (month + timedelta(days=32)).replace(day=1)
        moment = min(timezone.make_aware(datetime.combine(following, time.min)), now)
        if moment >= timezone.make_aware(datetime.combine(month, time.min)):
            loads = Counter(
                (s.department.code, s.assignee_id)
                for s in sw_steps
                if s.opened_at < moment and (s.closed_at is None or s.closed_at >= moment)
            )
            for (code, _), n in loads.items():
                add("pathways.staff_load", code, month, {}, 1, value=n)
        month = following

    for invitation in Invitation.objects.exclude(status="cancelled").select_related("household__department"):
        code, month = invitation.household.department.code, _month(invitation.sent_at)
        add("workshops.invited", code, month, {}, 1)
        add("workshops.invitation_take_up", code, month, {}, int(invitation.status == "registered"), 1)
    for registration in Registration.objects.filter(status="confirmed").select_related(
        "workshop__department"
    ):
        workshop = registration.workshop
        code, month = workshop.department.code, _month(workshop.starts_at)
        add("workshops.registered", code, month, {"format": workshop.format}, 1)
        if workshop.held_at is not None:
            add(
                "workshops.attendance",
                code,
                month,
                {"format": workshop.format},
                int(registration.attendance == "present"),
                1,
            )
    for answer in SurveyResponse.objects.all():
        score = sum(getattr(answer, q) for q in SurveyResponse.QUESTIONS)
        add(
            "workshops.satisfaction",
            answer.department_code,
            answer.session_month,
            {"format": answer.format},
            int(score >= 20),
            1,
        )

    today = timezone.localdate()
    for aid in EmergencyAid.objects.select_related("household__department"):
        dep, month = aid.household.department, _month(aid.received_on)
        decision = {"refused": "refused", "received": "pending"}.get(aid.status, aid.form)
        add("protection.aid_requests", dep.code, month, {"decision": decision}, 1)
        if aid.status == "refused":
            if aid.proof_kind == "main_courante":
                reason = "proof_not_accepted"
            elif aid.received_on > aid.proof_date + relativedelta(months=12):
                reason = "proof_too_old"
            elif "déjà été attribuée" in aid.refusal_reason:
                reason = "renewal"
            else:
                reason = "other"
            add("protection.aid_refusals", dep.code, month, {"reason": reason}, 1)
        allocataire = "yes" if aid.is_allocataire else "no"
        if aid.status == "paid":
            days = calendar.working_days_between(dep, aid.received_on, aid.paid_on)
            add("protection.aid_payment_delay", dep.code, month, {"allocataire": allocataire}, 1, value=days)
        if aid.status == "paid" or (aid.status == "granted" and aid.due_on < today):
            on_time = aid.status == "paid" and aid.paid_on <= aid.due_on
            add("protection.aid_paid_on_time", dep.code, month, {"allocataire": allocataire}, int(on_time), 1)

    result = {}
    for (code, dep, month, key), (numerator, denominator, histogram) in cells.items():
        unit = indicators.get(code).unit
        result[(code, dep, month, key)] = (
            float(numerator),
            float(denominator) if unit == indicators.SHARE else None,
            {str(k): v for k, v in sorted(histogram.items())}
            if unit in (indicators.MEDIAN, indicators.P90)
            else None,
        )
    return result


@pytest.fixture
def demo_year(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())


def test_every_stored_row_equals_the_indicator_recomputed_by_hand_from_the_raw_data(demo_year):
    run = services.refresh()
    # the indicators of the three modules of the experiment (others register theirs as they land)
    bilan = {
        i.code for i in indicators.all_indicators() if i.module in {"pathways", "workshops", "protection"}
    }
    stored = {
        (a.indicator, a.department, a.month, a.breakdown_key): (a.numerator, a.denominator, a.distribution)
        for a in Aggregate.objects.filter(indicator__in=bilan)
    }
    expected = _by_hand(services.default_window())
    assert {key[0] for key in stored} == {key[0] for key in expected} == bilan  # facts for every one
    missing = sorted(set(expected) - set(stored))[:5]
    extra = sorted(set(stored) - set(expected))[:5]
    different = [
        (k, stored[k], expected[k]) for k in sorted(set(stored) & set(expected)) if stored[k] != expected[k]
    ][:5]
    assert not missing and not extra and not different, (missing, extra, different)
    assert run.rows >= len(stored) > 300


def test_the_nightly_job_and_the_command_refresh_the_rows(demo_year):
    assert "evaluation.refresh" in [job.name for job in schedule.jobs()]
    assert schedule.get("evaluation.refresh").at == time(2, 30)
    schedule.run_now("evaluation.refresh")
    assert Refresh.objects.filter(trigger=Refresh.Trigger.NIGHTLY, status=Refresh.Status.DONE).exists()
    first = Aggregate.objects.count()
    Aggregate.objects.filter(indicator="pathways.separations").delete()  # a stale state the refresh repairs
    out = StringIO()
    call_command("indicators", "refresh", stdout=out)
    assert Aggregate.objects.count() == first
    assert "lignes" in out.getvalue()
    assert Refresh.objects.filter(trigger=Refresh.Trigger.COMMAND, status=Refresh.Status.DONE).exists()


def test_every_indicator_is_documented():
    for indicator in indicators.all_indicators():
        assert indicator.label and indicator.definition and indicator.module, indicator.code
        if indicator.module in {"pathways", "workshops", "protection"}:  # the bilan's own, written here
            assert len(indicator.definition) > 120, indicator.code
        for name in (
            indicator.breakdowns if indicator.module in {"pathways", "workshops", "protection"} else ()
        ):
            assert name in indicators.BREAKDOWN_LABELS and indicators.VALUE_LABELS[name], (
                indicator.code,
                name,
            )
