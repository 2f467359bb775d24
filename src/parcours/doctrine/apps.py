from django.apps import AppConfig


class DoctrineConfig(AppConfig):
    name = "parcours.doctrine"
    label = "doctrine"
    verbose_name = "Doctrine (pratiques contre les violences conjugales)"

    def ready(self) -> None:
        # Exporters and indicators register themselves with the core registries on import.
        from parcours.doctrine import exports, indicators  # noqa: F401
