"""Phone numbers: E.164 storage, spoken read-backs, and masking for logs."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers


class InvalidNumber(ValueError):
    """The text is not a phone number that can be called back."""


class NotCallable(InvalidNumber):
    """A real number the line will not call back (another country, a paid or shared service)."""


# A caller's number is parsed again on every turn of their call, which cost a tenth of a plain
# turn's CPU: the answers are kept for the few thousand numbers a storm brings (an exception,
# for a number that is not one, is never kept).
PARSED = 4096


@functools.lru_cache(maxsize=PARSED)
def to_e164(raw: str, region: str = "US") -> str:
    """Normalise what a caller keyed or a form held into E.164, or raise InvalidNumber."""
    text = (raw or "").strip()
    if not text:
        raise InvalidNumber("no number given")
    # Keypad entries arrive as bare digits; a leading 00 or 011 is an international prefix.
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"{mask(text)} is not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Numbers the line will call and text back: a person's phone, never a premium-rate, shared-cost
# or other paid or shared service (a caller could have the line dial one on the group's bill).
CALLBACK_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


@functools.lru_cache(maxsize=PARSED)
def to_callback(raw: str, region: str = "US", countries: frozenset[str] | None = None) -> str:
    """A number fit to call back: valid, in one of `countries` (regions like US, CA), and a
    fixed line or a mobile. Raises InvalidNumber saying which it is not."""
    e164 = to_e164(raw, region)
    number = phonenumbers.parse(e164, None)
    country = phonenumbers.region_code_for_number(number)
    if countries and country not in countries:
        raise NotCallable(f"numbers in {country or 'that region'} cannot be called back")
    if phonenumbers.number_type(number) not in CALLBACK_TYPES:
        raise NotCallable("only a fixed line or a mobile can be called back")
    return e164


@dataclass(frozen=True)
class CallbackPolicy:
    """The one rule for a number the line will call or text back, whatever gave it: a caller ID,
    keyed digits, a voicemail, an import, the API or a form. A caller ID is anyone's to set, so
    it passes the same checks as digits keyed in: valid, in `countries`, a fixed line or mobile
    (never premium-rate, toll-free or shared-cost), and never the line's or the help desk's own."""

    region: str = "US"
    countries: frozenset[str] = frozenset({"US", "CA"})
    own_numbers: frozenset[str] = frozenset()

    def check(self, raw: str) -> str:
        """The number in E.164, or InvalidNumber / NotCallable saying why not."""
        number = to_callback(raw, self.region, self.countries)
        if number in self.own_numbers:
            raise NotCallable("the line's or the help desk's own number is not a callback number")
        return number

    def usable(self, raw: str | None) -> str | None:
        """The number if the line may call it back, else None (no callback number)."""
        try:
            return self.check(raw or "")
        except InvalidNumber:
            return None


# The shipped settings' policy (US and Canada), for what is built without settings.
DEFAULT_CALLBACK_POLICY = CallbackPolicy()


def try_e164(raw: str | None, region: str = "US") -> str | None:
    try:
        return to_e164(raw or "", region)
    except InvalidNumber:
        return None


def spoken_groups(e164: str, region: str = "US") -> str:
    """Digits grouped the way people say them: "3 1 9, 3 8 4, 4 3 5 7"."""
    number = phonenumbers.parse(e164, None)
    home = phonenumbers.region_code_for_number(number) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    groups = re.findall(r"\d+", phonenumbers.format_number(number, style))
    spoken = ", ".join(" ".join(group) for group in groups)
    return spoken if home else f"plus {spoken}"


def display(e164: str | None) -> str:
    """Human form for texts and pages: (319) 384-4357 at home, +44 20 ... abroad."""
    if not e164:
        return "unknown"
    number = phonenumbers.parse(e164, None)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def mask(value: str | None) -> str:
    """Keep only enough of a number to tell calls apart in a log: +1******4357."""
    if not value:
        return "-"
    digits = sum(ch.isdigit() for ch in value)
    if digits <= 4:
        return "*" * len(value)
    head = value[:2] if value.startswith("+") else ""
    return f"{head}{'*' * (digits - 4 - (len(head) - 1 if head else 0))}{value[-4:]}"
