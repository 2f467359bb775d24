from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "parcours.backoffice"
    label = "backoffice"
    verbose_name = "Espace agents"
