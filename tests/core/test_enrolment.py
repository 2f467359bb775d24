"""Second-factor enrolment is a service: checked code, confirmed device, audit entry."""

import pytest
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from parcours.core import services
from parcours.core.models import AuditEntry
from tests import factories


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


@pytest.fixture
def newcomer(db):
    return factories.make_user("social_worker", "92", with_device=False)


def test_the_right_code_enrols_the_device_and_is_audited(newcomer):
    device = services.enrolment_device(newcomer)
    assert services.enrolment_device(newcomer) == device  # the same QR code until it is confirmed
    assert services.confirm_enrolment(user=newcomer, device=device, token=_code(device)) is True
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert AuditEntry.objects.filter(action="core.second_factor.enrolled", actor=newcomer).count() == 1


def test_a_wrong_code_enrols_nothing(newcomer):
    device = services.enrolment_device(newcomer)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    assert services.confirm_enrolment(user=newcomer, device=device, token=wrong) is False
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()
    assert not AuditEntry.objects.filter(action="core.second_factor.enrolled").exists()


def test_a_user_with_a_device_cannot_enrol_another_one(db):
    user = factories.make_user("social_worker", "92")  # already enrolled
    device = services.enrolment_device(user)
    with pytest.raises(ValidationError):
        services.confirm_enrolment(user=user, device=device, token=_code(device))
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_a_device_of_someone_else_is_refused(newcomer, db):
    other = factories.make_user("social_worker", "92", with_device=False)
    device = services.enrolment_device(other)
    with pytest.raises(ValueError):
        services.confirm_enrolment(user=newcomer, device=device, token=_code(device))
