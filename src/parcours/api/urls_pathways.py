"""API URLs of the pathways module (namespace api). Each name is listed in core.policy.URLS."""

from django.urls import path

from parcours.api.views_pathways import SeparationEventsView

urlpatterns = [
    path("separation-events", SeparationEventsView.as_view(), name="separation-events"),
]
