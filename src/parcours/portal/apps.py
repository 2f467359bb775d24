from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "parcours.portal"
    label = "portal"
    verbose_name = "Pages publiques"

    def ready(self) -> None:
        # What each module adds to the public pages (sections of the home page) lives in
        # `extensions_<module>.py`, registered here at start-up, as in the back office.
        from parcours.portal import extensions_workshops  # noqa: F401
