"""What the doctrine module adds to the back office: its search and its synthesis in the menu.
Imported by BackofficeConfig.ready()."""

from parcours.backoffice import navigation

navigation.register(navigation.NavItem("Doctrine", "backoffice:doctrine-search", "doctrine.view", order=60))
navigation.register(
    navigation.NavItem(
        "Synthèse de la doctrine", "backoffice:doctrine-synthesis", "doctrine.inventory", order=61
    )
)
