from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from parcours.backoffice.forms import UserForm
from parcours.core import services
from parcours.core.forms import apply_errors
from parcours.core.models import User


def user_list(request):
    query = request.GET.get("q", "").strip()
    users = User.objects.select_related("organisation__department").prefetch_related("role_rows")
    if query:
        users = users.filter(Q(email__icontains=query) | Q(last_name__icontains=query))
    page = Paginator(users.order_by("organisation__name", "last_name"), 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/accounts/list.html", {"page": page, "q": query})


def user_create(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Compte {user.email} créé. La personne choisit son mot de passe via « Mot de passe oublié ».",
            )
            return redirect("backoffice:user-list")
    return render(request, "backoffice/households/form.html", {"form": form, "title": "Nouveau compte"})


def user_edit(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    form = UserForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(actor=request.user, user=user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Compte modifié.")
            return redirect("backoffice:user-list")
    return render(request, "backoffice/accounts/edit.html", {"form": form, "account": user})


def user_deactivate(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    try:
        services.set_active(actor=request.user, user=user, active=not user.is_active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, "Compte réactivé." if user.is_active else "Compte désactivé : ses sessions sont fermées."
        )
    return redirect("backoffice:user-edit", pk=user.pk)


def user_reset_otp(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    services.reset_second_factor(actor=request.user, user=user)
    messages.success(
        request, "Second facteur réinitialisé : un nouvel enrôlement sera demandé à la prochaine connexion."
    )
    return redirect("backoffice:user-edit", pk=user.pk)
