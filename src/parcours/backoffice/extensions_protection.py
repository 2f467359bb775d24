"""What the protection module adds to the back office: the AUU worklist (with its count) and the
partner directory in the menu, the household's "Protection" panel, the home cards of the AUU
worklist and of the safety steps to do. Imported by BackofficeConfig.ready()."""

from __future__ import annotations

from django.template.loader import render_to_string

from parcours.backoffice import home_cards, household_panels, navigation
from parcours.backoffice.views.protection import with_time_left
from parcours.core import policy
from parcours.protection import selectors

navigation.register(
    navigation.NavItem(
        "Aides d'urgence",
        "backoffice:aid-worklist",
        "protection.process_aid",
        order=40,
        count=lambda user: selectors.open_aid_count(user),
    )
)
navigation.register(
    navigation.NavItem("Partenaires", "backoffice:partner-list", "protection.view_partners", order=75)
)
navigation.register(
    navigation.NavItem(
        "Orientations reçues", "backoffice:partner-inbox", "protection.partner_inbox", order=74
    )
)
navigation.register(
    navigation.NavItem(
        "Plafonds de l'aide d'urgence", "backoffice:aid-ceilings", "protection.view_ceilings", order=76
    )
)


@household_panels.register("protection", order=15)
def protection_panel(request, household):
    if not policy.can(request.user, "protection.view", household):
        return None
    track = selectors.track_for(request.user, household)
    with_time_left(household, track.aids)
    return render_to_string(
        "backoffice/protection/household_panel.html",
        {
            "household": household,
            "track": track,
            "can_report": policy.can(request.user, "protection.report_violence", household),
            "can_register_aid": policy.can(request.user, "protection.register_aid", household),
        },
        request=request,
    )


@home_cards.register("cross-claims", order=14)
def cross_claims_card(request):
    """The family's social worker is alerted: a « signalement croisé » waits for her decision."""
    if not policy.has_perm(request.user, "protection.decide_cross_claim"):
        return None
    claims = list(selectors.pending_cross_claims(request.user)[:20])
    if not claims:
        return None
    return render_to_string(
        "backoffice/protection/cross_claims_card.html", {"claims": claims}, request=request
    )


@home_cards.register("pilot-cross-claims", order=14)
def pilot_cross_claims_card(request):
    """The local pilot is alerted to every « signalement croisé » waiting in her department."""
    if not policy.has_perm(request.user, "households.view_reference"):
        return None
    claims = list(selectors.pilot_cross_claims(request.user)[:20])
    if not claims:
        return None
    return render_to_string(
        "backoffice/protection/pilot_cross_claims_card.html", {"claims": claims}, request=request
    )


@home_cards.register("aid-worklist", order=15)
def aid_card(request):
    if not policy.has_perm(request.user, "protection.process_aid"):
        return None
    rows = selectors.aid_worklist(request.user)
    if not rows:
        return None
    return render_to_string(
        "backoffice/protection/aid_card.html",
        {"rows": rows[:5], "count": len(rows), "late": sum(1 for r in rows if r.time_left.late)},
        request=request,
    )


@home_cards.register("safety-steps", order=16)
def safety_steps_card(request):
    if not policy.has_perm(request.user, "protection.manage_checklist"):
        return None
    count, steps = selectors.open_steps_for(request.user)
    if not count:
        return None
    return render_to_string(
        "backoffice/protection/steps_card.html", {"steps": steps, "count": count}, request=request
    )
