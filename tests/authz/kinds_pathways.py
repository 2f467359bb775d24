"""Records of the pathways module for the authorization matrix and the canary test."""

from django.core.files.base import ContentFile

from parcours.pathways.defaults import ensure_national_template
from parcours.pathways.imports import EventInput
from parcours.pathways.models import ImportJob, Pathway, PathwayTemplate, TemplateStep
from parcours.pathways.services import record_separations
from tests import factories
from tests.authz.registry import kind
from tests.authz.world import OTHER, OWN


def pathway_of(world, variant) -> Pathway:
    """The pathway opened on the world's household of this variant (a separation with children)."""

    def build():
        household = world.household(variant)
        ensure_national_template()
        factories.caf(household.department.code)
        declarant = household.members.filter(is_declarant=True).first()
        event = EventInput(
            line=1, external_id=f"AUTHZ-{variant}", department=household.department.code,
            file_number=household.file_number, declared_on=household.created_at.date(),
            declarant_last_name=declarant.last_name, declarant_first_name=declarant.first_name, children_count=1,
        )  # fmt: skip
        report = record_separations(actor=None, events=[event], source="file")
        return Pathway.objects.get(pk=report.results[0].pathway_id)

    return world.memo(("pathway", variant), build)


@kind("pathway")
def pathway(world, variant):
    return {"pk": pathway_of(world, variant).pk}


@kind("step")
def step(world, variant):
    return {"pk": pathway_of(world, variant).steps.order_by("position").first().pk}


@kind("import_job")
def import_job(world, variant):
    if variant == "restricted":
        return None  # a file of events belongs to a department, not to a household

    def build():
        code = OTHER if variant == "other" else OWN
        job = ImportJob(
            department=factories.department(code), original_name="declarations.csv", status=ImportJob.Status.REJECTED,
            errors=[{"line": 3, "field": "declared_on", "message": "ligne 3 : declared_on « 31/02/2026 » n'est pas une date valide"}],
            error_count=1,
        )  # fmt: skip
        job.file.save("authz.csv", ContentFile(b"external_id\n"), save=False)
        job.save()
        return job

    return {"pk": world.memo(("import_job", variant), build).pk}


@kind("template")
def template(world, variant):
    if variant == "restricted":
        return None  # templates hold no household data

    def build():
        code = OTHER if variant == "other" else OWN
        national = ensure_national_template()
        variant_template = PathwayTemplate.objects.create(
            department=factories.department(code), name=f"Variante {code}", version=1, change_note="Essai"
        )
        for step in national.steps.all():
            step.pk = None
            step.template = variant_template
            TemplateStep.objects.bulk_create([step])
        return variant_template

    return {"pk": world.memo(("template", variant), build).pk}
