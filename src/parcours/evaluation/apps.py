from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "parcours.evaluation"
    label = "evaluation"
    verbose_name = "Évaluation (bilan de l'expérimentation)"

    def ready(self) -> None:
        # The nightly refresh (core.schedule), the bilan's exporters (core.exports), the menu entry.
        from parcours.evaluation import exports, tasks  # noqa: F401
