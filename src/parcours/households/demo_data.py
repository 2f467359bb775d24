"""Demo households: realistic but fictitious families in the five pilot departments.

Generated from a seeded random generator, so every `make run` shows the same families. The
pathways module adds a year of separations on top of these (its own seeder).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from parcours.core import crypto, demo
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.core.models import Department, User
from parcours.households.models import (
    Address,
    Consent,
    ContactChannel,
    Household,
    HouseholdAssignment,
    Person,
    ProtectedAddress,
)

FEMALE = ["Camille", "Léa", "Manon", "Chloé", "Sarah", "Inès", "Laura", "Julie", "Amandine", "Émilie", "Nadia",
          "Fatoumata", "Océane", "Marie", "Sandrine", "Aurélie", "Yasmina", "Céline", "Priscilla", "Mélanie"]  # fmt: skip
MALE = ["Thomas", "Nicolas", "Julien", "Kevin", "Mehdi", "Alexandre", "Maxime", "Romain", "Sébastien", "Jérôme",
        "Yannick", "Loïc", "Moussa", "David", "Cédric", "Anthony", "Rudy", "Grégory", "Samir", "Franck"]  # fmt: skip
CHILDREN = ["Lucas", "Emma", "Hugo", "Jade", "Louis", "Louise", "Nathan", "Alice", "Enzo", "Lina", "Noah", "Mila",
            "Gabriel", "Rose", "Tom", "Zoé", "Adam", "Anna", "Timéo", "Lou"]  # fmt: skip
SURNAMES = {
    "974": ["Payet", "Hoarau", "Grondin", "Fontaine", "Técher", "Boyer", "Rivière", "Maillot", "Lebon", "Nativel", "Dijoux", "Robert"],
    "default": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
                "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
                "Benali", "Diallo", "Nguyen", "Da Silva"],
}  # fmt: skip
CITIES = {
    "92": [("92000", "Nanterre"), ("92100", "Boulogne-Billancourt"), ("92200", "Neuilly-sur-Seine"), ("92230", "Gennevilliers"),
           ("92400", "Courbevoie"), ("92500", "Rueil-Malmaison"), ("92600", "Asnières-sur-Seine"), ("92700", "Colombes")],
    "974": [("97400", "Saint-Denis"), ("97410", "Saint-Pierre"), ("97420", "Le Port"), ("97430", "Le Tampon"),
            ("97460", "Saint-Paul"), ("97470", "Saint-Benoît"), ("97490", "Sainte-Clotilde")],
    "27": [("27000", "Évreux"), ("27200", "Vernon"), ("27100", "Val-de-Reuil"), ("27300", "Bernay"), ("27400", "Louviers")],
    "86": [("86000", "Poitiers"), ("86100", "Châtellerault"), ("86200", "Loudun"), ("86300", "Chauvigny"), ("86500", "Montmorillon")],
    "47": [("47000", "Agen"), ("47200", "Marmande"), ("47300", "Villeneuve-sur-Lot"), ("47400", "Tonneins"), ("47500", "Fumel")],
}  # fmt: skip
STREETS = ["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "allée des Tilleuls", "rue Pasteur",
           "chemin des Lilas", "boulevard Gambetta", "rue du Général de Gaulle", "impasse des Mimosas", "rue des Écoles"]  # fmt: skip
ELECTED = {
    "92": ("association", "CIDFF des Hauts-de-Seine", "10 rue de l'Abreuvoir", "92400", "Courbevoie"),
    "974": ("association", "France Victimes 974", "2 rue Juliette Dodu", "97400", "Saint-Denis"),
    "27": ("lawyer", "Cabinet Maître Leclerc", "5 place du Général de Gaulle", "27000", "Évreux"),
    "86": ("domiciliation", "CCAS de Poitiers (domiciliation)", "21 rue Carnot", "86000", "Poitiers"),
    "47": ("association", "CIDFF de Lot-et-Garonne", "12 boulevard de la République", "47000", "Agen"),
}
# Roughly proportional to each department's number of families (Caf 92 is by far the largest).
HOUSEHOLDS_PER_DEPARTMENT = {"92": 60, "974": 40, "27": 24, "86": 20, "47": 16}


def _phone(rng, department: str) -> str:
    if department == "974":
        return f"+262692{rng.randint(100000, 999999)}"
    return f"+336{rng.randint(10000000, 99999999)}"


def _birth(rng, min_age: int, max_age: int) -> date:
    today = date.today()
    return today - timedelta(days=rng.randint(min_age * 365, max_age * 365))


def make_household(
    rng, department: Department, file_number: str, *, children: int | None = None
) -> Household:
    code = department.code
    surnames = SURNAMES.get(code, SURNAMES["default"])
    household = Household.objects.create(department=department, file_number=file_number)
    mother_name, father_name = rng.choice(surnames), rng.choice(surnames)
    mother = Person.objects.create(
        household=household, role=Person.Role.PARENT, first_name=rng.choice(FEMALE), last_name=mother_name,
        birth_date=_birth(rng, 22, 50), is_declarant=True,
    )  # fmt: skip
    father = Person.objects.create(
        household=household, role=Person.Role.PARENT, first_name=rng.choice(MALE), last_name=father_name,
        birth_date=_birth(rng, 23, 55),
    )  # fmt: skip
    for parent in (mother, father):
        # Separated: each parent has an address of their own, often in the same department.
        postal_code, city = rng.choice(CITIES[code])
        Address.objects.create(
            person=parent,
            line=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            postal_code=postal_code,
            city=city,
        )
        ContactChannel.objects.create(
            person=parent,
            kind=ContactChannel.Kind.SMS,
            value=_phone(rng, code),
            is_safe=parent is father or rng.random() < 0.7,
        )
        email_name = parent.first_name.lower().replace("é", "e").replace("ï", "i").replace("ë", "e")
        ContactChannel.objects.create(
            person=parent,
            kind=ContactChannel.Kind.EMAIL,
            value=f"{email_name}.{rng.randint(10, 99)}@exemple.fr",
            is_safe=rng.random() < 0.8,
        )
        Consent.objects.create(person=parent, purpose=Consent.Purpose.CONTACT, given=True)
    count = children if children is not None else rng.choice([0, 1, 1, 2, 2, 2, 3, 4])
    for _ in range(count):
        Person.objects.create(
            household=household, role=Person.Role.CHILD, first_name=rng.choice(CHILDREN),
            last_name=rng.choice([mother_name, father_name]), birth_date=_birth(rng, 0, 17),
        )  # fmt: skip
    return household


def protect(rng, person: Person, actor: User | None) -> None:
    import json

    address = Address.objects.get(person=person)
    kind, name, line, postal_code, city = ELECTED[person.household.department.code]
    ProtectedAddress.objects.create(
        person=person,
        ciphertext=crypto.encrypt(json.dumps({"line": address.line, "complement": "", "postal_code": address.postal_code, "city": address.city})),
        elected_kind=kind, elected_name=name, elected_line=line, elected_postal_code=postal_code, elected_city=city,
        protected_by=actor,
    )  # fmt: skip
    address.delete()


def unique_file_number(rng, department: Department) -> str:
    while True:
        candidate = f"{rng.randint(1000000, 9999999)}"
        if not Household.objects.filter(department=department, file_number=candidate).exists():
            return candidate


@demo.register("Foyers", order=10)
def seed_households(*, rng, scale, stdout):
    total = protected = 0
    for code in PILOT_DEPARTMENTS:
        department = Department.objects.get(code=code)
        social_worker = User.objects.get(email=demo.demo_email("social_worker", code))
        for index in range(max(1, int(HOUSEHOLDS_PER_DEPARTMENT[code] * scale))):
            household = make_household(rng, department, unique_file_number(rng, department))
            total += 1
            # About one family in six: a protected address and a file restricted to its assigned staff.
            if index % 6 == 3:
                protect(rng, household.members.get(is_declarant=True), social_worker)
                household.restricted = True
                household.restricted_at = timezone.now()
                household.save(update_fields=["restricted", "restricted_at"])
                HouseholdAssignment.objects.create(household=household, user=social_worker)
                protected += 1
    return f"{total} foyers, dont {protected} avec adresse protégée et accès restreint"
