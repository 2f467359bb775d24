"""Records of the protection module for the authorization matrix and the canary test.

On each variant's household (own department, other department, restricted-not-assigned) the
declarant is a person at risk: a violence report and its checklist, a referral with consent to a
partner of the household's department, an AUU request (received) with a proof document.
Records are written directly (no service) so that the "own" household keeps its variant's access
rules: the matrix tests the policy, the service tests test the invariants.
"""

from parcours.households.models import Person
from parcours.protection.models import CrossClaim
from tests import factories
from tests.authz.registry import kind
from tests.authz.world import OTHER, OWN
from tests.protection import factories as pf

REPORT_NOTE = "Enfants présents lors des faits ; joindre l'après-midi seulement."


def protection_records(world, variant: str) -> dict:
    def build():
        household = world.household(variant)
        person = household.members.filter(role=Person.Role.PARENT, is_declarant=True).first()
        actor = world.other_department_user if variant == "other" else world.assignee
        code = OTHER if variant == "other" else OWN
        report = pf.report(household, person, note=REPORT_NOTE, by=actor, restrict=False)
        partner = world.memo(("partner", code), lambda: pf.partner(code, name=f"CIDFF {code}"))
        referral = pf.referral(person, partner, by=actor, need="Conseil juridique")
        aid = pf.aid(household, person, officer=None, created_by=actor)
        proof = pf.proof(aid, by=actor)
        father = household.members.filter(role=Person.Role.PARENT, is_declarant=False).first()
        cross_claim = CrossClaim.objects.create(
            household=household, person=father, kind=CrossClaim.Kind.AID_REQUEST, created_by=actor
        )
        return {
            "cross_claim": cross_claim,
            "report": report,
            "step": person.safety_steps.order_by("position").first(),
            "partner": partner,
            "referral": referral,
            "aid": aid,
            "proof": proof,
        }

    return world.memo(("protection", variant), build)


@kind("safety_step")
def safety_step(world, variant):
    return {"pk": protection_records(world, variant)["step"].pk}


@kind("referral")
def referral(world, variant):
    return {"pk": protection_records(world, variant)["referral"].pk}


@kind("aid")
def aid(world, variant):
    return {"pk": protection_records(world, variant)["aid"].pk}


@kind("cross_claim")
def cross_claim(world, variant):
    return {"pk": protection_records(world, variant)["cross_claim"].pk}


@kind("proof")
def proof(world, variant):
    return {"pk": protection_records(world, variant)["proof"].pk}


@kind("partner")
def partner(world, variant):
    # A directory entry belongs to a department; there is no restricted variant.
    if variant == "restricted":
        return None
    code = OTHER if variant == "other" else OWN
    return {"pk": world.memo(("partner", code), lambda: pf.partner(code, name=f"CIDFF {code}")).pk}


@kind("partner_referral")
def partner_referral(world, variant):
    """A referral sent with consent to the world's partner organisation (own) or another department's.

    No restricted variant: the inbox is scoped by the receiving organisation and the person's consent,
    not by the household's restriction (the partner she chose is never kept out).
    """
    if variant == "restricted":
        return None

    def build():
        code = OTHER if variant == "other" else OWN
        household = world.household(variant)
        person = household.members.filter(is_declarant=True).first()
        organisation = (
            world.users["partner"].organisation if variant == "own" else factories.partner_org(code)
        )
        entry = pf.partner(code, name=f"Association reçue {code}", organisation=organisation)
        return pf.referral(person, entry, by=world.assignee, need="Hébergement")

    return {"pk": world.memo(("partner_referral", variant), build).pk}
