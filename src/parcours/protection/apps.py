from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "parcours.protection"
    label = "protection"
    verbose_name = "Protection (violences conjugales)"

    def ready(self) -> None:
        # The chokepoint's protected-track rules and the household timeline source.
        from parcours.protection import exports, indicators, safety, selectors, timeline  # noqa: F401

        selectors.register_probes()
        # Every violence signal of a declaration (form, file, API) protects its file at once, and a
        # family with violence on record only ever gets protected pathways.
        from parcours.pathways import hooks
        from parcours.protection.services import track

        hooks.register_known_violence(track.households_with_violence)
        hooks.register_violence_signalled(track.record_declared_violence)
        # A protected-address request for the other parent of a recorded victim: « signalement croisé ».
        from parcours.households import hooks as household_hooks

        household_hooks.register_address_protection_hold(track.hold_address_protection)
        exports.register()
        from parcours.protection import retention

        retention.register()
        from parcours.protection import subject_access

        subject_access.register()
