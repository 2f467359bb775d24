from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from parcours.backoffice.forms import UserForm
from parcours.core import services
from parcours.core.forms import apply_errors
from parcours.core.models import Organisation, User
from parcours.core.roles import Role

# ?tri= value → (French column label, ordering); "-" in front reverses it.
SORTS = {
    "nom": ("Nom", ("last_name", "first_name")),
    "email": ("E-mail", ("email",)),
    "organisation": ("Organisation", ("organisation__name", "last_name")),
    "connexion": ("Dernière connexion", ("last_login", "last_name")),
}


def user_list(request):
    query = request.GET.get("q", "").strip()
    users = User.objects.select_related("organisation__department", "site").prefetch_related("role_rows")
    if query:
        users = users.filter(
            Q(email__icontains=query) | Q(last_name__icontains=query) | Q(first_name__icontains=query)
        )
    organisations = Organisation.objects.filter(users__isnull=False).distinct().order_by("name")
    chosen = {
        "organisation": request.GET.get("organisation", ""),
        "role": request.GET.get("role", ""),
        "etat": request.GET.get("etat", ""),
    }
    if chosen["organisation"].isdigit():
        users = users.filter(organisation_id=int(chosen["organisation"]))
    if chosen["role"] in Role.values:
        users = users.filter(role_rows__role=chosen["role"])
    if chosen["etat"] in ("actif", "inactif"):
        users = users.filter(is_active=chosen["etat"] == "actif")
    sort = request.GET.get("tri", "organisation")
    key = sort.removeprefix("-")
    if key not in SORTS:
        sort, key = "organisation", "organisation"
    ordering = SORTS[key][1]
    if sort.startswith("-"):
        ordering = tuple(f"-{f}" for f in ordering)
    page = Paginator(users.order_by(*ordering, "pk"), 50).get_page(request.GET.get("page"))
    columns = [
        {"key": k, "label": label, "active": k == key, "descending": sort.startswith("-"),
         "next": f"-{k}" if sort == k else k}
        for k, (label, _) in SORTS.items()
    ]  # fmt: skip
    return render(
        request,
        "backoffice/accounts/list.html",
        {"page": page, "q": query, "organisations": organisations, "roles": Role.choices, "chosen": chosen,
         "columns": columns, "sort": sort},
    )  # fmt: skip


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
                f"Compte {user.email} créé. Un e-mail d'activation lui est envoyé : elle y choisit son mot "
                "de passe (le lien sert une fois), puis associe son application d'authentification.",
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
