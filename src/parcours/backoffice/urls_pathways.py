"""Staff URLs of the pathways module (namespace backoffice). Each name is listed in core.policy.URLS."""

from django.urls import path

from parcours.backoffice.views import pathways

urlpatterns = [
    path("parcours/declarer/", pathways.record, name="pathway-record"),
    path("pilotage/", pathways.pilot_dashboard, name="pilot-dashboard"),
    path("taches/", pathways.worklist, {"worklist": "mine"}, name="worklist-mine"),
    path("taches/equipe/", pathways.worklist, {"worklist": "team"}, name="worklist-team"),
    path("taches/en-retard/", pathways.worklist, {"worklist": "late"}, name="worklist-late"),
    path("taches/cette-semaine/", pathways.worklist, {"worklist": "week"}, name="worklist-week"),
    path("etapes/<int:pk>/", pathways.step_detail, name="step-detail"),
    path("etapes/<int:pk>/tentatives/", pathways.step_attempt, name="step-attempt"),
    path("etapes/<int:pk>/terminer/", pathways.step_complete, name="step-complete"),
    path("etapes/<int:pk>/attribuer/", pathways.step_assign, name="step-assign"),
    path("parcours/<int:pk>/situation/", pathways.situation, name="pathway-situation"),
    path("foyers/<int:pk>/chronologie/", pathways.household_timeline, name="household-timeline"),
    path("parcours/imports/", pathways.import_list, name="import-list"),
    path("parcours/imports/exemple.csv", pathways.import_sample, name="import-sample"),
    path("parcours/imports/<int:pk>/", pathways.import_detail, name="import-detail"),
    path("parcours/imports/<int:pk>/progression/", pathways.import_progress, name="import-progress"),
    path("parcours/imports/<int:pk>/relancer/", pathways.import_restart, name="import-restart"),
    path("parcours/modeles/", pathways.template_list, name="template-list"),
    path("parcours/modeles/modifier/", pathways.template_edit, name="template-edit"),
    path(
        "parcours/modeles/revenir-au-national/", pathways.template_use_national, name="template-use-national"
    ),
    path("parcours/modeles/national/", pathways.template_national, name="template-national"),
    path("parcours/modeles/<int:pk>/", pathways.template_detail, name="template-detail"),
]
