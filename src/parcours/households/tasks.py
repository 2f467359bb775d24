"""Periodic jobs of the households module."""

from datetime import time, timedelta

from parcours.core import schedule
from parcours.households import anonymisation


@schedule.periodic("households.anonymise", every=timedelta(days=1), at=time(3, 0))
def anonymise() -> int:
    """Anonymise les foyers dont toutes les durées de conservation sont échues (sans gel légal)."""
    return anonymisation.run().households
