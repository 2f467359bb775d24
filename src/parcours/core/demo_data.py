"""Demo organisations and accounts: one account per role per pilot department, all public."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from parcours.core import demo
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.core.models import Department, Organisation, Site, User, UserRole
from parcours.core.roles import Role

CAF_NAMES = {
    "92": "Caf des Hauts-de-Seine",
    "974": "Caf de La Réunion",
    "27": "Caf de l'Eure",
    "86": "Caf de la Vienne",
    "47": "Caf de Lot-et-Garonne",
}
PARTNER_NAMES = {
    "92": "CIDFF des Hauts-de-Seine",
    "974": "France Victimes 974",
    "27": "CIDFF de l'Eure",
    "86": "Association d'accompagnement protégé de la Vienne",
    "47": "CIDFF de Lot-et-Garonne",
}
SITES = {
    "92": ["Nanterre", "Gennevilliers"],
    "974": ["Saint-Denis", "Saint-Pierre"],
    "27": ["Évreux"],
    "86": ["Poitiers", "Châtellerault"],
    "47": ["Agen"],
}
DEPARTMENT_ROLES = [Role.SOCIAL_WORKER, Role.SERVICE_ADVISOR, Role.BENEFITS_OFFICER, Role.LOCAL_PILOT]
FIRST_NAMES = [
    "Claire",
    "Nadia",
    "Julien",
    "Sophie",
    "Karim",
    "Élodie",
    "Thomas",
    "Aïcha",
    "Marc",
    "Léa",
    "Yannick",
    "Inès",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Payet",
    "Hoarau",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Grondin",
    "Robert",
    "Fontaine",
]


def _user(rng, email, organisation, roles, password_hash, device_key, site=None):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = User.objects.create(
        email=email,
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        organisation=organisation,
        site=site,
        password=password_hash,
    )
    UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
    TOTPDevice.objects.create(user=user, name="Démo", key=device_key, confirmed=True)
    return user


@demo.register("Organisations et comptes", order=0)
@transaction.atomic
def seed_accounts(*, rng, scale, stdout):
    from django.conf import settings

    password_hash = make_password(settings.DEMO_PASSWORD)  # hashed once: the same for every demo account
    key = demo.demo_totp_key_hex()
    cnaf = Organisation.objects.create(name="Cnaf", kind=Organisation.Kind.NATIONAL)
    count = 0
    for code in PILOT_DEPARTMENTS:
        department = Department.objects.get(code=code)
        caf = Organisation.objects.create(
            name=CAF_NAMES[code], kind=Organisation.Kind.CAF, department=department
        )
        partner = Organisation.objects.create(
            name=PARTNER_NAMES[code], kind=Organisation.Kind.PARTNER, department=department, parent=caf
        )
        sites = [Site.objects.create(organisation=caf, name=name) for name in SITES[code]]
        for role in DEPARTMENT_ROLES:
            _user(rng, demo.demo_email(role, code), caf, [role], password_hash, key, site=sites[0])
            count += 1
        # Colleagues, so that "my team" views and assignments have more than one person.
        for index in (2, 3):
            _user(
                rng, demo.demo_email(f"{Role.SOCIAL_WORKER}{index}", code), caf, [Role.SOCIAL_WORKER],
                password_hash, key, site=sites[(index - 1) % len(sites)],
            )  # fmt: skip
            count += 1
        _user(rng, demo.demo_email(Role.PARTNER, code), partner, [Role.PARTNER], password_hash, key)
        count += 1
    for role in (Role.NATIONAL_PILOT, Role.ADMIN):
        _user(rng, demo.demo_email(role), cnaf, [role], password_hash, key)
        count += 1
    return f"{Organisation.objects.count()} organisations, {count} comptes"
