"""Staff back office under /gestion/. Every name here is listed in core.policy.URLS."""

from django.urls import path

from parcours.backoffice import (
    urls_accompaniment,
    urls_doctrine,
    urls_evaluation,
    urls_exports,
    urls_notifications,
    urls_pathways,
    urls_protection,
    urls_workshops,
)
from parcours.backoffice.views import accounts, audit, auth, home, households

app_name = "backoffice"

urlpatterns = [
    path("", home.home, name="home"),
    # sign-in
    path("connexion/", auth.login, name="login"),
    path("connexion/code/", auth.login_otp, name="login-otp"),
    path("connexion/enrolement/", auth.login_enrol, name="login-enrol"),
    path("deconnexion/", auth.logout, name="logout"),
    path("reauthentification/", auth.reauth, name="reauth"),
    path("mot-de-passe/", auth.PasswordChangeView.as_view(), name="password-change"),
    path("mot-de-passe-oublie/", auth.PasswordResetView.as_view(), name="password-reset"),
    path("mot-de-passe-oublie/envoye/", auth.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        auth.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    # households
    path("foyers/", households.search, name="household-search"),
    path("foyers/nouveau/", households.create, name="household-create"),
    path("foyers/<int:pk>/", households.detail, name="household-detail"),
    path("foyers/<int:pk>/modifier/", households.edit, name="household-edit"),
    path("foyers/<int:pk>/personnes/nouvelle/", households.person_create, name="person-create"),
    path("personnes/<int:pk>/modifier/", households.person_edit, name="person-edit"),
    path("personnes/<int:pk>/historique/", households.person_history, name="person-history"),
    path("personnes/<int:pk>/adresse/", households.address_edit, name="address-edit"),
    path("personnes/<int:pk>/adresse/proteger/", households.address_protect, name="address-protect"),
    path("personnes/<int:pk>/adresse/consulter/", households.address_reveal, name="address-reveal"),
    path("personnes/<int:pk>/contacts/nouveau/", households.contact_create, name="contact-create"),
    path("contacts/<int:pk>/modifier/", households.contact_edit, name="contact-edit"),
    path(
        "propositions-de-coordonnees/<int:pk>/decision/",
        households.contact_proposal_review,
        name="contact-proposal-review",
    ),
    path("personnes/<int:pk>/consentements/nouveau/", households.consent_create, name="consent-create"),
    # restricted households: references and assignments (local pilot)
    path("dossiers/", households.reference_list, name="household-reference-list"),
    path("dossiers/<int:pk>/", households.reference, name="household-reference"),
    path("dossiers/<int:pk>/affecter/", households.assign, name="household-assign"),
    path("dossiers/<int:pk>/gel-legal/", households.legal_hold, name="household-legal-hold"),
    path("dossiers/<int:pk>/effacer/", households.erase, name="household-erase"),
    # one member's rights (RGPD art. 18 and 17), from the reference page: no content shown
    path("dossiers/personnes/<int:pk>/limitation/", households.person_limitation, name="person-limitation"),
    path("dossiers/personnes/<int:pk>/effacer/", households.person_erase, name="person-erase"),
    path(
        "dossiers/<int:pk>/lever-la-restriction/",
        households.lift_restriction,
        name="household-lift-restriction",
    ),
    path("affectations/<int:pk>/retirer/", households.unassign, name="household-unassign"),
    path("dossiers/<int:pk>/journal/", audit.household_audit, name="audit-household"),
    path("journal/", audit.department_journal, name="audit-department"),
    path("acces-refuses/", audit.denied_accesses, name="denied-accesses"),
    # accounts
    path("comptes/", accounts.user_list, name="user-list"),
    path("comptes/nouveau/", accounts.user_create, name="user-create"),
    path("comptes/<int:pk>/", accounts.user_edit, name="user-edit"),
    path("comptes/<int:pk>/activation/", accounts.user_deactivate, name="user-deactivate"),
    path("comptes/<int:pk>/second-facteur/", accounts.user_reset_otp, name="user-reset-otp"),
]

# Each module keeps its staff URLs in its own file (same namespace).
urlpatterns += urls_pathways.urlpatterns
urlpatterns += urls_notifications.urlpatterns
urlpatterns += urls_protection.urlpatterns
urlpatterns += urls_workshops.urlpatterns
urlpatterns += urls_accompaniment.urlpatterns
urlpatterns += urls_doctrine.urlpatterns
urlpatterns += urls_evaluation.urlpatterns
# Registered exporters (core.exports): one URL each, listed in the access policy by the registry.
urlpatterns += urls_exports.urlpatterns
