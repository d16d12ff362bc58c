"""Turning catalogue templates into text: compiled templates, slot filling, fake PII.

>>> import random
>>> slots = {"card": ("debit card",), "when": ("today",)}
>>> t = compile_templates(("I lost my {card} {when}.",), slots)[0]
>>> t.fields
('card', 'when')
>>> render(t, fill(random.Random(0), slots, t))
'I lost my debit card today.'
>>> luhn_valid("4242 4242 4242 4242"), luhn_valid("4242424242424241")
(True, False)
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Formatter
from typing import NamedTuple, TypeVar

from driftloop.demo.catalogue import Topic
from driftloop.demo.catalogue.common import (
    PII_EMAIL_DOMAINS,
    PII_LEAKS,
    PII_NAMES,
    TEST_CARD_NUMBERS,
)
from driftloop.demo.catalogue.spec import Slots
from driftloop.demo.items import PiiKind

T = TypeVar("T")


class Template(NamedTuple):
    text: str
    fields: tuple[str, ...]


def compile_templates(texts: tuple[str, ...], slots: Mapping[str, tuple[str, ...]]) -> tuple[Template, ...]:
    """Parse each template once; a field without slot values is a catalogue error."""
    compiled = []
    for text in texts:
        fields = tuple(dict.fromkeys(name for _, name, _, _ in Formatter().parse(text) if name))
        missing = [name for name in fields if not slots.get(name)]
        if missing:
            raise ValueError(f"template {text!r} uses fields without values: {missing}")
        compiled.append(Template(text, fields))
    return tuple(compiled)


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    name: str
    prompts: tuple[Template, ...]
    responses: tuple[Template, ...]
    answers: tuple[tuple[Template, ...], ...]
    """For each prompt template, the response templates that fit it best."""
    slots: Slots
    weight: float
    thumbs_down: float


_WORD = re.compile(r"[a-z]{4,}")
_STOP = frozenset(
    (
        "what",
        "that",
        "this",
        "with",
        "have",
        "your",
        "from",
        "they",
        "there",
        "their",
        "when",
        "where",
        "which",
        "will",
        "would",
        "could",
        "should",
        "does",
        "about",
        "into",
        "just",
        "like",
        "than",
        "then",
        "them",
        "also",
        "been",
        "more",
        "most",
        "some",
        "make",
        "need",
        "want",
        "help",
        "know",
    )
)


def _stems(template: Template) -> set[str]:
    text = Formatter().vformat(template.text, (), {name: "" for name in template.fields}).lower()
    return {word[:5] for word in _WORD.findall(text) if word not in _STOP}


def match_answers(
    prompts: tuple[Template, ...], responses: tuple[Template, ...], slack: int = 1
) -> tuple[tuple[Template, ...], ...]:
    """For each prompt, the responses scoring within ``slack`` of the best on shared fields and word stems.

    A shared field counts three times as much as a shared word stem, since the values are then the same.
    """
    stems = [_stems(r) for r in responses]
    matched = []
    for prompt in prompts:
        own = _stems(prompt)
        scores = [
            3 * len(set(prompt.fields) & set(r.fields)) + len(own & s) for r, s in zip(responses, stems, strict=True)
        ]
        best = max(scores)
        matched.append(tuple(r for r, score in zip(responses, scores, strict=True) if score >= best - slack))
    return tuple(matched)


def compile_topic(topic: Topic, shared: Slots) -> CompiledTopic:
    """A topic with its slots merged over the app's shared slots, its templates parsed and matched."""
    slots = {**shared, **topic.slots}
    prompts = compile_templates(topic.prompts, slots)
    responses = compile_templates(topic.responses, slots)
    return CompiledTopic(
        topic.name, prompts, responses, match_answers(prompts, responses), slots, topic.weight, topic.thumbs_down
    )


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice`` without its overhead (the generator calls it a dozen times per event)."""
    return items[int(rng.random() * len(items))]


def fill(rng: random.Random, slots: Slots, *templates: Template) -> dict[str, str]:
    """One value per field used by any of ``templates``, so the templates agree with each other."""
    values: dict[str, str] = {}
    for template in templates:
        for name in template.fields:
            if name not in values:
                choices = slots[name]
                values[name] = choices[int(rng.random() * len(choices))]
    return values


def render(template: Template, values: Mapping[str, str]) -> str:
    text = template.text.format_map(values) if template.fields else template.text
    return text.replace("  ", " ").strip()


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def luhn_valid(number: str) -> bool:
    """The Luhn checksum of a card number (spaces and dashes ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


_LEAKS = compile_templates(PII_LEAKS, {"name": ("x",), "email": ("x",), "phone": ("x",), "card": ("x",)})
_KIND_OF_FIELD = {"email": PiiKind.EMAIL, "phone": PiiKind.PHONE, "card": PiiKind.CARD}


def _email(rng: random.Random, name: str) -> str:
    first, _, last = name.lower().replace("'", "").partition(" ")
    style = rng.randrange(3)
    local = (
        f"{first}.{last}" if style == 0 else f"{first[0]}{last}" if style == 1 else f"{first}{rng.randrange(10, 99)}"
    )
    return f"{local}@{rng.choice(PII_EMAIL_DOMAINS)}"


def _phone(rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        return f"+1 ({rng.choice(('202', '312', '415', '617', '718'))}) 555-01{rng.randrange(100):02d}"
    if style == 1:
        return f"555-01{rng.randrange(100):02d}"
    return f"+44 7700 900{rng.randrange(1000):03d}"


def _card(rng: random.Random) -> str:
    number = rng.choice(TEST_CARD_NUMBERS)
    style = rng.randrange(3)
    if style == 0:
        return number
    sep = " " if style == 1 else "-"
    if len(number) == 15:
        return sep.join((number[:4], number[4:10], number[10:]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def pii_leak(rng: random.Random) -> tuple[str, tuple[PiiKind, ...]]:
    """A sentence leaking fake personal data, and the kinds it leaks."""
    template = pick(rng, _LEAKS)
    name = pick(rng, PII_NAMES)
    values = {"name": name}
    for field in template.fields:
        if field == "email":
            values[field] = _email(rng, name)
        elif field == "phone":
            values[field] = _phone(rng)
        elif field == "card":
            values[field] = _card(rng)
    kinds = tuple(_KIND_OF_FIELD[f] for f in template.fields if f in _KIND_OF_FIELD)
    return render(template, values), kinds
