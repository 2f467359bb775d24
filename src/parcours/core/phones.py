"""French phone numbers, overseas ones included (0692… is La Réunion, not the mainland)."""

import phonenumbers

# Mainland first, then the overseas regions and collectivities that use French numbering.
FRENCH_REGIONS = ("FR", "RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF", "NC", "PF", "WF")


def normalize_french_phone(raw: str) -> str | None:
    """E.164 form (+33…, +262…) of a French number, or None when it is not one."""
    value = (raw or "").strip()
    if not value:
        return None
    for region in FRENCH_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return None
        if (
            phonenumbers.is_valid_number(number)
            and phonenumbers.region_code_for_number(number) in FRENCH_REGIONS
        ):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
