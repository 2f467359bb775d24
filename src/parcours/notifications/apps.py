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
        from parcours.notifications import retention

        retention.register()
        from parcours.notifications import subject_access

        subject_access.register()

        # Each app declares its message templates in `<app>/messages.py`.
        autodiscover_modules("messages")

        from parcours.core.alerts import security_alert
        from parcours.notifications.services import alert_administrators

        def _alert(sender, *, kind, account, detail, key, **_):
            alert_administrators(kind=kind, account=account, detail=detail, key=key)

        security_alert.connect(_alert, weak=False, dispatch_uid="notifications.alert_administrators")

        from parcours.core.services import account_created
        from parcours.notifications.services import queue_account_activation

        def _activate(sender, *, user, actor, **_):
            queue_account_activation(actor=actor, user=user)

        account_created.connect(_activate, weak=False, dispatch_uid="notifications.account_activation")
