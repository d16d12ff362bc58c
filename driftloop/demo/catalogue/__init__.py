"""What the demo applications talk about: apps, models, topics, prompt and response templates.

Plain data, kept apart from the generator as package data beside this module: one TOML file per app
(``bank.toml``, ``travel.toml``, ``coding.toml``), ``common.toml`` for what the apps share (models, locales,
feedback texts, fake PII) and ``unsafe.toml`` for attacks and hostile messages. Templates use ``str.format``
fields (``{amount}``); a field is filled from the topic's slots first, then from the app's shared slots, and the
prompt and the response of one call share the same values, so answers relate to their questions.

>>> [app.name for app in catalogue().apps]
['bank-support', 'travel-assistant', 'code-helper']
>>> bank = app_by_name("bank-support")
>>> len(bank.topics) >= 8 and len(bank.new_topics) >= 2
True
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from driftloop.demo.catalogue.load import CatalogueError, load_catalogue
from driftloop.demo.catalogue.spec import (
    AppSpec,
    Catalogue,
    CommonSpec,
    Deployment,
    FakePii,
    FeedbackTexts,
    ModelSpec,
    Topic,
    UnsafeSpec,
)


@cache
def catalogue() -> Catalogue:
    """The catalogue shipped with driftloop, read and checked on first use."""
    return load_catalogue(files(__name__))


def app_by_name(name: str) -> AppSpec:
    """The app called ``name``; ``KeyError`` lists the known ones."""
    apps = catalogue().apps
    for app in apps:
        if app.name == name:
            return app
    raise KeyError(f"unknown demo app {name!r}; known: {', '.join(a.name for a in apps)}")


__all__ = [
    "AppSpec",
    "Catalogue",
    "CatalogueError",
    "CommonSpec",
    "Deployment",
    "FakePii",
    "FeedbackTexts",
    "ModelSpec",
    "Topic",
    "UnsafeSpec",
    "app_by_name",
    "catalogue",
]
