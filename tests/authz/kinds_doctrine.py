"""Records of the doctrine for the authorization matrix and the canary test.

A practice sheet has four variants: `own` (submitted, in the principal's Caf), `other` (submitted, in
another Caf: 404, except for the national pilot on branch URLs), `restricted` (a draft of another
author of the principal's Caf: a draft is its author's, 404 for everyone else) and `shared` (published
by another Caf: the policy's cross-department read, open on `Access(branch=True)` URLs).
"""

from parcours.doctrine.models import Practice
from tests.authz.registry import SHARED, VARIANTS, kind
from tests.authz.world import OTHER, OWN
from tests.doctrine import factories as df

DOCTRINE_VARIANTS = (*VARIANTS, SHARED)


def practice_of(world, variant: str) -> Practice:
    def build():
        if variant == "own":
            return df.practice(
                OWN, by=world.assignee, title="Fiche de la Caf", partner_name=f"CIDFF doctrine {OWN}"
            )
        if variant == "other":
            return df.practice(OTHER, by=world.other_department_user, title="Fiche d'une autre Caf")
        if variant == "restricted":
            return df.practice(
                OWN, state=Practice.State.DRAFT, by=world.assignee, title="Brouillon d'un collègue"
            )
        return df.practice(
            OTHER,
            state=Practice.State.PUBLISHED,
            by=world.other_department_user,
            title="Fiche publiée ailleurs",
        )

    return world.memo(("practice", variant), build)


@kind("practice", variants=DOCTRINE_VARIANTS)
def practice(world, variant):
    return {"pk": practice_of(world, variant).pk}


@kind("attachment", variants=DOCTRINE_VARIANTS)
def attachment(world, variant):
    return {"pk": world.memo(("attachment", variant), lambda: df.attachment(practice_of(world, variant))).pk}
