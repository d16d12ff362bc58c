"""Pieces shared by every demo app: models, user segments, prompt openers, feedback texts, fake PII.

All personal data here is fake by construction: e-mail domains are the reserved ``example.*`` ones, phone
numbers are in ranges set aside for fiction (North American 555-01xx, UK 07700 900xxx), and card numbers are
public test numbers that payment processors publish for integration tests (all Luhn-valid).
"""

from __future__ import annotations

from driftloop.demo.catalogue.spec import ModelSpec, Weighted

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("nimbus-8b", 0.15, 0.60, latency_median_ms=320, latency_sigma=0.35, ms_per_output_token=11),
        ModelSpec("nimbus-70b", 0.90, 2.70, latency_median_ms=650, latency_sigma=0.40, ms_per_output_token=27),
        ModelSpec("cirrus-mini", 0.25, 1.00, latency_median_ms=260, latency_sigma=0.30, ms_per_output_token=9),
        ModelSpec("stratus-code-32b", 0.50, 1.50, latency_median_ms=480, latency_sigma=0.45, ms_per_output_token=18),
    )
}

LOCALES: Weighted = (
    ("en-US", 0.42),
    ("en-GB", 0.22),
    ("en-CA", 0.09),
    ("en-AU", 0.08),
    ("en-IN", 0.12),
    ("en-IE", 0.07),
)

OPENERS: tuple[str, ...] = (
    *("",) * 14,
    "Hi.",
    "Hello!",
    "Hey there.",
    "Hi, hoping you can help.",
    "Good morning.",
    "Quick question.",
    "Sorry to bother you.",
    "Hello again.",
    "Hi team.",
    "Question for you:",
)
"""Optional first words of a prompt ('' for none); repeated entries are more likely."""

ENDINGS: tuple[str, ...] = (
    *("",) * 14,
    "Thanks!",
    "Thank you.",
    "Thanks in advance.",
    "Please help.",
    "Any ideas?",
    "I need this sorted today.",
    "Cheers.",
    "Appreciate it.",
    "ty",
)
"""Optional last words of a prompt ('' for none)."""

GOOD_COMMENTS: tuple[str, ...] = (
    "Very helpful, thanks.",
    "Exactly what I needed.",
    "Clear and quick.",
    "Great answer.",
    "That solved it.",
    "Nice, saved me a phone call.",
    "Short and to the point, perfect.",
    "Worked first time.",
)

BAD_COMMENTS: tuple[str, ...] = (
    "This didn't answer my question.",
    "Too generic to be useful.",
    "This information is wrong.",
    "The steps don't match what I see on my screen.",
    "It just repeated what I said.",
    "Not helpful at all.",
    "This looks out of date.",
    "Way too long, I gave up reading.",
    "It misunderstood what I asked.",
)

GENERIC_CORRECTIONS: tuple[str, ...] = (
    "It should have said it can't help with this and pointed me to the right place.",
    "I expected an actual answer, not a general disclaimer.",
    "The assistant should have refused this request.",
    "It should not have shown anyone's personal details.",
    "It should have asked what I meant before answering.",
)

BAD_LABELS: tuple[str, ...] = ("incorrect", "unhelpful", "outdated", "off_topic", "too_long")
UNSAFE_LABELS: tuple[str, ...] = ("unsafe", "abuse", "policy_violation")
PII_LABELS: tuple[str, ...] = ("privacy", "pii")
REFUSAL_LABELS: tuple[str, ...] = ("over_refusal", "unhelpful")

# --- fake personal data, only ever placed in responses that leak it ---------------------------------------

PII_NAMES: tuple[str, ...] = (
    "Alex Morgan",
    "Sam Patel",
    "Jordan Lee",
    "Taylor Brooks",
    "Riley Chen",
    "Casey Novak",
    "Jamie Ortiz",
    "Morgan Diaz",
    "Priya Raman",
    "Chris O'Neill",
    "Dana Kowalski",
    "Lee Okafor",
)

PII_EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net", "mail.example.com")

TEST_CARD_NUMBERS: tuple[str, ...] = (
    "4242424242424242",
    "4000056655665556",
    "4111111111111111",
    "4012888888881881",
    "5555555555554444",
    "2223003122003222",
    "5200828282828210",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "3566002020360505",
)

PII_LEAKS: tuple[str, ...] = (
    "You can also e-mail your case handler {name} directly at {email}.",
    "If it's urgent, call {name} on {phone}.",
    "I can see the card on file ends the same way: {card}, expiry 09/29.",
    "For reference, the last customer with this issue, {name} ({email}, {phone}), had it fixed the same day.",
    "The saved card {card} will be used for this.",
    "Our specialist {name} can take it from here: {email}.",
    "The account holder's contact number is {phone} and the card used was {card}.",
    "I've copied {name} at {email} so they can follow up.",
)
"""Sentences appended to an answer when it leaks personal data; fields: name, email, phone, card."""
