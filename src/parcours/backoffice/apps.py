from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "parcours.backoffice"
    label = "backoffice"
    verbose_name = "Espace agents"

    def ready(self) -> None:
        # One convention: what each module adds to the back office (menu entries, household panels,
        # home cards) lives in `extensions_<module>.py`, registered here, once, at start-up.
        from parcours.backoffice import (  # noqa: F401
            extensions_accompaniment,
            extensions_core,
            extensions_doctrine,
            extensions_evaluation,
            extensions_notifications,
            extensions_pathways,
            extensions_protection,
            extensions_workshops,
        )
