"""Turning catalogue templates into text: compiled templates, slot filling, fake PII.

>>> import random
>>> slots = {"card": ("debit card",), "when": ("today",)}
>>> t = compile_templates(("I lost my {card} {when}.",), slots)[0]
>>> t.fields
('card', 'when')
>>> render(t, fill(random.Random(0), slots, t))
'I lost my debit card today.'
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from string import Formatter
from typing import NamedTuple

from detectors.safety.pii import PiiKind
from driftloop.demo.catalogue.spec import LEAK_FIELDS, LEAKED_KINDS, FakePii, Slots, Topic, template_fields
from driftloop.demo.sampling import pick


class Template(NamedTuple):
    text: str
    fields: tuple[str, ...]


def compile_templates(texts: tuple[str, ...], slots: Mapping[str, tuple[str, ...]]) -> tuple[Template, ...]:
    """Parse each template once; a field without slot values is a catalogue error."""
    compiled = []
    for text in texts:
        fields = template_fields(text)
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


def _email(rng: random.Random, name: str, domains: Sequence[str]) -> str:
    first, _, last = name.lower().replace("'", "").partition(" ")
    style = rng.randrange(3)
    local = (
        f"{first}.{last}" if style == 0 else f"{first[0]}{last}" if style == 1 else f"{first}{rng.randrange(10, 99)}"
    )
    return f"{local}@{rng.choice(domains)}"


def _phone(rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        return f"+1 ({rng.choice(('202', '312', '415', '617', '718'))}) 555-01{rng.randrange(100):02d}"
    if style == 1:
        return f"555-01{rng.randrange(100):02d}"
    return f"+44 7700 900{rng.randrange(1000):03d}"


def _card(rng: random.Random, numbers: Sequence[str]) -> str:
    number = rng.choice(numbers)
    style = rng.randrange(3)
    if style == 0:
        return number
    sep = " " if style == 1 else "-"
    if len(number) == 15:
        return sep.join((number[:4], number[4:10], number[10:]))
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


class PiiLeaks:
    """Sentences leaking fake personal data: names and cards from the catalogue, e-mails and phones made up."""

    def __init__(self, pii: FakePii) -> None:
        self.pii = pii
        self.templates = compile_templates(pii.leaks, {name: ("x",) for name in LEAK_FIELDS})

    def __call__(self, rng: random.Random) -> tuple[str, tuple[PiiKind, ...]]:
        """A sentence leaking fake personal data, and the kinds it leaks."""
        template = pick(rng, self.templates)
        name = pick(rng, self.pii.names)
        values = {"name": name}
        for field in template.fields:
            if field == "email":
                values[field] = _email(rng, name, self.pii.email_domains)
            elif field == "phone":
                values[field] = _phone(rng)
            elif field == "card":
                values[field] = _card(rng, self.pii.test_card_numbers)
        kinds = tuple(LEAKED_KINDS[f] for f in template.fields if f in LEAKED_KINDS)
        return render(template, values), kinds
