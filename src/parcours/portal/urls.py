"""Public pages for parents, no account. Every name here is listed in core.policy.URLS."""

from django.urls import path

from parcours.portal import urls_workshops, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("mentions-legales/", views.legal, name="legal"),
    path("donnees-personnelles/", views.privacy, name="privacy"),
    path("sortie-rapide/", views.quick_exit_help, name="quick-exit-help"),
]

urlpatterns += urls_workshops.urlpatterns
