"""Every write of the workshops module: permission, invariants, audit entry and messages, in one transaction.

Split by topic: sessions and their organisation, registrations (capacity and waiting list),
invitations from pathways, the anonymous survey.
"""

from parcours.workshops.services.invitations import (  # noqa: F401
    BulkInvitationResult,
    InvitationResult,
    answer_invitation,
    cancel_invitation,
    decline_invitation,
    expire_invitations,
    invite_household,
    invite_households,
)
from parcours.workshops.services.registrations import (  # noqa: F401
    RegistrationOutcome,
    accept_offer,
    cancel_registration,
    decline_offer,
    expire_offers,
    move_registration,
    register,
    review_held_registration,
    update_registration,
)
from parcours.workshops.services.survey import send_surveys, submit_survey  # noqa: F401
from parcours.workshops.services.workshops import (  # noqa: F401
    HolidayToConfirm,
    cancel_workshop,
    close_workshop,
    configure_webinar_server,
    create_room,
    create_series,
    create_venue,
    create_workshop,
    fill_attendance_from_room,
    join_room,
    publish_series,
    publish_workshop,
    record_attendance,
    set_facilitators,
    update_venue,
    update_workshop,
)
