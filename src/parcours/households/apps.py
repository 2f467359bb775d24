from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "parcours.households"
    label = "households"
    verbose_name = "Foyers"
