"""POST /api/v1/separation-events: one event or a batch, from a Caf's benefit system."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from parcours.api.auth import ApiTokenAuthentication, ApiTokenThrottle
from parcours.api.errors import error_response
from parcours.api.serializers_pathways import (
    YES_NO_VALUES,
    ApiErrorSerializer,
    SeparationEventBatchSerializer,
    SeparationEventSerializer,
    SeparationEventsResultSerializer,
    YesNoField,
    event_list,
)
from parcours.pathways import imports
from parcours.pathways.imports import LineError
from parcours.pathways.models import SeparationEvent
from parcours.pathways.services import jobs, record_separations

EXAMPLE = {
    "external_id": "SEP-2026-000123", "department": "92", "file_number": "1234567", "declared_on": "2026-03-03",
    "declarant_last_name": "Martin", "declarant_first_name": "Camille", "children_count": 2,
    "shared_home": "non", "violence_reported": "non", "phone": "06 12 34 56 78",
}  # fmt: skip


def max_batch() -> int:
    return settings.PATHWAYS_API_MAX_BATCH


class SeparationEventsView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ApiTokenThrottle]

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated("Authentification requise : « Authorization: Bearer <jeton> ».")
        raise exceptions.PermissionDenied(message or "Accès refusé.")

    def throttled(self, request, wait):
        raise exceptions.Throttled(wait, detail=f"Trop de requêtes : réessayez dans {int(wait or 1)} s.")

    @extend_schema(
        operation_id="separation_events_create",
        summary="Déclarer une ou plusieurs séparations",
        description=(
            "Ouvre le parcours séparation de chaque déclaration. Idempotent : une déclaration déjà reçue "
            "(même `external_id` dans le département) est signalée `already_imported` et ne change rien. "
            "Tout ou rien : si un événement est invalide, rien n'est écrit et la réponse liste chaque erreur. "
            "Le jeton n'accepte que les déclarations du département de sa Caf (sinon 403). "
            f"Au plus {settings.PATHWAYS_API_MAX_BATCH} événements par requête."
        ),
        request=PolymorphicProxySerializer(
            component_name="SeparationEventPayload",
            serializers=[
                SeparationEventSerializer,
                event_list(),
                SeparationEventBatchSerializer,
            ],
            resource_type_field_name=None,
            many=False,
        ),
        responses={
            201: OpenApiResponse(
                SeparationEventsResultSerializer, description="Au moins un parcours ouvert."
            ),
            200: OpenApiResponse(
                SeparationEventsResultSerializer, description="Toutes les déclarations étaient déjà reçues."
            ),
            400: OpenApiResponse(ApiErrorSerializer, description="Requête invalide : rien n'a été écrit."),
            401: OpenApiResponse(ApiErrorSerializer, description="Jeton absent, invalide ou révoqué."),
            403: OpenApiResponse(
                ApiErrorSerializer, description="Déclaration d'un autre département : rien n'a été écrit."
            ),
            429: OpenApiResponse(ApiErrorSerializer, description="Trop de requêtes pour ce jeton."),
        },
        examples=[OpenApiExample("Une déclaration", value=EXAMPLE, request_only=True)],
        tags=["Parcours séparation"],
    )
    def post(self, request):
        principal = request.user
        try:
            payload = request.data
        except exceptions.ParseError as exc:
            return error_response(400, f"Le corps de la requête n'est pas du JSON valide : {exc.detail}")
        count = (
            len(payload)
            if isinstance(payload, list)
            else len(payload.get("events", []))
            if isinstance(payload, dict) and isinstance(payload.get("events"), list)
            else 1
        )
        if count == 0:
            return error_response(400, "Aucune déclaration dans la requête.")
        if count > max_batch():
            return error_response(400, f"{count} déclarations : {max_batch()} au plus par requête.")
        checker = imports.RecordChecker(
            jobs.caf_departments(), today=timezone.localdate(), own_department=principal.department_code
        )
        try:
            parsed = imports.check_records(payload, checker)
        except imports.FileUnreadable as exc:
            return error_response(400, str(exc))
        mistyped = type_errors(payload)
        if mistyped:
            # The document is the contract: a value of the wrong JSON type is refused, not read as text.
            lines = {e.line for e in mistyped}
            parsed.errors = sorted(
                [*mistyped, *(e for e in parsed.errors if e.line not in lines)], key=lambda e: e.line
            )
        # RGPD art. 18: an element naming a limited person is refused « traitement limité » on its line.
        limited = imports.limited_lines(parsed.rows, unit="élément")
        if limited:
            parsed.errors = sorted([*parsed.errors, *limited], key=lambda e: e.line)
        # Another department's declaration: 403; any other fault: 400 (the handler in api/errors.py).
        parsed.raise_for_errors()
        report = record_separations(actor=principal, events=parsed.rows, source=SeparationEvent.Source.API)
        body = {
            "created": report.created,
            "already_imported": report.existing,
            "results": [
                {
                    "line": r.line,
                    "external_id": r.external_id,
                    "status": "created" if r.created else "already_imported",
                    "pathway": r.pathway_id,
                }  # fmt: skip
                for r in report.results
            ],
        }
        return Response(body, status=status.HTTP_201_CREATED if report.created else status.HTTP_200_OK)


def type_errors(payload) -> list[LineError]:
    """Values whose JSON type (or length, or word) the OpenAPI document does not allow, field by field.

    The shared import checks read every value as text (a file has nothing else); the API's document
    is stricter — strings, an integer `children_count`, booleans or the listed words — and the API
    keeps to it, so that a client relying on the document is never surprised.
    """
    if isinstance(payload, dict):
        payload = payload.get("events", [payload])
    if not isinstance(payload, list):
        return []
    fields = SeparationEventSerializer().fields
    errors = []
    for line, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            continue
        for name, value in item.items():
            field = fields.get(name)
            message = _type_error(name, field, value) if field is not None else None
            if message:
                errors.append(LineError(line, name, message, "élément"))
    return errors


def _type_error(name: str, field, value) -> str | None:
    if isinstance(field, YesNoField):
        if isinstance(value, bool) or value in YES_NO_VALUES:
            return None
        return f"{name} doit valoir {', '.join(f'« {v} »' for v in YES_NO_VALUES)} ou un booléen JSON"
    if isinstance(field, serializers.IntegerField):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return f"{name} doit être un nombre entier JSON (sans guillemets)"
    if not isinstance(value, str):
        return f"{name} doit être une chaîne de caractères"
    if field.max_length is not None and len(value) > field.max_length:
        return f"{name} dépasse {field.max_length} caractères"
    return None
