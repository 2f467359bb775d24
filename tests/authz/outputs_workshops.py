"""Outputs of the workshops module checked by the canary test: the sign-in sheet's HTML source (its
files and the registrations are produced by the registry walk of outputs_core.py), the ICS invitation of
a restricted household's parent, the household timeline."""

from parcours.core import policy
from parcours.households.timeline import entries_for
from parcours.workshops import exports, ics, links, selectors, services
from tests.authz.kinds_workshops import invitation_of, registration_of, workshop_of
from tests.authz.registry import output


@output
def workshop_documents(world, principal):
    registration_of(world, "restricted")  # a parent of a restricted household is on the roster
    registration_of(world, "own")
    workshop = workshop_of(world, "own")
    user = world.users.get(principal)
    # The sheet is rendered for those who may export it (social worker, local pilot): its selectors
    # refuse anyone else, the same content for each of them.
    if user is None or not policy.can(user, "workshops.export", workshop, restricted="reference"):
        return
    yield "feuille d'émargement (HTML source)", exports.sign_in_sheet_html(user, workshop)


@output
def registration_calendar(world, principal):
    registration = registration_of(world, "restricted")
    token = links.registration_token(registration)
    yield (
        "invitation ICS",
        ics.registration_calendar(registration, manage_url=f"https://x/inscription/{token}/"),
    )


@output
def household_timeline(world, principal):
    if principal == "anonymous":
        return
    user = world.users[principal]
    invitation_of(world, "restricted")
    registration_of(world, "restricted")
    household = world.household("restricted")
    entries = entries_for(user, household)
    yield "frise du foyer (séances)", "\n".join(f"{e.title} {e.detail}" for e in entries)


@output
def comparison_page_data(world, principal):
    if principal not in ("local_pilot", "national_pilot"):
        return
    from datetime import date, timedelta

    user = world.users[principal]
    department = selectors.comparison_departments(user).first()
    result = selectors.comparison(
        user, department=department, start=date.today() - timedelta(days=365), end=date.today()
    )
    yield "comparaison des formats (données)", repr(result)


@output
def invitation_sessions(world, principal):
    invitation = invitation_of(world, "restricted")
    sessions = services.invitations.sessions_for(invitation)
    yield "séances proposées par l'invitation", " ".join(str(s) for s in sessions)


@output
def workshop_messages(world, principal):
    """The real messages of the module (not only the templates' examples): confirmation with its ICS,
    reminders made due, an invitation, to the parents of the restricted household and to the public."""
    from datetime import timedelta

    import time_machine
    from django.core import mail

    from parcours.notifications import outbox

    if principal != "anonymous":
        return  # the same messages whoever looks: produced once
    registration_of(world, "restricted")
    registration_of(world, "own")
    services.invite_household(actor=world.assignee, household=world.household("restricted"))
    with time_machine.travel(workshop_of(world, "own").starts_at - timedelta(hours=2)):
        outbox.deliver_due()
    assert mail.outbox, "aucun message produit"
    for message in mail.outbox:
        yield f"e-mail « {message.subject} »", message.subject + "\n" + message.body
        for filename, content, _ in message.attachments:
            yield f"pièce jointe {filename}", content
