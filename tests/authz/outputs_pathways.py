"""Outputs of the pathways module that are not plain pages: the API, the import command, the timeline."""

import json
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import Client

from parcours.api.models import ApiToken
from parcours.households import timeline
from parcours.pathways.imports import COLUMNS
from tests import factories
from tests.authz.kinds_pathways import pathway_of
from tests.authz.registry import VARIANTS, output


def _event(household, external_id: str) -> dict:
    declarant = household.members.filter(is_declarant=True).first()
    return {
        "external_id": external_id, "department": household.department.code, "file_number": household.file_number,
        "declared_on": "2026-03-02", "declarant_last_name": declarant.last_name,
        "declarant_first_name": declarant.first_name, "children_count": 2, "violence_reported": "oui",
        "address_line": "4 rue Neuve", "postal_code": "92000", "city": "Nanterre",
    }  # fmt: skip


@output
def api_separation_events(world, principal):
    """The API answers for the own department's households (new events, repeats, errors, another department)."""
    _, clear = ApiToken.issue(organisation=factories.caf("92"), name="canari")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    own, restricted, other = (world.household(v) for v in VARIANTS)
    batches = [
        [_event(own, f"API-{principal}-1"), _event(restricted, f"API-{principal}-2")],
        [_event(own, f"API-{principal}-1")],  # already imported
        [{**_event(own, f"API-{principal}-3"), "declared_on": "31/02/2026"}],  # refused
        [_event(other, f"API-{principal}-4")],  # another department
    ]
    for batch in batches:
        response = client.post(
            "/api/v1/separation-events", data=json.dumps(batch), content_type="application/json"
        )
        yield f"API separation-events ({response.status_code})", response.content


@output
def import_events_command(world, principal):
    """The command's report on a file naming the households whose address is protected."""
    rows = [_event(world.household(v), f"CLI-{principal}-{v}") for v in VARIANTS]
    rows.append({**_event(world.household("own"), f"CLI-{principal}-bad"), "postal_code": "9200"})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "declarations.csv"
        lines = [";".join(COLUMNS)] + [";".join(str(r.get(c, "")) for c in COLUMNS) for r in rows]
        path.write_text("\n".join(lines), encoding="utf-8")
        out, err = StringIO(), StringIO()
        try:
            call_command("import-events", str(path), stdout=out, stderr=err)
        except Exception as exc:  # the bad line makes the command fail: its message is an output too
            err.write(str(exc))
        yield "parcours import-events (fichier refusé)", out.getvalue() + err.getvalue()
        path.write_text("\n".join(lines[:-1]), encoding="utf-8")
        out, err = StringIO(), StringIO()
        call_command("import-events", str(path), stdout=out, stderr=err)
        yield "parcours import-events", out.getvalue() + err.getvalue()


@output
def household_timelines(world, principal):
    """Every timeline source, as the staff assigned to the files see them."""
    for variant in VARIANTS:
        pathway_of(world, variant)
        actor = world.other_department_user if variant == "other" else world.assignee
        entries = timeline.entries_for(actor, world.household(variant))
        yield (
            f"chronologie ({variant})",
            json.dumps([e.__dict__ for e in entries], default=str, ensure_ascii=False),
        )


def _token_commands() -> list[tuple[str, str]]:
    def run(*args) -> str:
        out = StringIO()
        call_command(*args, stdout=out, stderr=out)
        return out.getvalue()

    _, clear = ApiToken.issue(organisation=factories.caf("92"), name="canari commandes")
    return [
        ("parcours list-api-tokens", run("list-api-tokens")),
        ("parcours revoke-api-token", run("revoke-api-token", clear)),
        ("parcours list-api-tokens 92", run("list-api-tokens", "92")),
    ]


@output
def api_token_commands(world, principal):
    """The operator's token list and revocation (the same for every principal: produced once)."""
    yield from world.memo("api-token-commands", _token_commands)
