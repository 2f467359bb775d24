from django.apps import AppConfig


class AccompanimentConfig(AppConfig):
    name = "parcours.accompaniment"
    label = "accompaniment"
    verbose_name = "Mesures d'accompagnement protégé"

    def ready(self) -> None:
        # Registries: message templates and private fragments (chokepoint), exporter (report to the
        # judge), indicators, periodic reminders.
        from parcours.accompaniment import exports, indicators, messages, retention, tasks  # noqa: F401

        retention.register()
        from parcours.accompaniment import subject_access

        subject_access.register()
