"""Writes on staff accounts: creation, roles, deactivation (which ends every session), second factor."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.core import audit, policy
from parcours.core.models import Organisation, Site, User, UserRole, UserSession
from parcours.core.roles import CASEWORK_ROLES, NATIONAL_ROLES, Role


def _check_roles(organisation: Organisation, roles: list[str]) -> None:
    if not roles:
        raise ValidationError({"roles": "Choisissez au moins un rôle."})
    kind = organisation.kind
    if kind == Organisation.Kind.NATIONAL and set(roles) - NATIONAL_ROLES:
        raise ValidationError(
            {"roles": "Un compte de la Cnaf ne peut être que pilote national ou administrateur."}
        )
    if kind == Organisation.Kind.PARTNER and set(roles) != {Role.PARTNER}:
        raise ValidationError({"roles": "Un compte de partenaire a le seul rôle « Partenaire »."})
    if kind == Organisation.Kind.CAF and set(roles) - (CASEWORK_ROLES | {Role.LOCAL_PILOT}):
        raise ValidationError(
            {
                "roles": "Un compte de Caf est travailleur social, conseiller, gestionnaire ou pilote départemental."
            }
        )


def _check_site(organisation: Organisation, site: Site | None) -> None:
    # Worklists filter by site: a site of another organisation would hide or leak tasks.
    if site is not None and site.organisation_id != organisation.pk:
        raise ValidationError({"site": f"Le site « {site.name} » n'appartient pas à {organisation.name}."})


# Sent with user and actor when an account is created without a password: it must be activated.
account_created = Signal()


@transaction.atomic
def create_user(
    *,
    actor,
    email: str,
    first_name: str,
    last_name: str,
    organisation: Organisation,
    roles: list[str],
    password: str | None = None,
    site: Site | None = None,
) -> User:
    policy.require(actor, "accounts.manage")
    _check_roles(organisation, roles)
    _check_site(organisation, site)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Un compte existe déjà avec cette adresse."})
    user = User(email=email, first_name=first_name, last_name=last_name, organisation=organisation, site=site)
    if password:
        user._pending_roles = set(roles)
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()  # the person chooses it from the activation e-mail
    user.save()
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in sorted(set(roles))])
    audit.record(actor, "core.user.created", user, data={"roles": sorted(set(roles))})
    if not password:
        # The notifications app (a layer above) queues the activation e-mail in this transaction.
        account_created.send(sender=User, user=user, actor=actor)
    return user


@transaction.atomic
def update_user(
    *,
    actor,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    organisation: Organisation,
    roles: list[str],
    site: Site | None = None,
) -> User:
    policy.require(actor, "accounts.manage")
    _check_roles(organisation, roles)
    _check_site(organisation, site)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": "Un compte existe déjà avec cette adresse."})
    user.first_name, user.last_name, user.email, user.organisation, user.site = (
        first_name,
        last_name,
        email,
        organisation,
        site,
    )
    user.save()
    UserRole.objects.filter(user=user).exclude(role__in=roles).delete()
    for role in set(roles) - set(user.role_rows.values_list("role", flat=True)):
        UserRole.objects.create(user=user, role=role)
    user.__dict__.pop("roles", None)
    audit.record(actor, "core.user.changed", user, data={"roles": sorted(set(roles))})
    return user


def end_sessions(user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def set_active(*, actor, user: User, active: bool) -> User:
    policy.require(actor, "accounts.manage")
    if user.pk == actor.pk and not active:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    ended = 0 if active else end_sessions(user)
    audit.record(
        actor,
        "core.user.activated" if active else "core.user.deactivated",
        user,
        data={"sessions_ended": ended},
    )
    return user


@transaction.atomic
def reset_second_factor(*, actor, user: User) -> None:
    """Lost phone: the next sign-in enrols a new device; current sessions end."""
    policy.require(actor, "accounts.manage")
    TOTPDevice.objects.filter(user=user).delete()
    end_sessions(user)
    audit.record(actor, "core.second_factor.reset", user)


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator being enrolled at first sign-in: unconfirmed until a code proves it works."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": "Application d'authentification"}
    )
    return device


@transaction.atomic
def confirm_enrolment(*, user: User, device: TOTPDevice, token: str) -> bool:
    """Enrol the user's device when the code it shows is right (audited); False on a wrong code.

    A user who already has a confirmed device cannot enrol another one this way: a lost phone is
    reset by an administrator (`reset_second_factor`), so a stolen password alone adds no device.
    """
    if device.user_id != user.pk or device.confirmed:
        raise ValueError("Ce dispositif n'est pas en cours d'enregistrement pour ce compte.")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError("Un second facteur est déjà enregistré pour ce compte.")
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(user, "core.second_factor.enrolled", user)
    return True
