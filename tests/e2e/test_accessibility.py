"""axe-core on one page per module and role, as people reach them: zero violations (WCAG 2.1 A/AA,
plus the "region" rule: all content inside landmarks, the quick exit and demo banner included)."""

import pytest
from django.urls import reverse

from tests import factories
from tests.e2e.conftest import AXE_JS, sign_in
from tests.pathways.factories import open_pathway
from tests.workshops import factories as wf


def violations(page) -> list[dict]:
    page.wait_for_load_state("load")
    page.evaluate(AXE_JS)
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            rules: {region: {enabled: true}}})"""
    )
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result["violations"]]


def _check(page, urls: list[str]) -> dict:
    found = {}
    for url in urls:
        page.goto(url)
        problems = violations(page)
        if problems:
            found[url] = problems
    return found


@pytest.mark.django_db(transaction=True)
def test_public_pages_have_no_axe_violation(page):
    workshop = wf.workshop("974")
    urls = [
        "/",
        reverse("portal:workshop-index"),
        reverse("portal:workshop-department", kwargs={"code": "974"}),
        reverse("portal:workshop-detail", kwargs={"code": "974", "pk": workshop.pk}),
        reverse("portal:quick-exit-help"),
        reverse("portal:accessibility"),
    ]
    assert _check(page, urls) == {}


@pytest.mark.django_db(transaction=True)
def test_a_social_workers_pages_have_no_axe_violation(page):
    pathway = open_pathway(department="92")
    step = pathway.steps.first()
    worker = factories.make_user("social_worker", "92")
    sign_in(page, worker)
    urls = [
        reverse("backoffice:home"),
        reverse("backoffice:household-search"),
        reverse("backoffice:household-detail", kwargs={"pk": pathway.household_id}),
        reverse("backoffice:worklist-mine"),
        reverse("backoffice:step-detail", kwargs={"pk": step.pk}),
        reverse("backoffice:pathway-record"),
        reverse("backoffice:invitation-list"),
    ]
    assert _check(page, urls) == {}


@pytest.mark.django_db(transaction=True)
def test_a_local_pilots_and_an_admins_pages_have_no_axe_violation(page):
    pathway = open_pathway(department="92")
    declarant = pathway.household.members.get(is_declarant=True)
    sign_in(page, factories.make_user("local_pilot", "92"))
    urls = [
        reverse("backoffice:pilot-dashboard"),
        reverse("backoffice:audit-department"),
        reverse("backoffice:household-reference-list"),
        # a member's rights from the reference page (RGPD art. 18 and 17)
        reverse("backoffice:household-reference", kwargs={"pk": pathway.household_id}),
        reverse("backoffice:person-limitation", kwargs={"pk": declarant.pk}),
        reverse("backoffice:person-erase", kwargs={"pk": declarant.pk}),
        reverse("backoffice:template-list"),
        reverse("backoffice:aid-ceilings"),
    ]
    found = _check(page, urls)
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(page, factories.make_user("admin"))
    found |= _check(page, [reverse("backoffice:user-list"), reverse("backoffice:user-create")])
    assert found == {}
