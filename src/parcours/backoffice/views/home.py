from django.shortcuts import render

from parcours.core import policy


def home(request):
    user = request.user
    shortcuts = [
        ("Rechercher un foyer", "backoffice:household-search", "households.view"),
        ("Créer un dossier", "backoffice:household-create", "households.create"),
        (
            "Dossiers restreints et affectations",
            "backoffice:household-reference-list",
            "households.view_reference",
        ),
        ("Gérer les comptes", "backoffice:user-list", "accounts.manage"),
    ]
    from parcours.backoffice import home_cards

    return render(
        request,
        "backoffice/home.html",
        {
            "shortcuts": [(label, url) for label, url, perm in shortcuts if policy.has_perm(user, perm)],
            "cards": home_cards.render_all(request),
        },
    )
