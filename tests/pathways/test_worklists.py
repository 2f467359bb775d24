"""Worklists: who sees which open step ("Mes tâches", "Mon équipe", "En retard", "Cette semaine"),
filters, sorting, pagination, counts in the navigation, restricted files, and the audit of a page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from parcours.core.models import AuditEntry, Site
from parcours.households.models import HouseholdAssignment
from parcours.households.services import restrict_household
from parcours.pathways import selectors
from parcours.pathways.models import PathwayStep
from parcours.pathways.selectors import Worklist, WorklistFilters
from parcours.pathways.services import assign_step
from tests import factories
from tests.pathways.factories import open_pathway

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 18, 10, 0, tzinfo=PARIS)  # a Wednesday


@pytest.fixture
def team(db):
    """Two sites in the Caf 92; two social workers in Nanterre, one in Gennevilliers."""
    caf = factories.caf("92")
    nanterre = Site.objects.create(organisation=caf, name="Nanterre")
    gennevilliers = Site.objects.create(organisation=caf, name="Gennevilliers")
    me = factories.make_user("social_worker", "92", site=nanterre)
    colleague = factories.make_user("social_worker", "92", site=nanterre)
    elsewhere = factories.make_user("social_worker", "92", site=gennevilliers)
    return {
        "me": me,
        "colleague": colleague,
        "elsewhere": elsewhere,
        "nanterre": nanterre,
        "gennevilliers": gennevilliers,
    }


def contact_step(pathway) -> PathwayStep:
    return pathway.steps.get(kind="social_worker_contact")


def give(step, user):
    PathwayStep.objects.filter(pk=step.pk).update(assignee=user, site=user.site)
    step.refresh_from_db()
    return step


def ids(qs):
    return {s.pk for s in qs}


@pytest.fixture
def steps(team):
    """Contact steps: mine late, mine due this week, my colleague's, another site's, and an unassigned one."""
    with time_machine.travel(NOW, tick=False):
        mine_late = give(
            contact_step(open_pathway(declared_on=date(2026, 2, 2))), team["me"]
        )  # due 23 February
        mine_week = give(
            contact_step(open_pathway(declared_on=date(2026, 2, 27))), team["me"]
        )  # due 20 March
        mine_later = give(
            contact_step(open_pathway(declared_on=date(2026, 3, 16))), team["me"]
        )  # due 6 April
        colleague = give(contact_step(open_pathway(declared_on=date(2026, 2, 20))), team["colleague"])  # late
        elsewhere = give(contact_step(open_pathway(declared_on=date(2026, 2, 20))), team["elsewhere"])
        unassigned = contact_step(open_pathway(declared_on=date(2026, 3, 4)))  # due 25 March
        PathwayStep.objects.filter(pk=unassigned.pk).update(assignee=None, site=None)
    return {"mine_late": mine_late, "mine_week": mine_week, "mine_later": mine_later, "colleague": colleague,
            "elsewhere": elsewhere, "unassigned": unassigned}  # fmt: skip


def worklist(user, name, **filters):
    with time_machine.travel(NOW, tick=False):
        return list(
            selectors.worklist(user, name, WorklistFilters(**filters)).filter(kind="social_worker_contact")
        )


def test_my_tasks_are_the_open_steps_assigned_to_me_sorted_by_deadline(team, steps):
    found = worklist(team["me"], Worklist.MINE)
    assert [s.pk for s in found] == [steps["mine_late"].pk, steps["mine_week"].pk, steps["mine_later"].pk]


def test_my_team_is_my_site_and_the_unassigned_steps_of_its_roles(team, steps):
    found = ids(worklist(team["me"], Worklist.TEAM))
    expected = {steps[k].pk for k in ("mine_late", "mine_week", "mine_later", "colleague", "unassigned")}
    assert found == expected
    assert steps["elsewhere"].pk in ids(worklist(team["elsewhere"], Worklist.TEAM))
    assert steps["colleague"].pk not in ids(worklist(team["elsewhere"], Worklist.TEAM))


def test_late_steps_of_the_team_and_those_due_this_week(team, steps):
    assert ids(worklist(team["me"], Worklist.LATE)) == {steps["mine_late"].pk, steps["colleague"].pk}
    assert ids(worklist(team["me"], Worklist.WEEK)) == {steps["mine_week"].pk}
    assert ids(worklist(team["me"], Worklist.LATE, mine_only=True)) == {steps["mine_late"].pk}


def test_the_week_ends_on_sunday_night_in_the_department_time_zone(team):
    with time_machine.travel(NOW, tick=False):
        assert selectors.week_end(team["me"]) == datetime(2026, 3, 22, 23, 59, 59, tzinfo=PARIS)


def test_filters_by_kind_date_and_site(team, steps):
    assert ids(worklist(team["me"], Worklist.TEAM, due_from=date(2026, 3, 20), due_to=date(2026, 3, 31))) == {
        steps["mine_week"].pk,
        steps["unassigned"].pk,
    }
    assert ids(worklist(team["me"], Worklist.TEAM, site=team["nanterre"])) == {
        steps[k].pk for k in ("mine_late", "mine_week", "mine_later", "colleague")
    }
    with time_machine.travel(NOW, tick=False):
        kinds = set(
            selectors.worklist(
                team["me"], Worklist.MINE, WorklistFilters(kind="rights_appointment")
            ).values_list("kind", flat=True)
        )
    assert kinds <= {"rights_appointment"}


def test_done_and_withdrawn_steps_leave_the_worklists(team, steps):
    PathwayStep.objects.filter(pk=steps["mine_late"].pk).update(
        status=PathwayStep.Status.CLOSED, outcome="done"
    )
    PathwayStep.objects.filter(pk=steps["mine_week"].pk).update(status=PathwayStep.Status.WITHDRAWN)
    assert [s.pk for s in worklist(team["me"], Worklist.MINE)] == [steps["mine_later"].pk]


def test_a_restricted_file_shows_only_to_the_staff_assigned_to_it(team, steps):
    household = steps["colleague"].household
    restrict_household(actor=team["colleague"], household=household, reason="Violences signalées")
    assert steps["colleague"].pk in ids(worklist(team["colleague"], Worklist.TEAM))
    assert steps["colleague"].pk not in ids(worklist(team["me"], Worklist.TEAM))
    HouseholdAssignment.objects.create(household=household, user=team["me"])
    assert steps["colleague"].pk in ids(worklist(team["me"], Worklist.TEAM))


def test_the_steps_seen_are_exactly_those_whose_household_the_policy_opens(team, steps):
    """The worklists set aside the department's hidden files instead of checking each step's household
    through the policy's scope: both must give the same steps, for every kind of file and actor."""
    from parcours.core import policy
    from parcours.households.models import Household

    restricted_mine = steps["mine_week"].household
    restricted_other = steps["colleague"].household
    restrict_household(actor=team["me"], household=restricted_mine, reason="Violences signalées")
    restrict_household(actor=team["colleague"], household=restricted_other, reason="Violences signalées")
    open_pathway(department="974")  # another department's file
    everyone = [team["me"], team["colleague"], team["elsewhere"], factories.make_user("social_worker", "974"),
                factories.make_user("benefits_officer", "92"), factories.make_user("local_pilot", "92")]  # fmt: skip
    for actor in everyone:
        opened = policy.scope(actor, Household.objects.all(), "pathways.view").values("pk")
        expected = (
            ids(PathwayStep.objects.filter(household__in=opened))
            if policy.can(actor, "pathways.view")
            else set()
        )
        assert ids(selectors.steps_visible_to(actor)) == expected, actor
    assert steps["colleague"].pk not in ids(selectors.steps_visible_to(team["me"]))
    assert steps["mine_week"].pk in ids(selectors.steps_visible_to(team["me"]))
    assert steps["mine_week"].pk not in ids(selectors.steps_visible_to(team["elsewhere"]))
    # No look-up of each step's household (a correlated EXISTS): one uncorrelated set of hidden files.
    sql = str(selectors.steps_visible_to(team["me"]).query)
    assert "EXISTS" not in sql and "households_household" in sql


def test_staff_of_another_department_and_other_roles_see_nothing(team, steps):
    assert worklist(factories.make_user("social_worker", "974"), Worklist.TEAM) == []
    for role in ("local_pilot", "partner"):
        assert worklist(factories.make_user(role, "92"), Worklist.TEAM) == []


def test_counts_of_the_navigation_in_two_queries_then_from_the_cache_every_worker_shares(team, steps):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def fresh_user():  # a new request: a new user object
        user = type(team["me"]).objects.select_related("organisation__department").get(pk=team["me"].pk)
        user.roles  # noqa: B018 (loaded once per request by the middleware)
        return user

    def counted(user):
        with CaptureQueriesContext(connection) as queries:
            counts = selectors.worklist_counts(user)
        sqls = [q["sql"] for q in queries.captured_queries]
        cached = [q for q in sqls if "parcours_cache" in q]
        return counts, [q for q in sqls if q not in cached and "SAVEPOINT" not in q], cached

    with time_machine.travel(NOW, tick=False):
        counts, reads, _ = counted(fresh_user())
        assert len(reads) == 2  # the team, then the four counts at once
        for name in Worklist:
            assert counts[name] == selectors.worklist(team["me"], name).count() > 0
        again, reads, cache_reads = counted(fresh_user())
        assert again == counts and reads == [] and len(cache_reads) == 1
        # Kept in the database: every server process reads the same counts, and forgets them together.
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM parcours_cache")
            assert any(selectors.counts_cache_key(team["me"]) in key for (key,) in cursor.fetchall())
        selectors.forget_counts(team["me"])
        _, reads, _ = counted(fresh_user())
        assert len(reads) == 2


def test_assigning_a_step_moves_it_between_worklists(team, steps):
    assign_step(actor=team["me"], step=steps["unassigned"], assignee=team["me"])
    assert steps["unassigned"].pk in ids(worklist(team["me"], Worklist.MINE))


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["worklist-mine", "worklist-team", "worklist-late", "worklist-week"])
def test_each_worklist_page_lists_its_steps_and_is_audited(name, team, steps, client_for):
    client = client_for(team["me"])
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse(f"backoffice:{name}"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<caption class="visually-hidden">' in html and 'aria-current="page"' in html
    rows = response.context["rows"]
    assert rows and all(f'href="{reverse("backoffice:step-detail", args=[s.pk])}"' in html for s in rows)
    entry = AuditEntry.objects.filter(action="pathways.worklist.viewed").latest("id")
    assert entry.data == {"list": name.split("-")[1], "households": sorted({s.household_id for s in rows})}


def test_the_worklist_page_is_paginated_25_by_25(team, client_for):
    with time_machine.travel(NOW, tick=False):
        for _ in range(27):
            give(contact_step(open_pathway(declared_on=date(2026, 3, 2))), team["me"])
        response = client_for(team["me"]).get(
            reverse("backoffice:worklist-mine"), {"kind": "social_worker_contact"}
        )
        second = client_for(team["me"]).get(
            reverse("backoffice:worklist-mine"), {"kind": "social_worker_contact", "page": 2}
        )
    assert response.context["page"].paginator.count == 27
    assert len(response.context["rows"]) == 25 and len(second.context["rows"]) == 2
    assert "Page 1 sur 2" in response.content.decode()


def test_the_navigation_shows_the_counts(team, steps, client_for):
    with time_machine.travel(NOW, tick=False):
        html = client_for(team["me"]).get(reverse("backoffice:home")).content.decode()
        mine = selectors.worklist(team["me"], Worklist.MINE).count()
    nav = html.split('aria-label="Menu principal"')[1].split("</nav>")[0]
    assert f'Mes tâches <span class="badge rounded-pill">{mine}<span class="visually-hidden"> éléments' in nav
    assert "En retard" in nav and "Mon équipe" in nav and "Cette semaine" in nav


def test_a_bad_filter_is_explained_in_french(team, client_for):
    response = client_for(team["me"]).get(
        reverse("backoffice:worklist-team"), {"due_from": "2026-03-10", "due_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "La fin de la période précède son début." in response.content.decode()


def test_the_filter_form_reads_as_django_renders_it_and_follows_the_sites(team, client_for):
    from django.template.loader import render_to_string

    from parcours.backoffice.forms_pathways import WorklistFilterForm
    from parcours.backoffice.views.pathways import _empty_filters_html, _kinds_choices

    client = client_for(team["me"])
    html = client.get(reverse("backoffice:worklist-late")).content.decode()
    hits = _empty_filters_html.cache_info().hits
    client.get(reverse("backoffice:worklist-late"))
    assert _empty_filters_html.cache_info().hits == hits + 1  # the same choices: rendered once
    fresh = WorklistFilterForm(
        sites=list(selectors.worklist_sites(team["me"])), kinds=_kinds_choices(), show_mine_only=True
    )
    expected = render_to_string("backoffice/pathways/_worklist_filters.html", {"form": fresh})
    assert expected in html and "Seulement mes tâches" in html and ">Nanterre</option>" in html
    # A renamed site is a new set of choices, not the old form from the cache.
    Site.objects.filter(pk=team["nanterre"].pk).update(name="Nanterre-Université")
    html = client.get(reverse("backoffice:worklist-late")).content.decode()
    assert ">Nanterre-Université</option>" in html and ">Nanterre</option>" not in html
    assert "Seulement mes tâches" not in client.get(reverse("backoffice:worklist-mine")).content.decode()
    # Filled in, the form shows what was asked.
    html = client.get(reverse("backoffice:worklist-mine"), {"kind": "social_worker_contact"}).content.decode()
    assert '<option value="social_worker_contact" selected>' in html


def test_deadlines_read_as_django_formats_them(settings):
    from django.utils import formats

    from parcours.backoffice.templatetags.pathways_tags import deadline, local_datetime

    reunion = ZoneInfo("Indian/Reunion")
    for month in range(1, 13):
        moment = datetime(2026, month, 1 + month, 19, 59 - month, tzinfo=ZoneInfo("UTC"))
        local = moment.astimezone(reunion)
        day = formats.date_format(local, "j F Y")
        assert deadline(moment, "Indian/Reunion") == f"{day} à {local:%H} h {local:%M}"
        assert local_datetime(moment, "Indian/Reunion") == f"{day} à {local:%H} h {local:%M}"
    assert deadline(datetime(2026, 8, 3, 23, 59, tzinfo=PARIS), "Europe/Paris") == "3 août 2026"
    assert deadline(None) == ""
