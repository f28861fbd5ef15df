"""Customers' e-mail addresses: checked with email-validator (syntax only; no network lookups
during a webhook), found inside a text ("it's dana@example.edu thanks")."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalise(address: str) -> str:
    """The address as it should be stored, or InvalidEmail saying what is wrong."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None


def find_in(text: str) -> str | None:
    """The first valid address in a message, or None."""
    for word in text.split():
        if "@" in word:
            try:
                return normalise(word.strip("<>()[],;:.!?'\""))
            except InvalidEmail:
                continue
    return None


def from_speech(words: str) -> str:
    """An address as a recogniser writes it down ("dana dot smith at example dot e d u") made
    into one ("dana.smith@example.edu"); written addresses pass through unchanged."""
    text = f" {words.lower()} "
    for spoken, written in ((" at ", "@"), (" dot ", "."), (" dash ", "-"), (" underscore ", "_")):
        text = text.replace(spoken, written)
    # Letters spelled one by one ("e d u") join up.
    return "".join(text.split())
