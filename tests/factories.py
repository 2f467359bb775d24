"""Factories for realistic objects: `HouseholdFactory(department="974")`, `make_user("social_worker", "92")`."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.core.data.departments import rows
from parcours.core.models import Department, Organisation, User, UserRole
from parcours.households.models import Address, ContactChannel, Household, Person

PASSWORD = "une phrase de passe assez longue"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238 test key


def department(code: str) -> Department:
    found = Department.objects.filter(code=code).first()
    if found is None:  # a transactional test flushed the table: put the reference data back
        for row in rows():
            Department.objects.update_or_create(code=row["code"], defaults=row)
        found = Department.objects.get(code=code)
    return found


def caf(code: str) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        kind=Organisation.Kind.CAF, department=department(code), defaults={"name": f"Caf {code}"}
    )
    return org


def cnaf() -> Organisation:
    org, _ = Organisation.objects.get_or_create(kind=Organisation.Kind.NATIONAL, defaults={"name": "Cnaf"})
    return org


def partner_org(code: str) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        kind=Organisation.Kind.PARTNER,
        department=department(code),
        name=f"CIDFF {code}",
        defaults={"parent": caf(code)},
    )
    return org


_counter = {"n": 0}


def make_user(
    role: str, code: str | None = "92", *, email: str | None = None, with_device: bool = True, **extra
) -> User:
    _counter["n"] += 1
    if role in ("national_pilot", "admin"):
        organisation = cnaf()
    elif role in ("partner", "accompanist"):
        organisation = partner_org(code)
    else:
        organisation = caf(code)
    user = User.objects.create_user(
        email or f"{role}.{code or 'fr'}.{_counter['n']}@test.parcours.fr",
        PASSWORD,
        organisation=organisation,
        roles=[role],
        first_name=extra.pop("first_name", role.replace("_", " ").title()),
        last_name=extra.pop("last_name", f"Test{_counter['n']}"),
        **extra,
    )
    if with_device:
        TOTPDevice.objects.create(user=user, name="test", key=TOTP_KEY_HEX, confirmed=True)
    return User.objects.select_related("organisation__department").get(pk=user.pk)


def add_role(user: User, role: str) -> User:
    UserRole.objects.create(user=user, role=role)
    user.__dict__.pop("roles", None)
    return user


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    department = factory.LazyAttribute(lambda o: department(o.department_code))
    file_number = factory.Sequence(lambda n: f"{1000000 + n}")

    class Params:
        department_code = "92"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    role = Person.Role.PARENT
    first_name = factory.Iterator(["Camille", "Nadia", "Sarah", "Julien", "Karim"])
    last_name = factory.Iterator(["Martin", "Payet", "Lefèvre", "Diallo"])


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    person = factory.SubFactory(PersonFactory)
    line = "12 rue des Lilas"
    postal_code = "92000"
    city = "Nanterre"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactChannel

    person = factory.SubFactory(PersonFactory)
    kind = ContactChannel.Kind.EMAIL
    value = factory.Sequence(lambda n: f"parent{n}@exemple.fr")
    is_safe = True
