"""Point a Twilio number at this line through the REST API (voice, status, fallback and SMS)."""

from __future__ import annotations

from twilio.rest import Client


class SetupError(Exception):
    pass


def number_urls(base: str, staff: bool = False) -> dict[str, str]:
    return {
        "voice_url": f"{base}/voice/staff" if staff else f"{base}/voice/incoming",
        "voice_method": "POST",
        "voice_fallback_url": f"{base}/voice/fallback",
        "voice_fallback_method": "POST",
        "status_callback": f"{base}/voice/status",
        "status_callback_method": "POST",
        "sms_url": f"{base}/sms/inbound",
        "sms_method": "POST",
    }


def configure_number(client: Client, number: str, base: str, staff: bool = False) -> str:
    """Set the number's webhooks; returns its sid. Raises SetupError when it is not ours."""
    found = client.incoming_phone_numbers.list(phone_number=number, limit=1)
    if not found:
        raise SetupError(f"{number} is not a number of this Twilio account")
    updated = found[0].update(**number_urls(base, staff))
    return updated.sid
