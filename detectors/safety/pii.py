"""Personal data and secrets in text: patterns plus validation (Luhn, mod-97, SSN rules, JWT header).

No ML and no third-party recogniser: every kind here has a published format with a check that removes
most look-alikes, and a regex pass costs microseconds per response. Findings are only ever reported
as counts per kind; :func:`redact` replaces each value with its kind, e.g. ``[EMAIL]``.

Kinds are matched in the order of :data:`PII_KINDS`, and each match is replaced before the next kind
runs, so a card number is never also counted as a phone number.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from detectors.safety.base import SafetyBatch, SafetyDetector
from schemas.safety import DEFAULT_SAFETY_THRESHOLDS, SafetyScore, SafetyTarget


class PiiKind(StrEnum):
    PRIVATE_KEY = "private_key"
    JWT = "jwt"
    AWS_ACCESS_KEY = "aws_access_key"
    GITHUB_TOKEN = "github_token"
    SLACK_TOKEN = "slack_token"
    API_KEY = "api_key"
    """Generic ``sk-...`` secret keys (several LLM providers and payment APIs use this prefix)."""
    IBAN = "iban"
    CARD = "card"
    US_SSN = "us_ssn"
    UK_NINO = "uk_nino"
    EMAIL = "email"
    PHONE = "phone"


# ---------------------------------------------------------------------------------------------- checks


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers.

    Examples
    --------
    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|64[4-9]|65|62)")


def card_valid(digits: str) -> bool:
    """A payment card number: 13-19 digits, a known issuer prefix and a valid Luhn checksum."""
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn_valid(digits)


IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip
"""IBAN length per country (ISO 13616 registry)."""


def iban_valid(iban: str) -> bool:
    """Country length and the ISO 7064 mod-97 checksum.

    Examples
    --------
    >>> iban_valid("GB82WEST12345698765432"), iban_valid("GB82WEST12345698765433")
    (True, False)
    """
    iban = iban.replace(" ", "").upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """US SSN issuance rules: area not 000, 666 or 9xx; group not 00; serial not 0000.

    Examples
    --------
    >>> ssn_valid("123", "45", "6789"), ssn_valid("666", "45", "6789")
    (True, False)
    """
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _jwt_valid(token: str) -> bool:
    """A JWT: the first segment decodes to a JSON object that names an ``alg``."""
    head = token.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _mixed(token: str) -> bool:
    """Random-looking: both letters and digits (screens out ``sk-some-hyphenated-words``)."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def _phone_valid(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    if text.startswith("+"):
        return 8 <= digits <= 15
    return digits == 10  # North American shape, enforced by the pattern


# -------------------------------------------------------------------------------------------- patterns

_Validator = Callable[[re.Match[str]], bool]

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)

PATTERNS: dict[PiiKind, tuple[re.Pattern[str], _Validator | None]] = {
    PiiKind.PRIVATE_KEY: (
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:-]*)"
        ),
        None,
    ),
    PiiKind.JWT: (
        re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![\w-])"),
        lambda m: _jwt_valid(m.group(0)),
    ),
    PiiKind.AWS_ACCESS_KEY: (re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])"), None),
    PiiKind.GITHUB_TOKEN: (
        re.compile(r"(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?!\w)"),
        None,
    ),
    PiiKind.SLACK_TOKEN: (
        re.compile(
            r"(?<![\w-])xox[abposre]-(?:[0-9]+-){1,3}[A-Za-z0-9-]{8,}"
            r"|https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,}"
        ),
        None,
    ),
    PiiKind.API_KEY: (
        re.compile(r"(?<![\w-])sk-(?:proj-|ant-(?:api|admin)\d\d-|live_|test_)?[A-Za-z0-9_-]{20,}(?![\w-])"),
        lambda m: _mixed(m.group(0)[3:]),
    ),
    PiiKind.IBAN: (
        re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"),
        lambda m: iban_valid(m.group(0)),
    ),
    PiiKind.CARD: (
        re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"),
        lambda m: card_valid(re.sub(r"\D", "", m.group(0))),
    ),
    PiiKind.US_SSN: (
        re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])"),
        lambda m: ssn_valid(m.group(1), m.group(2), m.group(3)),
    ),
    PiiKind.UK_NINO: (
        re.compile(
            r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
            r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"
        ),
        None,
    ),
    PiiKind.EMAIL: (_EMAIL, lambda m: ".." not in m.group(0)),
    PiiKind.PHONE: (
        re.compile(
            r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
            r"|(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4})(?![\w])"
        ),
        lambda m: _phone_valid(m.group(0)),
    ),
}
"""Each kind's pattern and, where the format has one, its validity check."""

PII_KINDS: tuple[PiiKind, ...] = tuple(PATTERNS)

REQUIRED_TEXT: dict[PiiKind, tuple[str, ...]] = {
    PiiKind.PRIVATE_KEY: ("PRIVATE KEY",),
    PiiKind.JWT: ("eyJ",),
    PiiKind.AWS_ACCESS_KEY: ("AKIA", "ASIA", "ABIA", "ACCA"),
    PiiKind.GITHUB_TOKEN: ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    PiiKind.SLACK_TOKEN: ("xox", "hooks.slack.com"),
    PiiKind.API_KEY: ("sk-",),
    PiiKind.EMAIL: ("@",),
}
"""Text that every match of a kind contains; matches of the kinds not listed contain a digit."""

_DIGIT = re.compile(r"\d")


def may_contain(kind: PiiKind, text: str) -> bool:
    """False when ``text`` cannot hold a match of ``kind``: a substring test instead of the pattern.

    Most responses hold no PII, and most patterns are skipped for them: 36 -> 14 µs per response
    of the demo traffic, a third of which holds digits.
    """
    required = REQUIRED_TEXT.get(kind)
    if required is None:
        return _DIGIT.search(text) is not None
    return any(part in text for part in required)


def redact(text: str, kinds: Iterable[PiiKind] = PII_KINDS) -> tuple[str, dict[PiiKind, int]]:
    """Replace every valid finding with ``[KIND]``; return the new text and the count per kind found.

    Examples
    --------
    >>> text, counts = redact("mail jo@example.org, card 4111 1111 1111 1111, not 4111 1111 1111 1112")
    >>> text
    'mail [EMAIL], card [CARD], not 4111 1111 1111 1112'
    >>> {k.value: v for k, v in counts.items()}
    {'card': 1, 'email': 1}
    """
    counts: dict[PiiKind, int] = {}
    for kind in kinds:
        if not may_contain(kind, text):
            continue
        pattern, validator = PATTERNS[kind]
        found = 0

        def replace(m: re.Match[str], kind: PiiKind = kind, validator: _Validator | None = validator) -> str:
            nonlocal found
            if validator is not None and not validator(m):
                return m.group(0)
            found += 1
            return f"[{kind.name}]"

        text = pattern.sub(replace, text)
        if found:
            counts[kind] = found
    return text, counts


def count_pii(text: str, kinds: Iterable[PiiKind] = PII_KINDS) -> dict[PiiKind, int]:
    """How many findings of each kind ``text`` holds (kinds with none are left out)."""
    return redact(text, kinds)[1]


class PiiDetector(SafetyDetector):
    """Personal data or secrets leaking into responses (or prompts), reported as counts per kind.

    Parameters
    ----------
    target
        Which text to scan.
    min_findings
        Breach when at least this many findings are in one text.
    kinds
        The kinds to look for; default all of :data:`PII_KINDS`.

    Examples
    --------
    >>> b = SafetyBatch(["e1"], ["hi"], ["reach me at +44 20 7946 0958 or jo@example.org"])
    >>> s = PiiDetector().score(b)[0]
    >>> s.breached, s.score, s.details["email"], s.details["phone"]
    (True, 2.0, 1.0, 1.0)
    """

    name = "pii"
    version = "1.0.0"
    needs_embeddings = False

    def __init__(
        self,
        *,
        target: SafetyTarget = SafetyTarget.RESPONSE,
        min_findings: int = DEFAULT_SAFETY_THRESHOLDS.pii_min_findings,
        kinds: Sequence[PiiKind] = PII_KINDS,
    ) -> None:
        target = SafetyTarget(target)
        if target is SafetyTarget.PAIR:
            raise ValueError("PiiDetector scans one text: target must be prompt or response")
        if min_findings < 1:
            raise ValueError(f"min_findings must be >= 1, got {min_findings}")
        self.target = target
        self.min_findings = min_findings
        self.kinds = tuple(kinds)

    def score(self, batch: SafetyBatch) -> list[SafetyScore]:
        counts = [count_pii(t or "", self.kinds) for t in batch.texts(self.target)]
        totals = [float(sum(c.values())) for c in counts]
        details = [{k.value: float(v) for k, v in c.items()} for c in counts]
        explanations = ["found " + ", ".join(f"{v} {k.value}" for k, v in c.items()) if c else "" for c in counts]
        return self._scores(batch, self.target, totals, self.min_findings, details, explanations)
