"""PII detection and masking, and the redaction of secrets (semantics §12.5, §12.6). Pure: no
Django, no app.

`pii_detect` finds e-mail addresses, phone numbers, payment card numbers (Luhn-checked), IBANs
(mod-97-checked) and IP addresses, and reports their kinds; `pii_mask` replaces each with a
placeholder naming the kind (`[email]`), so a masked text still reads. `secrets_redact` removes
secrets from a JSON-like value: the values of fields named like a secret, and any string that
looks like an API key, a signing secret, a webhook secret or a bearer token.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

PII_KINDS = ("email", "card_number", "iban", "phone", "ip_address")

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
)
# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# An international number (+ and 8-15 digits) or a grouped national one (3-4 groups).
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
    r"|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?![\w])"
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")

_SECRET_NAMES = re.compile(
    r"(^|_)(secret|password|passwd|token|signature|authorization|api_key|private_key|key)$",
    re.IGNORECASE,
)
_SECRET_VALUES = re.compile(
    r"\b(?:(?:dev|staging|live)_sk_[A-Za-z0-9_-]{16,}|whsec_[A-Za-z0-9+/=_-]{16,}"
    r"|sigsec_[A-Za-z0-9_-]{16,}|Bearer\s+\S{16,})"
)
REDACTED = "[redacted]"
# Field names that hold a secret only when a value is a string: `key_id` is not a secret.
_NOT_SECRETS = frozenset({"key_id", "api_key_id", "new_key_id", "idempotency_key", "keys"})


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _ip_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 8 <= len(digits) <= 15


def _matches(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of each PII found, earlier kinds first where they overlap."""
    taken: list[tuple[int, int]] = []
    checks = (
        ("email", _EMAIL, None),
        ("card_number", _CARD, lambda m: _luhn_ok(re.sub(r"\D", "", m))),
        ("iban", _IBAN, _iban_ok),
        ("ip_address", _IPV4, _ip_ok),
        ("ip_address", _IPV6, lambda m: len(m.replace(":", "")) >= 2 and _ip_ok(m)),
        ("phone", _PHONE, _phone_ok),
    )
    for kind, pattern, valid in checks:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            if valid is not None and not valid(match.group()):
                continue
            taken.append((start, end))
            yield start, end, kind


def pii_detect(text: str) -> list[str]:
    """The kinds of PII in `text`, in `PII_KINDS` order, each once."""
    found = {kind for _, _, kind in _matches(text or "")}
    return [kind for kind in PII_KINDS if kind in found]


def pii_mask(text: str) -> str:
    """`text` with each PII replaced by `[kind]`."""
    if not text:
        return text
    spans = sorted(_matches(text))
    out: list[str] = []
    position = 0
    for start, end, kind in spans:
        out.append(text[position:start])
        out.append(f"[{kind}]")
        position = end
    out.append(text[position:])
    return "".join(out)


def secret_field(name: str) -> bool:
    return name not in _NOT_SECRETS and bool(_SECRET_NAMES.search(name))


def secrets_redact(value: Any) -> Any:
    """`value` with secrets replaced by `[redacted]`: values of secret-named fields (`secret`,
    `signing_secret`, `password`, `key`, `token`…) and strings that look like a secret."""
    if isinstance(value, dict):
        return {
            k: REDACTED
            if isinstance(k, str) and secret_field(k) and value[k] not in (None, "", False)
            else secrets_redact(value[k])
            for k in value
        }
    if isinstance(value, list | tuple):
        return [secrets_redact(v) for v in value]
    if isinstance(value, str):
        return _SECRET_VALUES.sub(REDACTED, value)
    return value


def pii_mask_values(value: Any) -> Any:
    """Every string inside a JSON-like value with its PII masked."""
    if isinstance(value, dict):
        return {k: pii_mask_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [pii_mask_values(v) for v in value]
    if isinstance(value, str):
        return pii_mask(value)
    return value


def content_preview(text: str, length: int = 50) -> str:
    """The start of a text as a log may quote it: PII masked first (so no half of one shows),
    then cut to `length` characters, with "..." when cut."""
    masked = pii_mask(text or "")
    return masked if len(masked) <= length else masked[: length - 3].rstrip() + "..."
