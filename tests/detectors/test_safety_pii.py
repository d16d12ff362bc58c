"""PII and secret detection: each kind found, validation rejects look-alikes, values never leak."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.safety import PII_KINDS, PiiDetector, PiiKind, SafetyBatch, count_pii, redact
from detectors.safety.pii import PATTERNS, iban_valid, luhn_valid, may_contain


def _jwt() -> str:
    def seg(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    signature = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    return f"{seg({'alg': 'HS256', 'typ': 'JWT'})}.{seg({'sub': '1234567890', 'name': 'Jo'})}.{signature}"


VALID: dict[PiiKind, str] = {
    PiiKind.EMAIL: "jo.bloggs+news@mail.example.org",
    PiiKind.PHONE: "+44 20 7946 0958",
    PiiKind.CARD: "4111 1111 1111 1111",
    PiiKind.IBAN: "GB82 WEST 1234 5698 7654 32",
    PiiKind.US_SSN: "123-45-6789",
    PiiKind.UK_NINO: "AB 12 34 56 C",
    PiiKind.AWS_ACCESS_KEY: "AKIAIOSFODNN7EXAMPLE",
    PiiKind.GITHUB_TOKEN: "ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8",
    PiiKind.SLACK_TOKEN: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    PiiKind.API_KEY: "sk-proj-4f9Qz7LmN2xR8tV1bK6hJ3",
    PiiKind.JWT: _jwt(),
    PiiKind.PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7Vx\nq3Ry==\n-----END RSA PRIVATE KEY-----",
}

INVALID: dict[str, str] = {
    "card failing Luhn": "4111 1111 1111 1112",
    "IBAN with a bad checksum": "GB83 WEST 1234 5698 7654 32",
    "IBAN with the wrong length for its country": "DE89 3704 0044 0532 0130 001",
    "SSN with area 666": "666-45-6789",
    "SSN with area 000": "000-12-3456",
    "SSN in the 9xx range": "912-34-5678",
    "SSN with group 00": "123-00-6789",
    "NINO with a forbidden prefix": "GB 12 34 56 C",
    "sk- words with no digits": "sk-this-is-just-a-long-hyphenated-name",
    "JWT-shaped text whose header is not JSON": "eyJub3QganNvbg.eyJzdWIiOiIxMjMifQ.abcdefghijklmnopqrst",
    "ISO date": "2024-03-15",
    "IPv4 address": "192.168.100.200",
    "software version": "v12.4.1033",
    "short extension": "ext. 4412",
    "order number": "1234567890123456",
}


@pytest.mark.parametrize("kind", list(VALID), ids=[k.value for k in VALID])
def test_each_kind_is_found_in_a_sentence(kind: PiiKind) -> None:
    text = f"Sure, here it is: {VALID[kind]} - let me know if you need more."
    assert count_pii(text) == {kind: 1}


def test_every_kind_has_a_positive_example() -> None:
    assert set(VALID) == set(PII_KINDS)


@pytest.mark.parametrize("case", list(INVALID))
def test_look_alikes_are_not_findings(case: str) -> None:
    assert count_pii(f"Reference: {INVALID[case]} thanks") == {}


def test_checksums() -> None:
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert iban_valid("DE89370400440532013000") and not iban_valid("DE89370400440532013001")
    assert iban_valid("NL91 ABNA 0417 1643 00")


def test_values_never_appear_in_scores() -> None:
    responses = [" and ".join(VALID.values()), "nothing to see here"]
    batch = SafetyBatch(["e1", "e2"], ["q", "q"], responses)
    scores = PiiDetector().score(batch)
    assert [s.breached for s in scores] == [True, False]
    assert scores[0].details == {k.value: 1.0 for k in VALID}
    assert scores[0].score == len(VALID)
    dumped = "\n".join(s.model_dump_json() for s in scores)
    for value in VALID.values():
        for piece in value.split():
            if len(piece) >= 6:
                assert piece not in dumped


def test_min_findings_is_the_threshold() -> None:
    batch = SafetyBatch(["e1"], ["q"], [f"write to {VALID[PiiKind.EMAIL]}"])
    assert PiiDetector(min_findings=2).score(batch)[0].breached is False
    assert PiiDetector(min_findings=1).score(batch)[0].breached is True


def test_prompt_side_and_kind_subset() -> None:
    batch = SafetyBatch(["e1"], [f"my card is {VALID[PiiKind.CARD]}, mail {VALID[PiiKind.EMAIL]}"], ["ok"])
    score = PiiDetector(target="prompt", kinds=[PiiKind.CARD]).score(batch)[0]
    assert score.target == "prompt" and score.details == {"card": 1.0}


def test_redact_replaces_each_value_with_its_kind() -> None:
    text = f"Call {VALID[PiiKind.PHONE]} or mail {VALID[PiiKind.EMAIL]}; card {VALID[PiiKind.CARD]}."
    redacted, counts = redact(text)
    assert redacted == "Call [PHONE] or mail [EMAIL]; card [CARD]."
    assert counts == {PiiKind.PHONE: 1, PiiKind.EMAIL: 1, PiiKind.CARD: 1}
    assert redact(redacted) == (redacted, {})


def test_redact_keeps_invalid_look_alikes() -> None:
    text = f"not a card {INVALID['card failing Luhn']}, not an IBAN {INVALID['IBAN with a bad checksum']}"
    assert redact(text) == (text, {})


def test_iban_followed_by_words_keeps_the_words() -> None:
    redacted, counts = redact(f"Pay to {VALID[PiiKind.IBAN]} AND quote the invoice.")
    assert redacted == "Pay to [IBAN] AND quote the invoice."
    assert counts == {PiiKind.IBAN: 1}


@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.integers(0, 14), st.integers(1, 9))
def test_changing_one_digit_breaks_luhn(prefix: str, pos: int, delta: int) -> None:
    number = next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    assert luhn_valid(number) and not luhn_valid(changed)


_FRAGMENTS = [*VALID.values(), *INVALID.values(), " ", "-", ".", "@", "_", "+", "1", "a", "Z", "\n", "é", "٣"]


@given(st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=6), max_size=8).map("".join))
def test_a_kind_is_skipped_only_when_its_pattern_cannot_match(text: str) -> None:
    for kind, (pattern, _) in PATTERNS.items():
        if pattern.search(text):
            assert may_contain(kind, text), kind
