from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "parcours.notifications"
    label = "notifications"
    verbose_name = "Messages"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from parcours.notifications import selectors, timeline  # noqa: F401  (registers the household timeline source)

        selectors.register_probes()
        from parcours.notifications import exports

        exports.register()

        # Each app declares its message templates in `<app>/messages.py`.
        autodiscover_modules("messages")
