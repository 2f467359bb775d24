"""Staff URLs of the evaluation (namespace backoffice): the bilan's dashboard and its context."""

from django.urls import path

from parcours.backoffice.views import evaluation as views

urlpatterns: list = [
    path("evaluation/", views.dashboard, name="evaluation-dashboard"),
    path("evaluation/definitions/", views.definitions, name="evaluation-definitions"),
    path("evaluation/contexte/", views.context, name="evaluation-context"),
    path("evaluation/contexte/modifier/", views.context_edit, name="evaluation-context-edit"),
    path("evaluation/recalcul/", views.refresh, name="evaluation-refresh"),
]
