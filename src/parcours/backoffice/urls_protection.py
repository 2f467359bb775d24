"""Staff URLs of the protection module (namespace backoffice)."""

from django.urls import path

from parcours.backoffice.views import protection as views

urlpatterns: list = [
    # the protected track of a household
    path("foyers/<int:pk>/violences/", views.report, name="protection-report"),
    path("foyers/<int:pk>/protection/", views.track, name="protection-track"),
    path("protection/etapes/<int:pk>/", views.safety_step_edit, name="safety-step-edit"),
    # referrals and the partner directory
    path("foyers/<int:pk>/orientations/nouvelle/", views.referral_create, name="referral-create"),
    path("orientations/<int:pk>/", views.referral_edit, name="referral-edit"),
    path("partenaires/", views.partner_list, name="partner-list"),
    path("partenaires/nouveau/", views.partner_create, name="partner-create"),
    path("partenaires/<int:pk>/", views.partner_edit, name="partner-edit"),
    # emergency aid (AUU)
    path("foyers/<int:pk>/aide-urgence/nouvelle/", views.aid_create, name="aid-create"),
    path("aides-urgence/", views.aid_worklist, name="aid-worklist"),
    path("aides-urgence/historique/", views.aid_history, name="aid-history"),
    path("orientations/recues/", views.partner_inbox, name="partner-inbox"),
    path("orientations/recues/<int:pk>/", views.partner_referral, name="partner-referral"),
    path("aides-urgence/plafonds/", views.aid_ceilings, name="aid-ceilings"),
    path("aides-urgence/plafonds/nouveau/", views.aid_ceiling_create, name="aid-ceiling-create"),
    path("aides-urgence/<int:pk>/", views.aid_detail, name="aid-detail"),
    path("aides-urgence/<int:pk>/decision/", views.aid_decide, name="aid-decide"),
    path("aides-urgence/<int:pk>/refus/", views.aid_refuse, name="aid-refuse"),
    path("aides-urgence/<int:pk>/correction/", views.aid_correct, name="aid-correct"),
    path("signalements-croises/<int:pk>/decision/", views.cross_claim_decide, name="cross-claim-decide"),
    path("aides-urgence/<int:pk>/paiement/", views.aid_pay, name="aid-pay"),
    path("aides-urgence/<int:pk>/procedure/", views.aid_proceedings, name="aid-proceedings"),
    path("aides-urgence/<int:pk>/remboursement/", views.aid_repayment, name="aid-repayment"),
    path("aides-urgence/<int:pk>/justificatifs/nouveau/", views.aid_proof_upload, name="aid-proof-upload"),
    path("justificatifs/<int:pk>/", views.aid_proof, name="aid-proof"),
]
