from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "parcours.workshops"
    label = "workshops"
    verbose_name = "Parents après la séparation"

    def ready(self) -> None:
        # The household timeline is a domain registry; the staff and public pages register their
        # own pieces (menu, household panel, home card, public home section) from their URL modules.
        from parcours.workshops import exports, indicators, selectors, timeline  # noqa: F401

        selectors.register_probes()
        exports.register()
        from parcours.workshops import retention

        retention.register()
        from parcours.workshops import subject_access

        subject_access.register()
