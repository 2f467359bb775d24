"""OpenAPI description of the separation-events operation.

The payload itself is checked by `pathways.imports` (the very checks of a file import, with the
same French messages); these serializers only describe it for drf-spectacular.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

YES_NO = "oui, non, true, false, 1 ou 0 (ou un booléen JSON)"
DATE = "AAAA-MM-JJ ou JJ/MM/AAAA"
YES_NO_VALUES = ("oui", "non", "true", "false", "1", "0")


@extend_schema_field({"oneOf": [{"type": "string", "enum": list(YES_NO_VALUES)}, {"type": "boolean"}]})
class YesNoField(serializers.CharField):
    pass


class SeparationEventSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=64,
        help_text="Identifiant de la déclaration dans le SI des prestations, unique dans le département.",
    )
    department = serializers.CharField(
        max_length=3, help_text="Département de la Caf : celui du jeton, seulement."
    )
    file_number = serializers.CharField(
        max_length=20, help_text="Numéro d'allocataire : le foyer est retrouvé ou créé."
    )
    declared_on = serializers.CharField(help_text=f"Date de la déclaration ({DATE}).")
    separated_on = serializers.CharField(
        required=False, allow_blank=True, help_text=f"Date de la séparation ({DATE})."
    )
    declarant_last_name = serializers.CharField(max_length=80)
    declarant_first_name = serializers.CharField(max_length=80)
    declarant_birth_date = serializers.CharField(required=False, allow_blank=True, help_text=DATE)
    other_parent_last_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    other_parent_first_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    children_count = serializers.IntegerField(min_value=0, max_value=20)
    youngest_child_birth_date = serializers.CharField(required=False, allow_blank=True, help_text=DATE)
    shared_home = YesNoField(required=False, help_text=YES_NO)
    violence_reported = YesNoField(required=False, help_text=YES_NO)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(
        required=False, allow_blank=True, help_text="Numéro français, outre-mer compris."
    )
    address_line = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=5, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)


def event_list() -> SeparationEventSerializer:
    """A list of events as the API accepts it: at least one, at most PATHWAYS_API_MAX_BATCH."""
    return SeparationEventSerializer(many=True, min_length=1, max_length=settings.PATHWAYS_API_MAX_BATCH)


class SeparationEventBatchSerializer(serializers.Serializer):
    events = event_list()


class RecordedEventSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Rang de l'événement dans la requête (à partir de 1).")
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "already_imported"])
    pathway = serializers.IntegerField(
        allow_null=True, help_text="Parcours ouvert (ou déjà ouvert) par la déclaration."
    )


class SeparationEventsResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    already_imported = serializers.IntegerField()
    results = RecordedEventSerializer(many=True)


class LineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = LineErrorSerializer(many=True, required=False)
