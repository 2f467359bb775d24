"""Parcours: the Caf platform for the parcours séparation and the domestic-violence strands."""
