"""Phone normalisation and masking of personal data. Pure functions."""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code (010, 02x, 0xxx) followed by a 7- or 8-digit local number.
LANDLINE_RE = re.compile(r"^(010|02\d|0[3-9]\d{2})(\d{7,8})$")
SEPARATORS_RE = re.compile(r"[\s\-()（）.·]")


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Digits only: an 11-digit mobile number, or a landline with its area code.

    Accepts what people type: spaces, dashes, full-width digits, +86/0086 prefixes.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = SEPARATORS_RE.sub("", text)
    if text.startswith("+"):
        text = text[1:]
    if text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not text.isdigit():
        raise InvalidPhone(_("A phone number may contain only digits, spaces and dashes."))
    if MOBILE_RE.match(text) or LANDLINE_RE.match(text):
        return text
    raise InvalidPhone(
        _("“%(value)s” is not a Chinese mobile number (11 digits starting with 1) "
          "or a landline number with its area code (e.g. 010-12345678).") % {"value": raw}
    )


def is_mobile(phone: str) -> bool:
    return bool(MOBILE_RE.match(phone))


def format_phone(phone: str) -> str:
    match = LANDLINE_RE.match(phone)
    return f"{match.group(1)}-{match.group(2)}" if match else phone


def mask_phone(phone: str) -> str:
    """138****1234 for mobiles; area code kept and the last four shown for landlines."""
    if not phone:
        return ""
    match = LANDLINE_RE.match(phone)
    if match:
        local = match.group(2)
        return f"{match.group(1)}-{'*' * (len(local) - 4)}{local[-4:]}"
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_email(email: str) -> str:
    if not email or "@" not in email:
        return email and "***"
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_id_number(number: str) -> str:
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def mask_name(name: str) -> str:
    """张* / 欧阳** for Chinese names; first letter kept for others."""
    if not name:
        return ""
    if len(name) == 1:
        return name
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2] + "*" * (len(name) - 2)
    return name[0] + "*" * (len(name) - 1)


COMPOUND_SURNAMES = frozenset(
    ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "尉迟", "长孙", "宇文", "司徒", "夏侯"]
)


# --- one-time secrets in messages to customers ---------------------------------------------------

SECRET_MASK = "******"


def mask_secrets(text: str, secrets) -> str:
    """`text` with each one-time secret (a tracking code, a link's token) replaced by a mask:
    what staff see of a message that only the customer may use."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text

