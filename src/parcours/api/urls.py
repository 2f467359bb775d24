"""REST API under /api/v1/. Every name here is listed in core.policy.URLS."""

from django.urls import path
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView

from parcours.api import urls_pathways

app_name = "api"

urlpatterns = [
    path(
        "openapi.json",
        # JSON, as the name says (drf-spectacular serves YAML by default).
        SpectacularAPIView.as_view(
            permission_classes=[], authentication_classes=[], renderer_classes=[OpenApiJsonRenderer]
        ),
        name="openapi",
    ),
]

urlpatterns += urls_pathways.urlpatterns
