"""What the demo applications talk about: apps, models, topics, prompt and response templates.

Plain data, kept apart from the generator. Templates use ``str.format`` fields (``{amount}``); a field is
filled from the topic's slots first, then from the app's shared slots, and the prompt and the response of one
call share the same values, so answers relate to their questions.

>>> [app.name for app in APPS]
['bank-support', 'travel-assistant', 'code-helper']
>>> bank = app_by_name("bank-support")
>>> len(bank.topics) >= 8 and len(bank.new_topics) >= 2
True
"""

from __future__ import annotations

from driftloop.demo.catalogue.bank import BANK
from driftloop.demo.catalogue.coding import CODING
from driftloop.demo.catalogue.common import MODELS
from driftloop.demo.catalogue.spec import AppSpec, Deployment, ModelSpec, Topic
from driftloop.demo.catalogue.travel import TRAVEL

APPS: tuple[AppSpec, ...] = (BANK, TRAVEL, CODING)


def app_by_name(name: str) -> AppSpec:
    """The app called ``name``; ``KeyError`` lists the known ones."""
    for app in APPS:
        if app.name == name:
            return app
    raise KeyError(f"unknown demo app {name!r}; known: {', '.join(a.name for a in APPS)}")


__all__ = ["APPS", "MODELS", "AppSpec", "Deployment", "ModelSpec", "Topic", "app_by_name"]
