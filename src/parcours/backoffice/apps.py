from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "parcours.backoffice"
    label = "backoffice"
    verbose_name = "Espace agents"

    def ready(self) -> None:
        from parcours.backoffice import cards  # noqa: F401  (registers the foundation's home cards)
