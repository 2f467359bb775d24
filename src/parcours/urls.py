from django.urls import include, path

from parcours.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("gestion/", include("parcours.backoffice.urls")),
    path("api/v1/", include("parcours.api.urls")),
    path("", include("parcours.portal.urls")),
]

handler400 = "parcours.core.views.bad_request"
handler403 = "parcours.core.views.permission_denied"
handler404 = "parcours.core.views.page_not_found"
handler500 = "parcours.core.views.server_error"
