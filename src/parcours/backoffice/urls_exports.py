"""One URL per registered exporter (core.exports), named `export-<slug>`, under /gestion/exports/,
and the redirects from the addresses exports had before the registry."""

from django.urls import path

from parcours.backoffice.views import exports as views
from parcours.core import exports


def _patterns() -> list:
    patterns = []
    for exporter in exports.all_exporters():
        name = exporter.url_name.split(":", 1)[1]
        kwargs = {"identifier": exporter.identifier}
        if exporter.obj:
            patterns.append(path(f"exports/{exporter.slug}/<int:pk>/", views.download, kwargs, name=name))
        else:
            patterns.append(path(f"exports/{exporter.slug}/", views.download, kwargs, name=name))
        for route, former_name in exporter.former_urls:
            patterns.append(path(route, views.former, kwargs, name=former_name))
    return patterns


urlpatterns = _patterns()
