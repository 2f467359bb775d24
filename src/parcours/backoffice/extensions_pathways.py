"""What the pathways module adds to the back office: the worklists in the menu (with their counts),
the household panel, the "my tasks" home card. Imported by BackofficeConfig.ready()."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from parcours.backoffice import home_cards, household_panels, navigation
from parcours.backoffice.views.pathways import WORKLIST_URLS
from parcours.core import policy
from parcours.households import timeline
from parcours.pathways import selectors
from parcours.pathways.selectors import WORKLIST_TITLES, Worklist


def _count(worklist_name):
    return lambda user: selectors.worklist_counts(user)[worklist_name]


NAV_LABELS = {**WORKLIST_TITLES, Worklist.WEEK: "Cette semaine"}  # short enough for one menu line
for _order, (_worklist, _url) in enumerate(WORKLIST_URLS.items(), start=20):
    navigation.register(
        navigation.NavItem(
            NAV_LABELS[_worklist],
            _url,
            "pathways.view",
            order=_order,
            count=_count(_worklist),
            count_ttl=0,  # worklist_counts caches the four counts itself and forgets them on change
        )
    )
navigation.register(navigation.NavItem("Déclarer une séparation", "backoffice:pathway-record",
                                       "pathways.record_separation", order=30))  # fmt: skip
navigation.register(navigation.NavItem("Imports", "backoffice:import-list", "pathways.import", order=70))
navigation.register(
    navigation.NavItem(
        "Modèle de parcours", "backoffice:template-list", "pathways.manage_templates", order=75
    )
)
navigation.register(
    navigation.NavItem(
        "Modèle national", "backoffice:template-national", "pathways.manage_national_template", order=76
    )
)
navigation.register(
    navigation.NavItem(
        "Pilotage du département", "backoffice:pilot-dashboard", "pathways.pilot_dashboard", order=78
    )
)


@household_panels.register("pathway", order=10)
def pathway_panel(request, household):
    user = request.user
    if not policy.can(user, "pathways.view", household):
        return None
    pathway = selectors.current_pathway(user, household)
    entries = timeline.entries_for(user, household)[:8]
    return render_to_string(
        "backoffice/pathways/_household_panel.html",
        {
            "household": household,
            "pathway": pathway,
            "steps": selectors.steps_of(user, pathway) if pathway else [],
            "entries": entries,
            "can_change": pathway is not None
            and pathway.is_open
            and policy.can(user, "pathways.update_situation", household),
            "can_record": policy.can(user, "pathways.record_separation"),
            "now": timezone.now(),
            "department_tz": household.department.timezone,
        },
        request=request,
    )


@home_cards.register("my-tasks", order=10)
def my_tasks_card(request):
    user = request.user
    if not policy.has_perm(user, "pathways.view"):
        return None
    counts = selectors.worklist_counts(user)
    upcoming = list(selectors.worklist(user, Worklist.MINE)[:5])
    if upcoming:
        selectors.record_worklist_view(user, Worklist.MINE, upcoming)
    return render_to_string(
        "backoffice/pathways/_home_card.html",
        {
            "counts": counts,
            "upcoming": upcoming,
            "now": timezone.now(),
            "department_tz": user.department.timezone,
            "department_code": user.department_code,
        },
        request=request,
    )
