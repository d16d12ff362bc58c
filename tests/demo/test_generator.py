"""The demo traffic generator: determinism, validity, controls and the ground truth it reports."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from detectors.safety.pii import count_pii, luhn_valid
from driftloop.demo import (
    DemoConfig,
    DemoItem,
    FeedbackTiming,
    PiiKind,
    SegmentEffect,
    UnsafeKind,
    VersionEffect,
    generate,
    generate_wire,
)
from driftloop.demo.catalogue import app_by_name, catalogue
from driftloop.demo.catalogue.spec import LEAKED_KINDS
from driftloop.demo.text import compile_topic
from schemas import FeedbackEvent, FeedbackKind, InferenceEvent

APPS = catalogue().apps
MODELS = catalogue().common.models
TEST_CARD_NUMBERS = catalogue().common.pii.test_card_numbers

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
PHONE = re.compile(r"555-01\d\d|\+44 7700 900\d{3}")


def run(**overrides) -> list[DemoItem]:
    return list(generate(DemoConfig(**overrides)))


def calls(items: list[DemoItem]) -> list[DemoItem]:
    return [item for item in items if item.event is not None]


def feedback(items: list[DemoItem]) -> list[DemoItem]:
    return [item for item in items if item.feedback is not None]


def within(observed: float, expected: float, n: int, sigmas: float = 4.5) -> bool:
    """A binomial share is within ``sigmas`` standard errors of what it should be."""
    return abs(observed - expected) <= sigmas * math.sqrt(max(expected * (1 - expected), 1e-9) / n) + 1e-9


@pytest.fixture(scope="module")
def default_stream() -> list[DemoItem]:
    return run(seed=11, count=4000, feedback_fraction=0.4, pii_fraction=0.05, unsafe_fraction=0.05)


# --- determinism and validity ---------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_stream() -> None:
    config = DemoConfig(seed=3, count=600, shift_at=300, shift_fraction=0.2, pii_fraction=0.1)
    first = list(generate_wire(config))
    assert first == list(generate_wire(config))
    other = list(generate_wire(config.model_copy(update={"seed": 4})))
    assert [r.value for r in first] != [r.value for r in other]


def test_every_record_validates_against_the_wire_schemas(default_stream: list[DemoItem]) -> None:
    for item in default_stream:
        record = item.to_wire()
        assert record.at == item.at
        if record.stream == "inference":
            assert InferenceEvent.model_validate_json(record.value) == item.event
            assert record.key == item.event.event_id.encode()
        else:
            assert FeedbackEvent.model_validate_json(record.value) == item.feedback
            assert record.key == item.feedback.event_id.encode()
        assert (item.event is None) != (item.feedback is None)


def test_stream_is_in_publish_order_and_calls_in_event_time_order(default_stream: list[DemoItem]) -> None:
    times = [item.at for item in default_stream]
    assert times == sorted(times)
    by_index = sorted(calls(default_stream), key=lambda item: item.truth.index)
    event_times = [item.event.event_time for item in by_index]
    assert event_times == sorted(event_times)
    assert [item.truth.index for item in by_index] == list(range(len(by_index)))


def test_ids_are_unique(default_stream: list[DemoItem]) -> None:
    event_ids = [item.event.event_id for item in calls(default_stream)]
    feedback_ids = [item.feedback.feedback_id for item in feedback(default_stream)]
    assert len(set(event_ids)) == len(event_ids)
    assert len(set(feedback_ids)) == len(feedback_ids)


# --- counts, rate and time ------------------------------------------------------------------------------------


def test_count_gives_exactly_that_many_calls() -> None:
    assert len(calls(run(seed=1, count=777, feedback_fraction=0.5))) == 777
    assert run(seed=1, count=0) == []


def test_duration_bounds_event_time_and_rate_sets_the_count() -> None:
    config = DemoConfig(seed=2, rate=50, duration_s=60, arrivals="even")
    items = calls(list(generate(config)))
    assert len(items) == 50 * 60
    end = config.start + timedelta(seconds=60)
    assert all(config.start <= item.event.event_time < end for item in items)

    poisson = calls(run(seed=2, rate=50, duration_s=120))
    assert abs(len(poisson) - 6000) < 4.5 * math.sqrt(6000)
    assert all(item.event.event_time < config.start + timedelta(seconds=120) for item in poisson)


def test_an_explicit_none_count_streams_without_end() -> None:
    stream = generate(DemoConfig(seed=1, count=None, rate=1000))
    items = list(itertools.islice(stream, 8_000))
    assert len(items) == 8_000 and len(calls(items)) > 5_000


def test_count_and_duration_stop_at_whichever_comes_first() -> None:
    assert len(calls(run(seed=2, rate=10, duration_s=1000, count=50))) == 50
    assert len(calls(run(seed=2, rate=10, duration_s=5, count=10_000, arrivals="even"))) == 50


# --- the app's traffic looks like real traffic -----------------------------------------------------------------


def test_apps_models_and_versions_come_from_the_catalogue(default_stream: list[DemoItem]) -> None:
    seen = Counter((i.event.app, i.event.model, i.event.model_version) for i in calls(default_stream))
    expected = {(a.name, d.model, d.version) for a in APPS for d in a.deployments}
    assert set(seen) == expected
    assert run(seed=1, count=200, apps=("code-helper",))[0].event.app == "code-helper"
    assert {i.event.app for i in calls(run(seed=1, count=300, apps=("code-helper",)))} == {"code-helper"}


def test_deployment_weights_can_turn_a_version_off_or_split_evenly() -> None:
    items = calls(
        run(
            seed=5,
            count=3000,
            apps=("bank-support",),
            deployment_weights={
                "bank-support/nimbus-70b/2026-03": 0,
                "bank-support/nimbus-8b/2026-02": 1,
                "bank-support/nimbus-8b/2026-05": 1,
            },
        )
    )
    versions = Counter(item.event.model_version for item in items)
    assert set(versions) == {"2026-02", "2026-05"}
    assert within(versions["2026-05"] / len(items), 0.5, len(items))


def test_descriptors_are_plausible(default_stream: list[DemoItem]) -> None:
    items = [i for i in calls(default_stream)]
    latency = defaultdict(list)
    for item in items:
        e = item.event
        spec = MODELS[e.model]
        assert e.latency_ms > 0 and e.tokens_in > 0 and e.tokens_out > 0
        expected_cost = (e.tokens_in * spec.usd_per_mtok_in + e.tokens_out * spec.usd_per_mtok_out) / 1e6
        assert e.cost_usd == pytest.approx(expected_cost, rel=1e-4, abs=1e-8)
        assert abs(e.tokens_out - len(e.response) / 4) <= 5
        latency[e.model].append(e.latency_ms)
    medians = {model: statistics.median(values) for model, values in latency.items()}
    assert medians["nimbus-70b"] > medians["nimbus-8b"]
    assert medians["nimbus-70b"] > medians["cirrus-mini"]
    spread = statistics.quantiles(latency["nimbus-8b"], n=20)
    assert spread[-1] > 1.5 * spread[0]  # a long right tail, not a constant


def test_sessions_are_a_few_turns_of_one_user_in_one_app(default_stream: list[DemoItem]) -> None:
    sessions: dict[str, list[InferenceEvent]] = defaultdict(list)
    for item in calls(default_stream):
        sessions[item.event.session_id].append(item.event)
    for events in sessions.values():
        assert len({e.user_id for e in events}) == 1
        assert len({e.app for e in events}) == 1
    lengths = [len(events) for events in sessions.values()]
    assert 2.0 < statistics.mean(lengths) < 4.0
    assert max(lengths) > 3
    users = Counter(item.event.user_id for item in calls(default_stream))
    assert len(users) > 300 and max(users.values()) > 1


def test_tags_are_segments_and_reveal_no_truth() -> None:
    items = run(seed=9, count=3000, shift_at=0, shift_fraction=0.3, unsafe_fraction=0.2, pii_fraction=0.2)
    for item in calls(items):
        assert set(item.event.tags) == {"locale", "user_tier", "channel"}
    by_truth: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for item in calls(items):
        by_truth[item.truth.is_shifted or item.truth.is_unsafe][item.event.tags["channel"]] += 1
    for flagged, counts in by_truth.items():
        total = sum(counts.values())
        other = by_truth[not flagged]
        other_total = sum(other.values())
        for channel in counts:
            assert abs(counts[channel] / total - other[channel] / other_total) < 0.06
    for record in generate_wire(DemoConfig(seed=9, count=300, shift_at=0, shift_fraction=0.5)):
        text = record.value.decode().lower()
        assert "shift" not in text and "truth" not in text


# --- diversity --------------------------------------------------------------------------------------------------


def test_thousands_of_distinct_prompts_per_app() -> None:
    items = calls(run(seed=21, count=12_000, feedback_fraction=0))
    prompts: dict[str, set[str]] = defaultdict(set)
    topics: dict[str, set[str]] = defaultdict(set)
    for item in items:
        prompts[item.event.app].add(item.event.prompt)
        topics[item.event.app].add(item.truth.topic)
    for app in APPS:
        n = sum(1 for item in items if item.event.app == app.name)
        assert len(prompts[app.name]) > 0.6 * n, app.name
        assert len(topics[app.name]) == len(app.topics)
    assert min(len(p) for p in prompts.values()) > 1500


def test_the_catalogue_can_make_thousands_of_prompts_per_app() -> None:
    for app in APPS:
        assert 8 <= len(app.topics) <= 15
        assert len(app.new_topics) >= 2
        assert not {t.name for t in app.topics} & {t.name for t in app.new_topics}
        total = 0
        for topic in app.topics:
            compiled = compile_topic(topic, app.slots)
            assert len(compiled.prompts) >= 4 and len(compiled.responses) >= 2
            assert all(compiled.answers)
            for template in compiled.prompts:
                total += math.prod(len(compiled.slots[f]) for f in template.fields)
        assert total > 2000, app.name


def test_answers_share_the_prompt_slot_values() -> None:
    cities = app_by_name("travel-assistant").slots["city"]
    checked = 0
    for item in calls(run(seed=4, count=1500, apps=("travel-assistant",), refusal_rate=0)):
        if item.truth.is_shifted or item.truth.is_unsafe:
            continue
        assert item.event.response[:1].isupper()
        asked = {c for c in cities if c in item.event.prompt}
        answered = {c for c in cities if c in item.event.response}
        if asked and answered:
            checked += 1
            assert asked & answered, (item.event.prompt, item.event.response)
    assert checked > 200


# --- topic shift ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.1, 0.3])
def test_shift_fraction_after_shift_at_and_none_before(fraction: float) -> None:
    items = calls(run(seed=13, count=6000, shift_at=2000, shift_fraction=fraction, feedback_fraction=0))
    before = [i for i in items if i.truth.index < 2000]
    after = [i for i in items if i.truth.index >= 2000]
    assert not any(i.truth.is_shifted for i in before)
    share = sum(i.truth.is_shifted for i in after) / len(after)
    assert within(share, fraction, len(after))
    baseline = {(a.name, t.name) for a in APPS for t in a.topics}
    new = {(a.name, t.name) for a in APPS for t in a.new_topics}
    assert {(i.event.app, i.truth.topic) for i in before} <= baseline
    assert {(i.event.app, i.truth.topic) for i in after if i.truth.is_shifted} <= new


def test_shift_can_start_at_a_time_and_hit_one_app_only() -> None:
    config = DemoConfig(
        seed=14,
        rate=100,
        duration_s=60,
        shift_at=DemoConfig().start + timedelta(seconds=30),
        shift_fraction=0.4,
        shift_apps=("bank-support",),
    )
    items = calls(list(generate(config)))
    for item in items:
        late = item.event.event_time >= config.shift_at
        if item.truth.is_shifted:
            assert late and item.event.app == "bank-support"
    bank_late = [i for i in items if i.event.app == "bank-support" and i.event.event_time >= config.shift_at]
    assert within(sum(i.truth.is_shifted for i in bank_late) / len(bank_late), 0.4, len(bank_late))


def test_shifted_prompts_are_text_never_seen_before_the_shift() -> None:
    items = calls(run(seed=15, count=5000, shift_at=2500, shift_fraction=0.3, feedback_fraction=0))
    before = {i.event.prompt for i in items if i.truth.index < 2500}
    shifted = [i.event.prompt for i in items if i.truth.is_shifted]
    assert sum(p in before for p in shifted) == 0


# --- unsafe prompts and PII -------------------------------------------------------------------------------------


def test_unsafe_fraction_after_unsafe_at() -> None:
    items = calls(run(seed=16, count=5000, unsafe_at=1000, unsafe_fraction=0.08, shift_fraction=0.2))
    assert not any(i.truth.is_unsafe for i in items if i.truth.index < 1000)
    after = [i for i in items if i.truth.index >= 1000]
    unsafe = [i for i in after if i.truth.is_unsafe]
    assert within(len(unsafe) / len(after), 0.08, len(after))
    assert {i.truth.unsafe_kind for i in unsafe} == set(UnsafeKind)
    assert not any(i.truth.is_unsafe and i.truth.is_shifted for i in items)
    refused = [i for i in unsafe if i.truth.unsafe_kind is not UnsafeKind.TOXIC]
    assert 0.7 < sum(i.truth.is_refusal for i in refused) / len(refused) < 0.97
    assert len({i.event.prompt for i in unsafe}) > 0.5 * len(unsafe)


def test_unsafe_prompts_look_like_attacks() -> None:
    items = calls(run(seed=17, count=1500, unsafe_fraction=0.3))
    markers = {
        UnsafeKind.JAILBREAK: (
            "instructions",
            "game",
            "no restrictions",
            "developer",
            "story",
            "research",
            "pretend",
            "as ",
        ),
        UnsafeKind.PROMPT_INJECTION: ("system", "instruction", "assistant", "ai", "admin", "hidden"),
        UnsafeKind.TOXIC: (
            "useless",
            "stupid",
            "worthless",
            "fired",
            "idiotic",
            "brainless",
            "pathetic",
            "moronic",
            "incompetent",
        ),
    }
    for item in items:
        if item.truth.unsafe_kind is not None:
            prompt = item.event.prompt.lower()
            assert any(m in prompt for m in markers[item.truth.unsafe_kind]), prompt


def test_pii_leaks_only_where_the_truth_says_and_are_fake() -> None:
    items = calls(run(seed=18, count=4000, pii_at=1000, pii_fraction=0.1, unsafe_fraction=0.05))
    leaking = [i for i in items if i.truth.pii]
    assert not any(i.truth.index < 1000 for i in leaking)
    after = [i for i in items if i.truth.index >= 1000]
    assert within(len(leaking) / len(after), 0.1, len(after))
    for item in items:
        text = item.event.response
        emails = [m.group(0) for m in EMAIL.finditer(text)]
        cards = [m.group(0) for m in CARD.finditer(text)]
        phones = PHONE.findall(text)
        assert bool(emails) == (PiiKind.EMAIL in item.truth.pii), text
        assert bool(cards) == (PiiKind.CARD in item.truth.pii), text
        assert bool(phones) == (PiiKind.PHONE in item.truth.pii), text
        assert all(e.split("@")[1].endswith(("example.com", "example.org", "example.net")) for e in emails)
        digits = [re.sub(r"\D", "", c) for c in cards]
        assert all(luhn_valid(d) and d in TEST_CARD_NUMBERS for d in digits)
        assert not EMAIL.search(item.event.prompt) and not CARD.search(item.event.prompt)
    assert {k for i in leaking for k in i.truth.pii} == set(LEAKED_KINDS.values())


def test_the_pii_detector_finds_the_leaked_emails_and_cards_and_nothing_else() -> None:
    for item in calls(run(seed=18, count=3000, pii_fraction=0.1, unsafe_fraction=0.05)):
        found = set(count_pii(item.event.response))
        assert found <= set(item.truth.pii), item.event.response
        assert set(item.truth.pii) & {PiiKind.EMAIL, PiiKind.CARD} <= found, item.event.response


# --- feedback ---------------------------------------------------------------------------------------------------


def test_feedback_fraction_kinds_and_values(default_stream: list[DemoItem]) -> None:
    inferences, fbs = calls(default_stream), feedback(default_stream)
    assert within(len(fbs) / len(inferences), 0.4, len(inferences))
    kinds = Counter(item.feedback.kind for item in fbs)
    assert set(kinds) == set(FeedbackKind)
    assert kinds[FeedbackKind.THUMBS] > 0.6 * len(fbs)
    for item in fbs:
        f = item.feedback
        if f.kind is FeedbackKind.FLAG:
            assert f.labels
        if item.truth.is_unsafe and f.kind is FeedbackKind.FLAG:
            assert set(f.labels) <= {"unsafe", "abuse", "policy_violation"}
    with_feedback = {i.truth.index for i in inferences if i.truth.feedback_timing is not None}
    assert with_feedback == {i.truth.index for i in fbs}


def test_feedback_timing_before_after_and_unknown() -> None:
    items = run(
        seed=19, count=5000, feedback_fraction=0.5, feedback_before_fraction=0.1, feedback_unknown_fraction=0.05
    )
    position = {item.event.event_id: n for n, item in enumerate(items) if item.event is not None}
    event_time = {item.event.event_id: item.event.event_time for item in items if item.event is not None}
    timings = Counter()
    for n, item in enumerate(items):
        if item.feedback is None:
            continue
        timing = item.truth.feedback_timing
        timings[timing] += 1
        event_id = item.feedback.event_id
        if timing is FeedbackTiming.UNKNOWN_EVENT:
            assert event_id not in position
            continue
        assert item.feedback.feedback_time > event_time[event_id]
        if timing is FeedbackTiming.BEFORE:
            assert n < position[event_id]
        else:
            assert n > position[event_id]
    total = sum(timings.values())
    assert within(timings[FeedbackTiming.BEFORE] / total, 0.1, total)
    assert within(timings[FeedbackTiming.UNKNOWN_EVENT] / total, 0.05, total)
    held = [i for i in calls(items) if i.truth.feedback_timing is FeedbackTiming.BEFORE]
    assert all(i.at - i.event.event_time == timedelta(seconds=15) for i in held)


def test_feedback_delay_follows_the_configured_median() -> None:
    items = run(seed=20, count=3000, feedback_fraction=0.6, feedback_delay_median_s=120)
    event_time = {item.event.event_id: item.event.event_time for item in items if item.event is not None}
    delays = [
        (item.feedback.feedback_time - event_time[item.feedback.event_id]).total_seconds()
        for item in feedback(items)
        if item.truth.feedback_timing is FeedbackTiming.AFTER
    ]
    assert 90 < statistics.median(delays) < 160


def _negative_share(items: list[DemoItem]) -> tuple[float, int]:
    thumbs = [i.feedback.value for i in feedback(items) if i.feedback.kind is FeedbackKind.THUMBS]
    return sum(v < 0 for v in thumbs) / max(len(thumbs), 1), len(thumbs)


def test_a_worse_version_gets_more_thumbs_down() -> None:
    items = run(
        seed=22,
        count=8000,
        apps=("bank-support",),
        feedback_fraction=0.6,
        version_effects=(VersionEffect(app="bank-support", model_version="2026-05", thumbs_down=0.25, at=4000),),
    )
    version_of = {i.event.event_id: i.event.model_version for i in calls(items)}

    def share(version: str, late: bool) -> float:
        chosen = [
            i
            for i in feedback(items)
            if version_of.get(i.feedback.event_id) == version and (i.truth.index >= 4000) == late
        ]
        return _negative_share(chosen)[0]

    assert share("2026-05", late=True) - share("2026-02", late=True) > 0.15
    assert abs(share("2026-05", late=False) - share("2026-02", late=False)) < 0.08


def test_a_segment_and_a_topic_change_the_thumbs_down_rate() -> None:
    items = run(
        seed=23,
        count=8000,
        feedback_fraction=0.6,
        segment_effects=(SegmentEffect(tag="channel", value="android", thumbs_down=0.3),),
    )
    tags = {i.event.event_id: i.event.tags for i in calls(items)}
    android = [i for i in feedback(items) if tags.get(i.feedback.event_id, {}).get("channel") == "android"]
    rest = [i for i in feedback(items) if tags.get(i.feedback.event_id, {}).get("channel") not in (None, "android")]
    assert _negative_share(android)[0] - _negative_share(rest)[0] > 0.2

    plain = [i for i in rest if not (i.truth.is_refusal or i.truth.pii or i.truth.is_unsafe or i.truth.is_shifted)]
    fees = [i for i in plain if i.truth.topic == "fees_charges"]
    cards = [i for i in plain if i.truth.topic == "card_lost"]
    assert _negative_share(fees)[0] - _negative_share(cards)[0] > 0.08


def test_observed_negative_rate_matches_the_reported_probability(default_stream: list[DemoItem]) -> None:
    fbs = feedback(default_stream)
    negative = [(i.feedback.value or 0) < 0 if i.feedback.kind is FeedbackKind.THUMBS else None for i in fbs]
    pairs = [(i.truth.p_negative, n) for i, n in zip(fbs, negative, strict=True) if n is not None]
    expected = sum(p for p, _ in pairs) / len(pairs)
    observed = sum(n for _, n in pairs) / len(pairs)
    assert within(observed, expected, len(pairs))


# --- config -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"apps": ("no-such-app",)},
        {"shift_fraction": 0.7, "unsafe_fraction": 0.5},
        {"deployment_weights": {"bank-support/nimbus-8b/1999": 1.0}},
        {"version_effects": ({"app": "bank-support", "model_version": "1999"},)},
        {"rate": 0},
        {"feedback_before_fraction": 0.8, "feedback_unknown_fraction": 0.5},
    ],
    ids=["unknown-app", "fractions-over-one", "unknown-deployment", "unknown-version", "zero-rate", "timings"],
)
def test_config_rejects_inconsistent_settings(bad: dict) -> None:
    with pytest.raises(ValueError):
        DemoConfig(**bad)
