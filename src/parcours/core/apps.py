from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "parcours.core"
    label = "core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from parcours.core import journal, lookups, signals, tasks  # noqa: F401  (signals, periodic jobs, __any_of)

        journal.register()
        from parcours.core import policy

        policy.check_record_rules()
