import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.core import services
from parcours.core.models import AuditEntry
from tests import factories


@pytest.fixture
def admin(db):
    return factories.make_user("admin", None)


def test_admin_creates_an_account_without_password_that_is_set_by_reset(admin):
    user = services.create_user(
        actor=admin, email="Nouvelle.Agente@caf.fr", first_name="Lina", last_name="Robert",
        organisation=factories.caf("27"), roles=["social_worker", "service_advisor"],
    )  # fmt: skip
    assert user.email == "nouvelle.agente@caf.fr"
    assert not user.has_usable_password()
    assert user.roles == {"social_worker", "service_advisor"}
    assert AuditEntry.objects.filter(action="core.user.created", object_id=str(user.pk)).exists()


@pytest.mark.parametrize(
    ("organisation", "roles"),
    [("cnaf", ["social_worker"]), ("caf", ["national_pilot"]), ("partner", ["social_worker"]), ("caf", [])],
)
def test_roles_must_fit_the_organisation(admin, organisation, roles):
    org = {
        "cnaf": factories.cnaf,
        "caf": lambda: factories.caf("92"),
        "partner": lambda: factories.partner_org("92"),
    }[organisation]()
    with pytest.raises(ValidationError):
        services.create_user(
            actor=admin, email="x@caf.fr", first_name="A", last_name="B", organisation=org, roles=roles
        )


def test_only_administrators_manage_accounts(db):
    pilot = factories.make_user("local_pilot", "92")
    with pytest.raises(PermissionDenied):
        services.create_user(
            actor=pilot,
            email="x@caf.fr",
            first_name="A",
            last_name="B",
            organisation=factories.caf("92"),
            roles=["social_worker"],
        )


def test_a_chosen_password_must_pass_the_rules(admin):
    with pytest.raises(ValidationError):
        services.create_user(
            actor=admin, email="x@caf.fr", first_name="A", last_name="B", organisation=factories.caf("92"),
            roles=["social_worker"], password="trop court",
        )  # fmt: skip


def test_resetting_the_second_factor_forces_a_new_enrolment(client_for, admin):
    user = factories.make_user("social_worker", "92")
    victim_client = client_for(user)
    response = client_for(admin).post(reverse("backoffice:user-reset-otp", kwargs={"pk": user.pk}))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert victim_client.get(reverse("backoffice:home")).status_code == 302


def test_the_deactivation_page_ends_sessions(client_for, admin):
    user = factories.make_user("benefits_officer", "974")
    staff_client = client_for(user)
    client_for(admin).post(reverse("backoffice:user-deactivate", kwargs={"pk": user.pk}))
    user.refresh_from_db()
    assert not user.is_active
    assert staff_client.get(reverse("backoffice:home")).status_code == 302


def test_an_administrator_cannot_deactivate_herself(admin):
    with pytest.raises(ValidationError):
        services.set_active(actor=admin, user=admin, active=False)
