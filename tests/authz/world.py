"""A small world for access tests: two departments, one principal per role, records of each variant."""

from __future__ import annotations

from functools import cached_property

from django.test import Client

from parcours.households.models import HouseholdAssignment
from tests import factories
from tests.conftest import sign_in

OWN, OTHER = "92", "974"
DEPARTMENT_ROLES = (
    "social_worker",
    "service_advisor",
    "benefits_officer",
    "local_pilot",
    "partner",
    "accompanist",
)
NATIONAL_ROLES = ("national_pilot", "admin")
PRINCIPALS = ("anonymous", *DEPARTMENT_ROLES, *NATIONAL_ROLES)


class World:
    def __init__(self, *, assign_principals_to_restricted: bool = False):
        self.assign_principals = assign_principals_to_restricted
        self.users = {role: factories.make_user(role, OWN) for role in DEPARTMENT_ROLES}
        self.users.update({role: factories.make_user(role, None) for role in NATIONAL_ROLES})
        # Someone else of the department, assigned to the restricted records.
        self.assignee = factories.make_user("social_worker", OWN)
        self.other_department_user = factories.make_user("social_worker", OTHER)
        self._cache: dict = {}

    def client(self, principal: str) -> Client:
        if principal == "anonymous":
            return Client()
        return sign_in(Client(), self.users[principal])

    def memo(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def household(self, variant: str):
        def build():
            department = OTHER if variant == "other" else OWN
            household = factories.HouseholdFactory(
                department_code=department, restricted=variant == "restricted"
            )
            mother = factories.PersonFactory(household=household, is_declarant=True)
            factories.AddressFactory(person=mother)
            factories.ContactFactory(person=mother)
            father = factories.PersonFactory(household=household, first_name="Julien")
            factories.AddressFactory(person=father, line="3 avenue Foch")
            factories.PersonFactory(household=household, role="child", first_name="Emma")
            if variant == "restricted":
                HouseholdAssignment.objects.create(household=household, user=self.assignee)
                if self.assign_principals:
                    for user in self.users.values():
                        HouseholdAssignment.objects.create(household=household, user=user)
            elif variant == "other":
                HouseholdAssignment.objects.create(household=household, user=self.other_department_user)
            else:
                HouseholdAssignment.objects.create(household=household, user=self.assignee)
            return household

        return self.memo(("household", variant), build)

    def parent(self, variant: str):
        return self.household(variant).members.filter(is_declarant=True).first()

    @cached_property
    def own_household(self):
        return self.household("own")
