"""SMS text that fits: GSM-7 only (so one segment holds 160 characters), transliterated."""

from __future__ import annotations

from unidecode import unidecode

SEGMENT = 160
_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = set("^{}\\[~]|€")


def gsm_length(text: str) -> int:
    """Septets used: extension characters take two."""
    return sum(2 if ch in _EXTENDED else 1 for ch in text)


def to_gsm(text: str) -> str:
    """Replace what GSM-7 cannot carry, so a stray emoji never turns a page into UCS-2."""
    out = []
    for ch in text:
        if ch in _BASIC or ch in _EXTENDED:
            out.append(ch)
        else:
            out.extend(c for c in unidecode(ch) if c in _BASIC or c in _EXTENDED)
    return "".join(out)


def fit(text: str, limit: int = SEGMENT) -> str:
    """GSM text cut to `limit` septets, with an ellipsis-like `..` when cut."""
    text = to_gsm(text)
    if gsm_length(text) <= limit:
        return text
    while gsm_length(text) > limit - 2:
        text = text[:-1]
    return text.rstrip() + ".."
