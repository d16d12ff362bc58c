"""Reading the catalogue's TOML files into the spec dataclasses, checking everything the generator relies on.

Each file is checked as it is read: types, no empty text, no unknown key, numbers in range, a slot value for
every template field, known models, unique names. A problem raises :class:`CatalogueError` naming the file and
the key, e.g. ``.../bank.toml: topics[2].prompts[4]: field {country} has no slot values``.

>>> from importlib.resources import files
>>> catalogue = load_catalogue(files("driftloop.demo.catalogue"))
>>> [app.name for app in catalogue.apps], catalogue.apps[0].topics[0].name
(['bank-support', 'travel-assistant', 'code-helper'], 'card_lost')
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Collection, Iterator
from importlib.resources.abc import Traversable
from types import TracebackType
from typing import NoReturn

from detectors.safety.pii import card_valid
from driftloop.demo.catalogue.spec import (
    LEAK_FIELDS,
    LEAKED_KINDS,
    AppSpec,
    Catalogue,
    CommonSpec,
    Deployment,
    FakePii,
    FeedbackTexts,
    ModelSpec,
    Slots,
    Topic,
    UnsafeSpec,
    Weighted,
    template_fields,
)
from driftloop.demo.items import UnsafeKind
from schemas.errors import CatalogueError

APP_FILES = ("bank.toml", "travel.toml", "coding.toml")
"""One file per app, in the order the generator draws them."""
COMMON_FILE = "common.toml"
UNSAFE_FILE = "unsafe.toml"


_REQUIRED = object()


def _shown(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 3]}..."


class _Table:
    """A TOML table being read; on leaving its ``with`` block, a key that was never read is an error (a typo)."""

    def __init__(self, data: object, file: str, key: str = "") -> None:
        self.file, self.key = file, key
        if not isinstance(data, dict):
            self.fail("", f"expected a table, got {_shown(data)}")
        self.data: dict[str, object] = data
        self.read: set[str] = set()

    def __enter__(self) -> _Table:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        unknown = [key for key in self.data if key not in self.read]
        if kind is None and unknown:
            self.fail(unknown[0], f"unknown key; known here: {', '.join(sorted(self.read))}")

    def fail(self, key: str, problem: str) -> NoReturn:
        where = self.where(key) if key else self.key
        raise CatalogueError(f"{self.file}: {where or 'top level'}: {problem}")

    def get(self, key: str, default: object = _REQUIRED) -> object:
        self.read.add(key)
        if key in self.data:
            return self.data[key]
        if default is _REQUIRED:
            self.fail(key, "missing")
        return default

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty text, got {_shown(value)}")
        return value

    def texts(self, key: str, *, blank_values: bool = False) -> tuple[str, ...]:
        """A non-empty list of non-empty texts; ``blank_values`` allows '' beside other values."""
        value = self.get(key)
        if not isinstance(value, list) or not value:
            self.fail(key, f"expected a non-empty list of texts, got {_shown(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not (item.strip() or (blank_values and item == "")):
                self.fail(f"{key}[{i}]", f"expected a non-empty text, got {_shown(item)}")
        if not any(value):
            self.fail(key, "every value is empty")
        return tuple(value)

    def optional_texts(self, key: str) -> tuple[str, ...]:
        """A table ``{blank = n, texts = [...]}``: ``n`` empty entries ('' stands for none) then the texts."""
        with self.table(key) as table:
            return ("",) * table.integer("blank") + table.texts("texts")

    def number(self, key: str, low: float = 0.0, high: float = math.inf, *, above_low: bool = False) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"expected a number, got {_shown(value)}")
        if not (low < value if above_low else low <= value) or value > high:
            bounds = f"{'>' if above_low else '>='} {low:g}" + (f" and <= {high:g}" if high < math.inf else "")
            self.fail(key, f"expected a number {bounds}, got {_shown(value)}")
        return float(value)

    def weight(self, key: str) -> float:
        return self.number(key, above_low=True)

    def integer(self, key: str) -> int:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(key, f"expected a whole number >= 0, got {_shown(value)}")
        return value

    def weighted(self, key: str) -> Weighted:
        """A table of names to positive weights, in file order."""
        with self.table(key) as table:
            if not table.data:
                table.fail("", "expected at least one name = weight")
            return tuple((name, table.weight(name)) for name in list(table.data))

    def table(self, key: str, default: object = _REQUIRED) -> _Table:
        return _Table(self.get(key, default), self.file, self.where(key))

    def tables(self, key: str) -> Iterator[_Table]:
        """The tables of a non-empty array of tables, each to be read in a ``with`` block."""
        value = self.get(key)
        if not isinstance(value, list) or not value:
            self.fail(key, f"expected a non-empty array of tables, got {_shown(value)}")
        for i, item in enumerate(value):
            yield _Table(item, self.file, self.where(f"{key}[{i}]"))

    def slots(self, key: str) -> Slots:
        """Slot values by field name (an empty table when absent); '' is a value that renders as nothing."""
        with self.table(key, {}) as table:
            return {name: table.texts(name, blank_values=True) for name in list(table.data)}

    def templates(self, key: str, fields: Collection[str]) -> tuple[str, ...]:
        """Texts whose ``str.format`` fields are all in ``fields``."""
        texts = self.texts(key)
        for i, text in enumerate(texts):
            try:
                missing = [name for name in template_fields(text) if name not in fields]
            except ValueError as error:
                self.fail(f"{key}[{i}]", f"malformed template ({error}): {text!r}")
            if missing:
                self.fail(f"{key}[{i}]", f"field {{{missing[0]}}} has no slot values; known: {', '.join(fields)}")
        return texts

    def where(self, key: str) -> str:
        return f"{self.key}.{key}" if self.key else key


def _read(path: Traversable) -> _Table:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{path}: not valid TOML: {error}") from error
    return _Table(data, str(path))


def _unique(table: _Table, key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            table.fail(key, f"{name!r} appears twice")
        seen.add(name)


def _topic(table: _Table, shared: Slots) -> Topic:
    with table:
        name = table.text("name")
        slots = table.slots("slots")
        fields = {**shared, **slots}
        return Topic(
            name=name,
            prompts=table.templates("prompts", fields),
            responses=table.templates("responses", fields),
            slots=slots,
            weight=table.weight("weight"),
            thumbs_down=table.number("thumbs_down", high=1.0),
        )


def _deployment(table: _Table, models: Collection[str]) -> Deployment:
    with table:
        model = table.text("model")
        if model not in models:
            table.fail("model", f"unknown model {model!r}; known: {', '.join(models)}")
        return Deployment(model=model, version=table.text("version"), weight=table.weight("weight"))


def load_app(path: Traversable, models: Collection[str]) -> AppSpec:
    """One app's file; its deployments may only use ``models``."""
    with _read(path) as table:
        slots = table.slots("slots")
        topics = tuple(_topic(t, slots) for t in table.tables("topics"))
        new_topics = tuple(_topic(t, slots) for t in table.tables("new_topics"))
        _unique(table, "topics + new_topics", [t.name for t in (*topics, *new_topics)])
        deployments = tuple(_deployment(d, models) for d in table.tables("deployments"))
        _unique(table, "deployments", [f"{d.model}/{d.version}" for d in deployments])
        return AppSpec(
            name=table.text("name"),
            weight=table.weight("weight"),
            system_prompt_tokens=table.integer("system_prompt_tokens"),
            deployments=deployments,
            topics=topics,
            new_topics=new_topics,
            slots=slots,
            refusals=table.texts("refusals"),
            out_of_scope=table.texts("out_of_scope"),
            closers=table.optional_texts("closers"),
            tiers=table.weighted("tiers"),
            channels=table.weighted("channels"),
        )


def _model(table: _Table, name: str) -> ModelSpec:
    with table:
        return ModelSpec(
            name=name,
            usd_per_mtok_in=table.number("usd_per_mtok_in"),
            usd_per_mtok_out=table.number("usd_per_mtok_out"),
            latency_median_ms=table.number("latency_median_ms", above_low=True),
            latency_sigma=table.number("latency_sigma"),
            ms_per_output_token=table.number("ms_per_output_token"),
        )


def _feedback(table: _Table) -> FeedbackTexts:
    with table, table.table("flag_labels") as labels:
        return FeedbackTexts(
            good_comments=table.texts("good_comments"),
            bad_comments=table.texts("bad_comments"),
            generic_corrections=table.texts("generic_corrections"),
            unsafe_labels=labels.texts("unsafe"),
            pii_labels=labels.texts("pii"),
            refusal_labels=labels.texts("refusal"),
            shifted_labels=labels.texts("shifted"),
            ordinary_labels=labels.texts("ordinary"),
        )


def _fake_pii(table: _Table) -> FakePii:
    with table:
        names = table.texts("names")
        for i, name in enumerate(names):
            first, _, last = name.partition(" ")
            if not first or not last:
                table.fail(f"names[{i}]", f"expected 'First Last', got {name!r}")
        numbers = table.texts("test_card_numbers")
        for i, number in enumerate(numbers):
            if not card_valid(number):
                table.fail(f"test_card_numbers[{i}]", f"{number!r} is not a card number (digits, issuer, Luhn)")
        leaks = table.templates("leaks", LEAK_FIELDS)
        for i, leak in enumerate(leaks):
            if not set(template_fields(leak)) & set(LEAKED_KINDS):
                table.fail(f"leaks[{i}]", f"leaks nothing: use one of {', '.join(LEAKED_KINDS)}")
        return FakePii(names, table.texts("email_domains"), numbers, leaks)


def load_common(path: Traversable) -> CommonSpec:
    with _read(path) as table, table.table("models") as models:
        return CommonSpec(
            models={name: _model(models.table(name), name) for name in list(models.data)},
            locales=table.weighted("locales"),
            openers=table.optional_texts("openers"),
            endings=table.optional_texts("endings"),
            feedback=_feedback(table.table("feedback")),
            pii=_fake_pii(table.table("pii")),
        )


def load_unsafe(path: Traversable) -> UnsafeSpec:
    with _read(path) as table:
        slots = table.slots("slots")
        with table.table("prompts") as prompts:
            by_kind = {kind: prompts.templates(kind.value, slots) for kind in UnsafeKind}
        return UnsafeSpec(
            prompts=by_kind,
            slots=slots,
            safe_refusals=table.texts("safe_refusals"),
            leaked_instructions=table.texts("leaked_instructions"),
            de_escalations=table.texts("de_escalations"),
        )


def load_catalogue(directory: Traversable) -> Catalogue:
    """The catalogue in ``directory``: :data:`COMMON_FILE`, :data:`UNSAFE_FILE` and the :data:`APP_FILES`."""
    common = load_common(directory / COMMON_FILE)
    apps = tuple(load_app(directory / name, common.models) for name in APP_FILES)
    names = [app.name for app in apps]
    for app in apps:
        if names.count(app.name) > 1:
            raise CatalogueError(f"app name {app.name!r} is used by more than one of {', '.join(APP_FILES)}")
    return Catalogue(apps=apps, common=common, unsafe=load_unsafe(directory / UNSAFE_FILE))
