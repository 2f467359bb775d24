from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "parcours.protection"
    label = "protection"
    verbose_name = "Protection (violences conjugales)"

    def ready(self) -> None:
        # The chokepoint's protected-track rules and the household timeline source.
        from parcours.protection import exports, indicators, safety, selectors, timeline  # noqa: F401

        selectors.register_probes()
        exports.register()
