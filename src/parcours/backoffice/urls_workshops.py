"""Staff URLs of the workshops module (namespace backoffice)."""

from django.urls import path

from parcours.backoffice.views import workshops as views

urlpatterns: list = [
    path("seances/", views.workshop_list, name="workshop-list"),
    path("seances/nouvelle/", views.workshop_create, name="workshop-create"),
    path("seances/<int:pk>/", views.workshop_detail, name="workshop-detail"),
    path("seances/<int:pk>/modifier/", views.workshop_edit, name="workshop-edit"),
    path("seances/<int:pk>/publier/", views.workshop_publish, name="workshop-publish"),
    path("seances/<int:pk>/annuler/", views.workshop_cancel, name="workshop-cancel"),
    path("seances/<int:pk>/animateurs/", views.workshop_facilitators, name="workshop-facilitators"),
    path("seances/<int:pk>/salle/", views.workshop_room, name="workshop-room"),
    path("seances/<int:pk>/salle/rejoindre/", views.workshop_room_join, name="workshop-room-join"),
    path("seances/<int:pk>/salle/presence/", views.workshop_room_attendance, name="workshop-room-attendance"),
    path("seances/<int:pk>/presence/", views.workshop_attendance, name="workshop-attendance"),
    path("seances/<int:pk>/cloturer/", views.workshop_close, name="workshop-close"),
    path("seances/<int:pk>/inscrire/", views.workshop_register, name="workshop-register"),
    path("seances/inscriptions/<int:pk>/", views.registration_detail, name="registration-detail"),
    path("seances/inscriptions/<int:pk>/annuler/", views.registration_cancel, name="registration-cancel"),
    path("seances/inscriptions/<int:pk>/decision/", views.registration_review, name="registration-review"),
    path("seances/inscriptions/<int:pk>/changer/", views.registration_move, name="registration-move"),
    path("personnes/<int:pk>/seances/inscrire/", views.person_register, name="person-workshop-register"),
    path("foyers/<int:pk>/seances/inviter/", views.household_invite, name="household-invite"),
    path("seances/invitations/", views.invitation_list, name="invitation-list"),
    path("seances/invitations/<int:pk>/retirer/", views.invitation_cancel, name="invitation-cancel"),
    path("seances/series/nouvelle/", views.series_create, name="series-create"),
    path("seances/series/<int:pk>/", views.series_detail, name="series-detail"),
    path("seances/series/<int:pk>/publier/", views.series_publish, name="series-publish"),
    path("seances/lieux/", views.venue_list, name="venue-list"),
    path("seances/lieux/nouveau/", views.venue_create, name="venue-create"),
    path("seances/lieux/<int:pk>/", views.venue_edit, name="venue-edit"),
    path("seances/visioconference/", views.webinar_server, name="webinar-server"),
    path("seances/comparaison/", views.comparison, name="workshop-comparison"),
]
