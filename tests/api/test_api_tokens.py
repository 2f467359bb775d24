"""The operator's token commands: list (never the secret nor its hash), revoke (audited, refused at once)."""

import json
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from parcours.api.models import ApiToken
from parcours.core import audit
from parcours.core.models import AuditEntry
from tests import factories

URL = "/api/v1/separation-events"


@pytest.fixture(autouse=True)
def setup(db):
    cache.clear()
    for code in ("92", "974"):
        factories.caf(code)
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def create(department="92", name="SI prestations") -> tuple[ApiToken, str]:
    clear = run("create-api-token", department, "--name", name).strip().splitlines()[-1]
    return ApiToken.objects.get(prefix=clear.split("_")[1]), clear


def call_api(client, clear):
    # An empty batch: authentication is decided before the payload is read (400 once in, 401 if not).
    return client.post(URL, data="[]", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {clear}")


def test_creation_and_revocation_are_audited_without_the_secret():
    token, clear = create()
    created = AuditEntry.objects.get(action="api.token.created")
    assert created.object_ref == f"Jeton d'API {token.prefix}" and created.department == "92"
    assert created.data == {"prefix": token.prefix, "name": "SI prestations"}
    run("revoke-api-token", token.prefix, "--reason", "fuite du jeton")
    revoked = AuditEntry.objects.get(action="api.token.revoked")
    assert revoked.object_id == str(token.pk) and revoked.department == "92"
    assert revoked.reason == "fuite du jeton" and revoked.actor_label == "système"
    assert revoked.data == {"prefix": token.prefix, "name": "SI prestations"}
    trail = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert clear not in trail and token.token_hash not in trail
    assert audit.verify().ok


def test_a_revoked_token_is_refused_by_the_very_next_request(client):
    token, clear = create()
    assert call_api(client, clear).status_code == 400  # accepted token, empty batch
    output = run("revoke-api-token", token.prefix)
    assert output.startswith(f"Jeton {token.prefix} (SI prestations) de la Caf 92 révoqué le ")
    assert output.strip().endswith("il est refusé dès maintenant.")
    response = call_api(client, clear)
    assert response.status_code == 401 and response.json()["detail"] == "Jeton invalide ou révoqué."
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize("how", ["id", "prefix", "pasted"])
def test_a_token_is_named_by_its_id_its_prefix_or_the_token_itself(how, client):
    token, clear = create()
    other, other_clear = create(name="autre usage")
    reference = {"id": str(token.pk), "prefix": token.prefix, "pasted": clear}[how]
    output = run("revoke-api-token", reference)
    assert clear not in output and clear.split("_", 2)[2] not in output
    assert set(ApiToken.objects.filter(revoked_at__isnull=False)) == {token}
    assert call_api(client, other_clear).status_code == 400  # the other token still works


def test_an_unknown_or_already_revoked_token_is_an_error_in_french():
    with pytest.raises(
        CommandError, match=r"Aucun jeton d'API « 0badcafe » : donnez son préfixe ou son numéro"
    ):
        run("revoke-api-token", "0badcafe")
    with pytest.raises(CommandError, match="Aucun jeton d'API « deadbeef »"):
        run("revoke-api-token", "pct_deadbeef_secretsecretsecret")
    token, _ = create()
    run("revoke-api-token", token.prefix)
    with pytest.raises(CommandError, match=f"Le jeton {token.prefix} est déjà révoqué"):
        run("revoke-api-token", str(token.pk))
    assert AuditEntry.objects.filter(action="api.token.revoked").count() == 1


def test_an_unknown_token_exits_non_zero(capsys):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exit_:
        execute_from_command_line(["parcours", "revoke-api-token", "0badcafe"])
    assert exit_.value.code == 1
    assert "Aucun jeton d'API « 0badcafe »" in capsys.readouterr().err


def test_the_list_shows_each_token_of_a_department_but_never_its_secret_or_hash(client):
    kept, kept_clear = create(name="SI prestations")
    gone, gone_clear = create(name="ancien SI")
    _, reunion_clear = create("974", name="SI Réunion")
    call_api(client, kept_clear)
    run("revoke-api-token", gone.prefix)
    output = run("list-api-tokens", "92")
    assert output.startswith("2 jeton(s) d'API pour le département 92 :")
    lines = [line for line in output.splitlines() if line.startswith("- ")]
    assert len(lines) == 2
    gone_line, kept_line = (next(x for x in lines if f"préfixe {t.prefix}" in x) for t in (gone, kept))
    assert gone_line.startswith(f"- n° {gone.pk}, préfixe {gone.prefix} : ancien SI — Caf 92 ; créé le ")
    assert "dernière utilisation : jamais ; révoqué le " in gone_line
    assert kept_line.startswith(f"- n° {kept.pk}, préfixe {kept.prefix} : SI prestations — Caf 92 ;")
    assert kept_line.endswith("; actif") and "dernière utilisation : jamais" not in kept_line
    assert "SI Réunion" not in output
    everything = run("list-api-tokens")
    assert everything.startswith("3 jeton(s) d'API :") and "SI Réunion" in everything
    assert "ancien SI" not in run("list-api-tokens", "92", "--actifs")
    for token in ApiToken.objects.all():
        assert token.token_hash not in everything
    for clear in (kept_clear, gone_clear, reunion_clear):
        secret = clear.split("_", 2)[2]  # the secret itself may hold "_" (URL-safe base64)
        assert len(secret) >= 40 and secret not in everything


def test_the_list_of_a_department_without_token_or_of_an_unknown_one():
    assert run("list-api-tokens", "974") == "Aucun jeton d'API pour le département 974.\n"
    with pytest.raises(CommandError, match="Aucun département « 999 »"):
        run("list-api-tokens", "999")
