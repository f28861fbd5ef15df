"""Answers to actions are worded for SMS, where the reply is the interface ("CLOSE 1042 PHONE").
On a screen the buttons are: the same sentences, with the commands said as the page offers them."""

from __future__ import annotations

import re

SCREEN_WORDS = [
    (r"reply CLOSE \d+ PHONE", "tick “The caller confirmed by phone” and close it"),
    (r"CLOSE \d+ NOREPLY works", "Closing without their confirmation works"),
    (r"CLOSE \d+ NOREPLY", "close it with “The caller never answered”"),
    (r"(?:reply )?CLOSE \d+", "close it"),
    (r"\(RESOLVE \d+\)", "(Resolve)"),
    (r"(?:reply )?CALL \d+", "use “Call the caller through the line”"),
    (r": SUM \d+ <hours> <work>", " (by SMS or the summary form)"),
    (r"Reply TAKE \S+ to take it over", "Use “Take it over” to act on it"),
    (r"JOIN \d+", "“Start a joint call”"),
]
_COMPILED = [(re.compile(pattern), words) for pattern, words in SCREEN_WORDS]


def for_screen(message: str) -> str:
    for pattern, words in _COMPILED:
        message = pattern.sub(words, message)
    return message
