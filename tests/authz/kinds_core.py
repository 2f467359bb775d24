from tests.authz.registry import kind, url_kwargs


@kind("household")
def household(world, variant):
    return {"pk": world.household(variant).pk}


@kind("person")
def person(world, variant):
    return {"pk": world.parent(variant).pk}


@kind("contact")
def contact(world, variant):
    return {"pk": world.parent(variant).contacts.first().pk}


@kind("assignment")
def assignment(world, variant):
    return {"pk": world.household(variant).assignments.first().pk}


@kind("user")
def user(world, variant):
    # Accounts are managed nationally by the administrator: no department variant applies.
    return {"pk": world.assignee.pk} if variant == "own" else None


@url_kwargs("backoffice:password-reset-confirm")
def password_reset_confirm(world):
    return {"uidb64": "MQ", "token": "set-password"}


@kind("contact_proposal")
def contact_proposal(world, variant):
    """A contact that came with a declaration for the variant's family, held for its social worker."""
    from parcours.households.models import ContactProposal

    household = world.household(variant)
    proposal = world.memo(
        ("contact-proposal", variant),
        lambda: ContactProposal.objects.create(
            household=household, person=world.parent(variant), kind="email",
            value=f"proposee.{household.pk}@exemple.fr", source="api",
        ),
    )  # fmt: skip
    return {"pk": proposal.pk}
