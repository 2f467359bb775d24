"""What the evaluation module adds to the back office: the bilan in the menu. Imported by
BackofficeConfig.ready()."""

from parcours.backoffice import navigation

navigation.register(
    navigation.NavItem(
        "Bilan de l'expérimentation", "backoffice:evaluation-dashboard", "evaluation.view", order=80
    )
)
