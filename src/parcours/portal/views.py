from django.shortcuts import render


def home(request):
    from parcours.portal import home_sections

    return render(request, "portal/home.html", {"sections": home_sections.render_all(request)})


def accessibility(request):
    return render(request, "portal/accessibility.html")


def legal(request):
    return render(request, "portal/legal.html")


def privacy(request):
    return render(request, "portal/privacy.html")


def quick_exit_help(request):
    return render(request, "portal/quick_exit_help.html")
