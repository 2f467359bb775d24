"""Staff URLs of the MAP module under /gestion/accompagnement/ (namespace backoffice)."""

from django.urls import path

from parcours.backoffice.views import accompaniment as views

urlpatterns: list = [
    path("accompagnement/", views.measure_list, name="map-list"),
    path("accompagnement/foyers/<int:pk>/ordonnance/", views.record, name="map-record"),
    path("accompagnement/<int:pk>/", views.measure_detail, name="map-measure"),
    path("accompagnement/<int:pk>/ordonnance/", views.order_file, name="map-order-file"),
    path("accompagnement/<int:pk>/orientation/", views.refer, name="map-refer"),
    path("accompagnement/<int:pk>/reponse/", views.answer, name="map-answer"),
    path("accompagnement/<int:pk>/lieux/", views.places, name="map-places"),
    path("accompagnement/<int:pk>/calendrier/", views.calendar_week, name="map-calendar"),
    path("accompagnement/<int:pk>/calendrier/generer/", views.generate, name="map-generate"),
    path("accompagnement/<int:pk>/parloirs/", views.prison_slots, name="map-prison-slots"),
    path("accompagnement/<int:pk>/accompagnants/", views.assign, name="map-assign"),
    path("accompagnement/<int:pk>/rapport/", views.report, name="map-report"),
    path("accompagnement/<int:pk>/fin/", views.end, name="map-end"),
    path("accompagnement/<int:pk>/renouvellement/", views.renew, name="map-renew"),
    path("accompagnement/rapports/<int:pk>/valider/", views.report_sign, name="map-report-sign"),
    path("accompagnement/remises/<int:pk>/", views.handover_form, name="map-handover"),
    path("accompagnement/remises/<int:pk>/deplacer/", views.handover_move, name="map-handover-move"),
    path("accompagnement/mes-remises/", views.mine, name="map-mine"),
    path("accompagnement/mes-remises/agenda/", views.mine_feed, name="map-mine-feed"),
    path("accompagnement/agenda/<str:token>.ics", views.agenda, name="map-agenda"),
    path("accompagnement/pilotage/", views.overview, name="map-overview"),
    path("accompagnement/pilotage/conventions/", views.conventions, name="map-conventions"),
    path("accompagnement/pilotage/vacances-scolaires/", views.holidays, name="map-holidays"),
]
