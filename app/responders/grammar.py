"""Everything people text the line, read in one place.

- Responders' commands: short codes in the spirit of GoAlert (`12a` acknowledges the incident this
  responder knows as 12) and long forms (`ACK AH-1042`, `ACK 1042`, bare `ACK` for the latest
  page). A Twilio reserved keyword sent alone (STOP, START, HELP, ...) is never one of our commands.
- Callers' answers to "is it fixed?": WORKS or BROKEN, as people type them.
- The time spent in a work summary: `2.5`, `2h30`, `150m`, `1:30`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from app.incidents.verbs import LETTER, LETTERS, Verb
from app.models import REFERENCE_OFFSET

# Twilio answers these itself when sent alone (opt-out, opt-in, help); they are never ours.
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN = {"START", "YES", "UNSTOP"}
RESERVED = OPT_OUT | OPT_IN | {"HELP", "INFO"}


class Word(StrEnum):
    """What a text may ask that is not about one incident."""

    LIST = "list"
    COMMANDS = "commands"
    VERIFY = "verify"
    RESERVED = "reserved"  # STOP, START, HELP...: Twilio's own
    UNKNOWN = "unknown"


VERBS: dict[str, Verb | Word] = {
    "ack": Verb.ACK,
    "acknowledge": Verb.ACK,
    "acked": Verb.ACK,
    "ak": Verb.ACK,
    "resolve": Verb.RESOLVE,
    "resolved": Verb.RESOLVE,
    "res": Verb.RESOLVE,
    "fixed": Verb.RESOLVE,
    "fix": Verb.RESOLVE,
    "esc": Verb.ESCALATE,
    "escalate": Verb.ESCALATE,
    "details": Verb.INFO,
    "detail": Verb.INFO,
    "info": Verb.INFO,
    "show": Verb.INFO,
    "list": Word.LIST,
    "open": Word.LIST,
    "take": Verb.TAKE,
    "takeover": Verb.TAKE,
    "commands": Word.COMMANDS,
    "cmds": Word.COMMANDS,
    "cmd": Word.COMMANDS,
    "menu": Word.COMMANDS,
    "?": Word.COMMANDS,
    "verify": Word.VERIFY,
    "code": Word.VERIFY,
    "close": Verb.CLOSE,
    "closed": Verb.CLOSE,
    "call": Verb.CALL,
    "callback": Verb.CALL,
    "sum": Verb.SUMMARY,
    "summary": Verb.SUMMARY,
    "contacted": Verb.CONTACTED,
    "contact": Verb.CONTACTED,
    "reached": Verb.CONTACTED,
    "join": Verb.JOIN,
    "conference": Verb.JOIN,
}

_SHOWN = (
    (Verb.ACK, "ack"),
    (Verb.RESOLVE, "resolve (+note)"),
    (Verb.ESCALATE, "escalate"),
    (Verb.INFO, "details"),
    (Verb.TAKE, "take over"),
    (Verb.CLOSE, "close"),
)
COMMAND_LIST = (
    "Reply " + ", ".join(f"12{LETTER[verb]} {what}" for verb, what in _SHOWN) + " "
    "(12 = the code in the page). Or ACK/RESOLVE/ESC/DETAILS/TAKE/CLOSE/CALL with AH-1042; "
    "SUM 1042 2.5 what you did; LIST for open."
)


@dataclass(frozen=True)
class Command:
    verb: Verb | Word
    code: int | None = None  # the responder's short code for an incident
    reference: int | None = None  # an incident id, from AH-1042 / 1042
    note: str = ""


_SHORT = re.compile(r"^#?(\d{1,3})\s*([a-z])(?![a-z])[\s:.,;!-]*(.*)$", re.IGNORECASE | re.DOTALL)
_TARGET = re.compile(r"^(?:ah)?[\s#:.-]*(\d{1,9})(?!\d)[\s:.,;!-]*(.*)$", re.IGNORECASE | re.DOTALL)


# Quotes a phone adds when a code is copied from the page: '1a', "1a", ‘1a’.
_QUOTES = "'\"`‘’“”"


def parse(text: str) -> Command:
    body = " ".join((text or "").split())
    # Quotes around the code or command word (never inside a note): '1a' -> 1a.
    body = re.sub(rf"^[{_QUOTES}]+", "", body)
    body = re.sub(rf"^(\S+?)[{_QUOTES}]+(?=\s|$)", r"\1", body)
    bare = re.sub(r"[^a-z?]", "", body.lower())
    if body and " " not in body and bare.upper() in RESERVED:
        return Command(Word.RESERVED, note=bare.upper())
    if re.fullmatch(r"\d{6}", body):
        return Command(Word.VERIFY, note=body)
    short = _SHORT.match(body)
    if short and short[2].lower() in LETTERS:
        return Command(LETTERS[short[2].lower()], code=int(short[1]), note=short[3].strip())
    word_match = re.match(r"^([a-z]+|\?)[\s:.,;!#-]*(.*)$", body, re.IGNORECASE | re.DOTALL)
    if not word_match:
        return Command(Word.UNKNOWN, note=body)
    word, rest = word_match[1].lower(), word_match[2]
    if word == "take" and rest.lower().startswith("over"):
        rest = rest[4:].lstrip(" :.,;!-")
    # A bare letter is the verb too, as GoAlert takes it: `a`, `a #1042`, `r 1042 rebooted`.
    verb: Verb | Word | None = VERBS.get(word) or (LETTERS.get(word) if len(word) == 1 else None)
    if verb is None:
        return Command(Word.UNKNOWN, note=body)
    if verb == Word.VERIFY:
        return Command(Word.VERIFY, note=re.sub(r"\D", "", rest))
    if verb == Verb.CALL and rest.lower().startswith("back"):
        rest = rest[4:].lstrip(" :.,;!-")
    target = _TARGET.match(rest)
    if (
        verb == Verb.SUMMARY
        and target
        and int(target[1]) <= REFERENCE_OFFSET
        and not re.match(r"^(ah|#)", rest, re.IGNORECASE)
    ):
        # SUM 2.5 restarted it: no reference (the latest page), the time comes first.
        return Command(verb, note=rest.strip())
    if target:
        number = int(target[1])
        # References start at 1001; anything smaller is the responder's short code.
        if number > REFERENCE_OFFSET:
            return Command(verb, reference=number - REFERENCE_OFFSET, note=target[2].strip())
        return Command(verb, code=number, note=target[2].strip())
    return Command(verb, note=rest.strip())


# As callers write them, in English and Spanish: "WORKS", "it works now thanks!", "yes it's
# fixed", "FUNCIONA", "ya funciona, gracias"; "still broken", "no, still down", "it doesn't
# work", "SIGUE ROTO", "no funciona", "sigue sin funcionar". A "not"/"n't"/"no" before the word
# turns works into broken.
_BROKEN = re.compile(
    r"^\W*(2|no|nope)\W*$|\b(broken|still down|down|not (?:fixed|working|work)|"
    r"(?:doesn|isn|didn|won)'?t (?:work|working|fixed)|"
    r"sigue (?:rot[oa]|ca[ií]d[oa]|fallando|sin funcionar)|no funciona|rot[oa]|ca[ií]d[oa]|"
    r"todav[ií]a no)\b",
    re.I,
)
_WORKS = re.compile(
    r"^\W*(1|ok|okay|yes|good|s[ií])\W*$|\b(works?|working|fixed|resolved|all good|"
    r"funciona|arreglad[oa]|resuelt[oa])\b",
    re.I,
)


def caller_answer(body: str) -> str | None:
    """ "works", "broken" or None for a caller's reply to "is it fixed?"."""
    if _BROKEN.search(body):
        return "broken"
    if _WORKS.search(body):
        return "works"
    return None


class TimeSpentError(ValueError):
    """A work summary's time that cannot be read, with a message for the person who sent it."""


_HOURS = [
    (re.compile(r"^(\d+(?:[.,]\d+)?)\s*(?:h|hr|hrs|hour|hours)?$"), lambda m: float(m[1]) * 60),
    (re.compile(r"^(\d+)\s*h\s*([0-5]?\d)\s*m?$"), lambda m: int(m[1]) * 60 + int(m[2])),
    (re.compile(r"^(\d+)\s*(?:m|min|mins|minutes?)$"), lambda m: int(m[1])),
    (re.compile(r"^(\d+):(\d{2})$"), lambda m: int(m[1]) * 60 + int(m[2])),
]
MAX_MINUTES = 7 * 24 * 60


def parse_minutes(text: str) -> int:
    """`2.5`, `2.5h`, `2h30`, `150m`, `90 min`, `1:30` -> minutes."""
    cleaned = text.strip().lower().replace(",", ".")
    for pattern, minutes in _HOURS:
        match = pattern.match(cleaned)
        if match:
            value = round(minutes(match))
            if not 0 < value <= MAX_MINUTES:
                raise TimeSpentError(f"{text!r} is not a believable time spent")
            return value
    raise TimeSpentError(f"{text!r} is not a time like 2.5, 2h30 or 150m")


def split_time_and_work(text: str) -> tuple[int, str]:
    """`2h30 restarted the database` -> (150, 'restarted the database'); also `2 hours ...`."""
    words = text.split()
    for taken in (2, 1):
        if len(words) > taken:
            try:
                return parse_minutes(" ".join(words[:taken])), " ".join(words[taken:])
            except TimeSpentError:
                continue
    raise TimeSpentError(
        "Start with the time spent, then the work: SUM 1042 2.5 restarted the database"
    )
