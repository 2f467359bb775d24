"""Records of the workshops module for the authorization matrix and the canary test."""

from parcours.core.roles import Role
from parcours.workshops import links
from parcours.workshops.models import Facilitation, Invitation
from tests.authz.registry import kind, url_kwargs
from tests.authz.world import OTHER, OWN
from tests.workshops import factories as wf


def workshop_of(world, variant):
    """A published session next week; in its own department the partner principal facilitates it
    (a partner sees only the sessions they facilitate: that is their "own" record)."""

    def build():
        code = OTHER if variant == "other" else OWN
        w = wf.workshop(code, format="hybrid", days=7)
        if variant != "other":
            Facilitation.objects.create(workshop=w, user=world.users[Role.PARTNER], role="lawyer")
        return w

    return world.memo(("workshop", variant), build)


@kind("workshop")
def workshop(world, variant):
    if variant == "restricted":
        return None  # a session is department data: no household, no restriction
    return {"pk": workshop_of(world, variant).pk}


def registration_of(world, variant):
    def build():
        if variant == "restricted":
            # A parent of the restricted household registered by staff: only assigned staff open it.
            from parcours.workshops.services import register

            return register(
                actor=world.assignee, workshop=workshop_of(world, "own"), person=world.parent("restricted")
            ).registration
        return wf.public_registration(workshop_of(world, variant), first_name="Sarah")

    return world.memo(("registration", variant), build)


@kind("registration")
def registration(world, variant):
    return {"pk": registration_of(world, variant).pk}


@kind("series")
def series(world, variant):
    if variant == "restricted":
        return None
    from parcours.workshops.services import create_series

    def build():
        from datetime import date, time, timedelta

        code = OTHER if variant == "other" else OWN
        actor = world.users["local_pilot"] if variant != "other" else _other_pilot(world)
        today = date.today()
        s, _ = create_series(
            actor=actor, title="Parents après la séparation", format="webinar", frequency="monthly", interval=1,
            weekday=1, week_of_month=1, start_time=time(18), duration_minutes=120, capacity=20,
            languages=["fr"], first_date=today + timedelta(days=1), last_date=today + timedelta(days=120),
            holiday_confirmed=True,  # dates relative to today may fall on a public holiday
        )  # fmt: skip
        assert s.department.code == code
        return s

    return {"pk": world.memo(("series", variant), build).pk}


def _other_pilot(world):
    from tests import factories

    return world.memo(("pilot", OTHER), lambda: factories.make_user("local_pilot", OTHER))


@kind("venue")
def venue(world, variant):
    if variant == "restricted":
        return None
    return {"pk": world.memo(("venue", variant), lambda: wf.venue(OTHER if variant == "other" else OWN)).pk}


def invitation_of(world, variant):
    def build():
        from datetime import timedelta

        from django.utils import timezone

        household = world.household(variant)
        person = world.parent(variant)
        return Invitation.objects.create(
            household=household, person=person, expires_at=timezone.now() + timedelta(days=20),
            separate_sessions=household.restricted,
        )  # fmt: skip

    return world.memo(("invitation", variant), build)


@kind("invitation")
def invitation(world, variant):
    return {"pk": invitation_of(world, variant).pk}


# --- public pages: sample arguments --------------------------------------------------------------------


def _public_workshop_kwargs(world):
    w = workshop_of(world, "own")
    return {"code": w.department.code, "pk": w.pk}


url_kwargs("portal:workshop-detail")(_public_workshop_kwargs)
url_kwargs("portal:workshop-register")(_public_workshop_kwargs)


@url_kwargs("portal:workshop-department")
def department(world):
    return {"code": OWN}


@url_kwargs("portal:workshop-registered")
def registered(world):
    return {**_public_workshop_kwargs(world), "outcome": "confirmee"}


def _registration_token(world):
    # The restricted household's registration: the page its parent opens from the message.
    return {"token": links.registration_token(registration_of(world, "restricted"))}


for _name in (
    "portal:registration-manage",
    "portal:registration-cancel",
    "portal:registration-move",
    "portal:registration-offer",
    "portal:registration-calendar",
    "portal:registration-join",
):
    url_kwargs(_name)(_registration_token)


def _invitation_token(world):
    return {"token": links.invitation_token(invitation_of(world, "restricted"))}


url_kwargs("portal:invitation")(_invitation_token)
url_kwargs("portal:invitation-decline")(_invitation_token)


@url_kwargs("portal:survey")
def survey(world):
    import hashlib
    from datetime import timedelta

    from django.utils import timezone

    from parcours.workshops.models import SurveyToken

    token = "jeton-enquete-de-test-0123456789"
    SurveyToken.objects.get_or_create(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        defaults={"workshop": workshop_of(world, "own"), "expires_at": timezone.now() + timedelta(days=10)},
    )
    return {"token": token}
