"""REST API under /api/v1/. Every name here is listed in core.policy.URLS."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from parcours.api import urls_pathways

app_name = "api"

urlpatterns = [
    path(
        "openapi.json",
        SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]),
        name="openapi",
    ),
]

urlpatterns += urls_pathways.urlpatterns
