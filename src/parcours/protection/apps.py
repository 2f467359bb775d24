from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "parcours.protection"
    label = "protection"
    verbose_name = "Protection (violences conjugales)"
