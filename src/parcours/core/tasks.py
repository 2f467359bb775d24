"""Background jobs of the core: registered exports produced by the worker, and their purge."""

from datetime import time, timedelta

from parcours.core import exports, ratelimit, schedule

# Declared beside the function it runs; also named here so that a job queued under this path runs.
run_export = exports.run_export


@schedule.periodic("core.purge_exports", every=timedelta(hours=1))
def purge_exports() -> int:
    """Supprime les fichiers d'export en arrière-plan plus anciens que la durée de conservation."""
    return exports.purge_jobs()


@schedule.periodic("core.purge_rate_counters", every=timedelta(hours=1))
def purge_rate_counters() -> int:
    """Supprime les compteurs de limitation de débit des fenêtres écoulées."""
    return ratelimit.purge()


@schedule.periodic("core.audit_seal", every=timedelta(seconds=5))
def seal_audit() -> int:
    """Scelle les entrées du journal d'audit en attente (lots signés, sans verrou pour les écritures)."""
    from parcours.core import audit

    return audit.seal()


@schedule.periodic("core.audit_purge", every=timedelta(days=1), at=time(3, 15))
def purge_audit() -> int:
    """Purge les sceaux du journal d'audit plus anciens que PARCOURS_AUDIT_RETENTION_DAYS (ancre gardée)."""
    from parcours.core import audit

    return audit.purge().entries
