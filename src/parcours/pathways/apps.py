from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "parcours.pathways"
    label = "pathways"
    verbose_name = "Parcours séparation"

    def ready(self) -> None:
        from parcours.households import timeline
        from parcours.pathways import indicators, selectors  # noqa: F401  (the bilan's indicators)

        # Events, steps, contact attempts and situation changes on the household timeline.
        timeline.register("pathways")(selectors.timeline_entries)
        selectors.register_probes()
        from parcours.pathways import exports

        exports.register()
        from parcours.pathways import retention

        retention.register()
        from parcours.pathways import subject_access

        subject_access.register()
        # RGPD art. 18: a limited declarant's steps pause, and resume when it is lifted.
        from parcours.households.hooks import register_limitation_hook
        from parcours.pathways.services.limitation import on_limitation

        register_limitation_hook(on_limitation)
        # Step 1 is done when the outbox has sent the information.
        from parcours.notifications.signals import message_finished

        message_finished.connect(_message_finished, dispatch_uid="pathways.information_offer")


def _message_finished(sender, message, status, **kwargs):
    if not (message.key.startswith("pathways.pathway.") and message.key.endswith(".information_offer")):
        return
    from parcours.notifications.models import Message
    from parcours.pathways.services.information import information_sent

    if status == Message.Status.SENT:
        information_sent(message)
