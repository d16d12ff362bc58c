"""The demo catalogue's data files: each loads into the spec dataclasses and holds what the generator relies on."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from detectors.safety.pii import card_valid
from driftloop.demo.catalogue import CatalogueError, catalogue
from driftloop.demo.catalogue.load import (
    APP_FILES,
    COMMON_FILE,
    UNSAFE_FILE,
    load_app,
    load_catalogue,
    load_common,
    load_unsafe,
)
from driftloop.demo.catalogue.spec import LEAK_FIELDS, AppSpec, CommonSpec, UnsafeSpec, template_fields
from driftloop.demo.items import UnsafeKind
from driftloop.demo.text import compile_topic

DATA = files("driftloop.demo.catalogue")
DATA_FILES = sorted(entry.name for entry in DATA.iterdir() if entry.name.endswith(".toml"))


def _strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in parsed TOML, with its key path."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, f"{key}.{name}" if key else name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{key}[{i}]")


def test_every_data_file_is_part_of_the_catalogue() -> None:
    assert sorted((COMMON_FILE, UNSAFE_FILE, *APP_FILES)) == DATA_FILES


@pytest.mark.parametrize("name", DATA_FILES)
def test_each_file_loads_into_its_spec(name: str) -> None:
    models = load_common(DATA / COMMON_FILE).models
    loaded = {COMMON_FILE: load_common, UNSAFE_FILE: load_unsafe}.get(name, lambda path: load_app(path, models))(
        DATA / name
    )
    assert isinstance(loaded, {COMMON_FILE: CommonSpec, UNSAFE_FILE: UnsafeSpec}.get(name, AppSpec))


@pytest.mark.parametrize("name", DATA_FILES)
def test_no_empty_text_except_slot_values(name: str) -> None:
    data = tomllib.loads((DATA / name).read_text(encoding="utf-8"))
    empty = [key for key, text in _strings(data) if not text.strip() and not (text == "" and ".slots." in f".{key}")]
    assert not empty, f"{name}: empty text at {empty}"


def test_every_template_field_has_slot_values() -> None:
    def check(where: str, texts: tuple[str, ...], fields: object) -> None:
        for text in texts:
            assert set(template_fields(text)) <= set(fields), (where, text)

    for app in catalogue().apps:
        for topic in (*app.topics, *app.new_topics):
            slots = {**app.slots, **topic.slots}
            assert all(any(values) for values in slots.values()), (app.name, topic.name)
            check(f"{app.name}/{topic.name}", (*topic.prompts, *topic.responses), slots)
    unsafe = catalogue().unsafe
    for kind in UnsafeKind:
        check(f"unsafe/{kind}", unsafe.prompts[kind], unsafe.slots)
    check("pii leaks", catalogue().common.pii.leaks, LEAK_FIELDS)


def test_apps_hold_what_the_generator_draws_from() -> None:
    models = catalogue().common.models
    for app in catalogue().apps:
        assert app.topics and app.new_topics and app.refusals and app.out_of_scope and app.closers, app.name
        assert {d.model for d in app.deployments} <= set(models), app.name
        names = [t.name for t in (*app.topics, *app.new_topics)]
        assert len(names) == len(set(names)), app.name
        weights = [app.weight, *(w for _, w in (*app.tiers, *app.channels)), *(d.weight for d in app.deployments)]
        assert all(w > 0 for w in weights), app.name
        for topic in (*app.topics, *app.new_topics):
            compiled = compile_topic(topic, app.slots)
            assert len(compiled.answers) == len(compiled.prompts) and all(compiled.answers), (app.name, topic.name)
            assert topic.weight > 0 and 0 <= topic.thumbs_down <= 1, (app.name, topic.name)


def test_personal_data_is_fake() -> None:
    pii = catalogue().common.pii
    reserved = ("example.com", "example.org", "example.net")
    assert all(domain in reserved or domain.endswith(tuple(f".{r}" for r in reserved)) for domain in pii.email_domains)
    assert all(card_valid(number) and len(number) in (15, 16) for number in pii.test_card_numbers)
    assert all(len(name.split(" ")) == 2 for name in pii.names)


def _broken(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the catalogue with the first ``old`` in file ``name`` replaced by ``new``."""
    for entry in DATA_FILES:
        shutil.copyfile(str(DATA / entry), tmp_path / entry)
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        pytest.param(
            "bank.toml",
            '"I lost my {card} {when}, what should I do?"',
            '""',
            "bank.toml: topics[0].prompts[0]: expected a non-empty text",
            id="empty-prompt",
        ),
        pytest.param(
            "bank.toml",
            "I lost my {card}",
            "I lost my {kard}",
            "topics[0].prompts[0]: field {kard} has no slot values",
            id="unknown-field",
        ),
        pytest.param(
            "bank.toml",
            "I lost my {card}",
            "I lost my {card",
            "topics[0].prompts[0]: malformed template",
            id="malformed-template",
        ),
        pytest.param(
            "bank.toml",
            'name = "card_lost"',
            'name = "card_lost"\ncolour = "red"',
            "topics[0].colour: unknown key",
            id="unknown-key",
        ),
        pytest.param(
            "bank.toml",
            "thumbs_down = 0.08",
            "thumbs_down = 1.5",
            "topics[0].thumbs_down: expected a number >= 0 and <= 1, got 1.5",
            id="probability-over-one",
        ),
        pytest.param(
            "bank.toml",
            'name = "fees_charges"',
            'name = "card_lost"',
            "topics + new_topics: 'card_lost' appears twice",
            id="duplicate-topic",
        ),
        pytest.param(
            "bank.toml",
            'model = "nimbus-8b"',
            'model = "nimbus-9b"',
            "bank.toml: deployments[0].model: unknown model",
            id="unknown-model",
        ),
        pytest.param(
            "travel.toml", "weight = 0.35", "weight = 0", "travel.toml: weight: expected a number > 0", id="zero-weight"
        ),
        pytest.param(
            "coding.toml",
            "[closers]\nblank = 4",
            "[closers]\nblank = -4",
            "coding.toml: closers.blank: expected a whole number >= 0, got -4",
            id="negative-blank",
        ),
        pytest.param("coding.toml", "tiers = {", "tiers = [", "coding.toml: not valid TOML", id="not-toml"),
        pytest.param(
            "common.toml",
            '"4242424242424242"',
            '"4242424242424241"',
            "common.toml: pii.test_card_numbers[0]",
            id="bad-card-number",
        ),
        pytest.param(
            "common.toml",
            "directly at {email}",
            "directly at {address}",
            "pii.leaks[0]: field {address}",
            id="unknown-leak-field",
        ),
        pytest.param(
            "common.toml",
            '"Alex Morgan"',
            '"Alex"',
            "common.toml: pii.names[0]: expected 'First Last'",
            id="name-without-surname",
        ),
        pytest.param(
            "common.toml",
            "latency_sigma = 0.35",
            "latency_sigma = '0.35'",
            "models.nimbus-8b.latency_sigma: expected a",
            id="text-for-number",
        ),
        pytest.param(
            "unsafe.toml", "toxic = [", "hostile = [", "unsafe.toml: prompts.toxic: missing", id="missing-unsafe-kind"
        ),
    ],
)
def test_a_bad_edit_names_the_file_and_the_key(tmp_path: Path, name: str, old: str, new: str, message: str) -> None:
    directory = _broken(tmp_path, name, old, new)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(directory)
    assert str(directory / name) in str(error.value)
    assert message in str(error.value)
