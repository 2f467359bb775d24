"""Background jobs of the evaluation: the nightly refresh of the pre-aggregates, and the on-demand one."""

from datetime import time, timedelta

from django_tasks import task

from parcours.core import schedule


@schedule.periodic("evaluation.refresh", every=timedelta(days=1), at=time(2, 30))
def refresh_indicators() -> str:
    """Recalcule les indicateurs du bilan (pré-agrégats) sur les derniers mois."""
    from parcours.evaluation import services
    from parcours.evaluation.models import Refresh

    run = services.refresh(trigger=Refresh.Trigger.NIGHTLY)
    return f"{run.rows} lignes en {run.seconds:.1f} s"


@task()
def refresh_on_demand(user_id: int) -> int:
    """A refresh asked from the dashboard by a national pilot (policy checked again here)."""
    from parcours.core.models import User
    from parcours.evaluation import services
    from parcours.evaluation.models import Refresh

    actor = User.objects.get(pk=user_id)
    return services.refresh(actor=actor, trigger=Refresh.Trigger.ON_DEMAND).pk
