"""The Twilio edge of the web app: signature checks and TwiML responses."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, abort, current_app, request, url_for
from twilio.request_validator import RequestValidator
from twilio.twiml import TwiML
from twilio.twiml.voice_response import VoiceResponse

from app.adapters.logging_setup import twilio_id
from app.calls.reply import Reply
from app.context import settings

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

# Set when no TWILIO_AUTH_TOKEN was configured and a local one is in use: said when a request
# is refused (where it explains something), not on every start of every command.
LOCAL_TOKEN = "AFTERHOURS_LOCAL_TWILIO_TOKEN"
LOCAL_TOKEN_NOTE = (
    "; TWILIO_AUTH_TOKEN is not set, so only requests signed with the local token in "
    "instance/local-twilio-auth-token are accepted, as the call player signs them"
)


def public_url() -> str:
    """The URL Twilio requested, as Twilio saw it (the public base, not the proxy's inside)."""
    query = request.query_string.decode("latin-1")
    return f"{settings().PUBLIC_BASE_URL}{request.path}{'?' + query if query else ''}"


def signature_is_valid() -> bool:
    config = settings()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    tokens = [t for t in (config.TWILIO_AUTH_TOKEN, config.TWILIO_AUTH_TOKEN_SECONDARY) if t]
    params = request.form if request.method == "POST" else {}
    url = public_url()
    return any(RequestValidator(token).validate(url, params, signature) for token in tokens)


def twilio_only(view: F) -> F:
    """403 unless the request carries a valid X-Twilio-Signature for the public URL."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if settings().TWILIO_VALIDATE_SIGNATURES and not signature_is_valid():
            log.warning(
                "rejected unsigned or mis-signed request to %s (checked for %s%s)",
                loggable(request.path),
                settings().PUBLIC_BASE_URL,
                LOCAL_TOKEN_NOTE if current_app.config.get(LOCAL_TOKEN) else "",
            )
            abort(403, "Twilio signature missing or invalid")
        # Only now is the body trusted enough to tag the log lines with Twilio's id.
        sid = request.form.get("CallSid") or request.form.get("MessageSid") or "-"
        twilio_id.set(loggable(sid)[:64])
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# Twilio's ids are letters and digits (CA + 32 hex); tests and tools use dashes too.
SID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def loggable(text: str) -> str:
    """Log fields from outside never carry a line break (a forged log line) or other controls."""
    return re.sub(r"[^\x21-\x7e]", "?", text)


# Characters XML 1.0 cannot carry (most control characters, lone surrogates, U+FFFE/U+FFFF):
# a recogniser or a phone may send them, and echoing one would make the TwiML unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def form_text(name: str, limit: int) -> str:
    """A webhook parameter as text that is safe to store and to speak back."""
    return _NOT_XML.sub("", request.form.get(name, "")).strip()[:limit]


def twiml(document: TwiML | str) -> Response:
    return Response(str(document), mimetype="text/xml")


def menu_action(spec: dict[str, Any], **flags: Any) -> str:
    """The caller's menu: the next turn's URL, with where the call will stand if it has it."""
    if spec.get("state"):
        flags["state"] = spec["state"]
    return url_for("voice.answer", step=spec["step"], turn=spec["turn"], **flags)


def _gather_options(spec: dict[str, Any], language: str, action: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "action": action,
        "method": "POST",
        "timeout": spec["timeout"],
        "action_on_empty_result": True,
    }
    if spec["speech"]:
        model = spec.get("speech_model")
        options.update(
            input="dtmf speech",
            num_digits=spec["num_digits"],
            speech_timeout="auto",
            language=language,
            hints=", ".join(spec["hints"]) or None,
            max_speech_time=spec["max_speech_seconds"],
            speech_model=model,
            # Enhanced recognition exists for the phone_call model only.
            enhanced=True if model == "phone_call" else None,
        )
    else:
        options.update(
            input="dtmf", num_digits=spec["num_digits"], finish_on_key=spec["finish_on_key"]
        )
    return {key: value for key, value in options.items() if value is not None}


def render_reply(reply: Reply, action: Callable[..., str] = menu_action) -> VoiceResponse:
    """Turn a Reply into TwiML; `action` maps a verb's (step, turn) to the URL it posts to."""
    response = VoiceResponse()
    say_args = {"voice": reply.voice, "language": reply.language}

    for verb in reply.verbs:
        if "say" in verb:
            response.say(verb["say"], **say_args)
        elif "gather" in verb:
            spec = verb["gather"]
            gather = response.gather(**_gather_options(spec, reply.language, action(spec)))
            for prompt in spec["prompts"]:
                if isinstance(prompt, dict):
                    # Said in a voice of its own: another language's offer of itself.
                    gather.say(prompt["say"], voice=prompt["voice"], language=prompt["language"])
                else:
                    gather.say(prompt, **say_args)
        elif "record" in verb:
            spec = verb["record"]
            response.record(
                action=action(spec),
                method="POST",
                max_length=spec["max_length"],
                finish_on_key="#",
                play_beep=True,
                timeout=5,
            )
        elif "dial" in verb:
            spec = verb["dial"]
            options = {"action": action(spec), "method": "POST", "timeout": spec["timeout"]}
            if spec.get("whisper"):
                dial = response.dial(**options)
                url = url_for("voice.whisper", call_sid=spec["whisper"], attempt=spec["turn"])
                dial.number(spec["number"], url=url, method="POST")
            else:
                response.dial(spec["number"], caller_id=spec.get("caller_id"), **options)
        elif "conference" in verb:
            spec = verb["conference"]
            response.dial().conference(
                spec["room"],
                status_callback=url_for("voice.joint_events", incident_id=spec["incident"]),
                status_callback_event="join leave end",
                status_callback_method="POST",
                start_conference_on_enter=True,
                end_conference_on_exit=False,
            )
        elif "redirect" in verb:
            spec = verb["redirect"]
            flags = {"nothing_recorded": 1} if spec.get("nothing_recorded") else {}
            response.redirect(action(spec, **flags), method="POST")
        elif "hangup" in verb:
            response.hangup()
    return response
