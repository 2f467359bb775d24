"""Public URLs of the workshops module (namespace portal). Private links carry a signed token,
never personal data."""

from django.urls import path

from parcours.portal import views_workshops as views

urlpatterns: list = [
    path("seances/", views.index, name="workshop-index"),
    path("seances/<str:code>/", views.department, name="workshop-department"),
    path("seances/<str:code>/<int:pk>/", views.detail, name="workshop-detail"),
    path("seances/<str:code>/<int:pk>/inscription/", views.register, name="workshop-register"),
    path(
        "seances/<str:code>/<int:pk>/inscription/<str:outcome>/", views.registered, name="workshop-registered"
    ),
    path("inscription/<str:token>/", views.manage, name="registration-manage"),
    path("inscription/<str:token>/annuler/", views.cancel, name="registration-cancel"),
    path("inscription/<str:token>/changer-de-seance/", views.move, name="registration-move"),
    path("inscription/<str:token>/place-proposee/", views.offer, name="registration-offer"),
    path("inscription/<str:token>/agenda.ics", views.calendar, name="registration-calendar"),
    path("inscription/<str:token>/rejoindre/", views.join, name="registration-join"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("invitation/<str:token>/decliner/", views.invitation_decline, name="invitation-decline"),
    path("enquete/<str:token>/", views.survey, name="survey"),
]
