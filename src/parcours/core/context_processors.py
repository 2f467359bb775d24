from django.conf import settings


def parcours(request):
    return {
        "demo_mode": settings.DEMO_MODE,
        "site_name": "Parcours",
    }
