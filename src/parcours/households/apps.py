from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "parcours.households"
    label = "households"
    verbose_name = "Foyers"

    def ready(self) -> None:
        # Retention: identity, contacts and addresses; the periodic anonymisation job.
        from parcours.households import anonymisation, tasks  # noqa: F401

        anonymisation.register()
        # Right of access (RGPD art. 15): the exporter and this module's sections of the file.
        from parcours.households import subject_access

        subject_access.register()
