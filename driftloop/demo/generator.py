"""The demo traffic generator: a seeded, controllable stream of inference and feedback events.

Calls arrive at ``config.rate`` per second of event time. Each belongs to an app (by the apps' shares), to a
user session of a few turns, and to a deployment (model and version). Its prompt is ordinary (one of the app's
topics), on a new topic (after ``shift_at``) or unsafe (after ``unsafe_at``); its response may leak fake PII
(after ``pii_at``). Some calls get feedback, which is negative with a probability set by the topic, the kind of
call and the segment and version effects.

Stream order is publish order (``DemoItem.at``): an inference is published at its event time, except when its
feedback is to come first (``FeedbackTiming.BEFORE``), then it is held back ``publish_hold_s``; feedback is
published at its feedback time. Feedback still pending when generation stops is flushed at the end.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from detectors.safety.pii import PiiKind
from driftloop.demo.catalogue import AppSpec, ModelSpec, app_by_name, catalogue
from driftloop.demo.config import DemoConfig, SegmentEffect, VersionEffect
from driftloop.demo.items import DemoItem, FeedbackTiming, Truth, UnsafeKind, WireRecord
from driftloop.demo.sampling import Gate, Picker, pick
from driftloop.demo.text import (
    CompiledTopic,
    PiiLeaks,
    Template,
    compile_templates,
    compile_topic,
    fill,
    render,
    sentence_case,
)
from schemas import FeedbackEvent, FeedbackKind, InferenceEvent

HISTORY_TOKENS_PER_TURN = 80
"""Tokens of conversation history added to the input for each earlier turn of a session."""
CHARS_PER_TOKEN = 4
MAX_OPEN_SESSIONS = 256
PRIMARY_CHANNEL_SHARE = 0.85
"""Share of a user's sessions on their usual channel (web, ios...)."""
GENERIC_REFUSAL_SHARE = 0.7
"""Share of refused attacks answered with a generic refusal rather than the app's own wording."""
UNSAFE_KIND_WEIGHTS = ((UnsafeKind.JAILBREAK, 0.4), (UnsafeKind.PROMPT_INJECTION, 0.3), (UnsafeKind.TOXIC, 0.3))
NEGATIVE_KINDS = (
    (FeedbackKind.THUMBS, 0.68),
    (FeedbackKind.RATING, 0.12),
    (FeedbackKind.FLAG, 0.08),
    (FeedbackKind.CORRECTION, 0.07),
    (FeedbackKind.COMMENT, 0.05),
)
POSITIVE_KINDS = ((FeedbackKind.THUMBS, 0.8), (FeedbackKind.RATING, 0.14), (FeedbackKind.COMMENT, 0.06))
NEGATIVE_RATINGS = (1, 1, 2, 2, 3)
POSITIVE_RATINGS = (4, 4, 5, 5, 5)


@dataclass(slots=True)
class _User:
    user_id: str
    locale: str
    tier: str
    channel: str


@dataclass(slots=True)
class _Session:
    session_id: str
    user: _User
    channel: str
    topic: int
    turns_left: int
    turn: int = 0


@dataclass(slots=True)
class _Deployment:
    model: ModelSpec
    version: str
    effects: list[tuple[Gate, VersionEffect]]


@dataclass(slots=True)
class _App:
    spec: AppSpec
    topics: list[CompiledTopic]
    topic_picker: Picker[int]
    new_topics: list[CompiledTopic]
    deployments: Picker[_Deployment]
    users: list[_User]
    shifted: bool
    segment_effects: list[tuple[Gate, SegmentEffect]]
    closers: list[str]
    refusals: list[str]
    sessions: list[_Session] = field(default_factory=list)


@dataclass(slots=True)
class _Call:
    """What was decided about one call before the wire event is built."""

    topic: str
    prompt: str
    response: str
    is_shifted: bool = False
    unsafe_kind: UnsafeKind | None = None
    is_refusal: bool = False
    p_negative: float = 0.0
    source: tuple[CompiledTopic, Template, dict[str, str]] | None = None
    """Topic, response template and slot values of an ordinary answer, for a correction."""
    pii: tuple[PiiKind, ...] = ()


class _Generator:
    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.start = config.start
        self.common, self.unsafe = catalogue().common, catalogue().unsafe
        self.feedback_texts = self.common.feedback
        self.pii_leak = PiiLeaks(self.common.pii)
        names = config.apps or tuple(app.name for app in catalogue().apps)
        self.apps = [self._build_app(app_by_name(name)) for name in names]
        self.app_picker = Picker([(app, config.app_weights.get(app.spec.name, app.spec.weight)) for app in self.apps])
        self.shift_gate = Gate(config.shift_at, self.start)
        self.unsafe_gate = Gate(config.unsafe_at, self.start)
        self.pii_gate = Gate(config.pii_at, self.start)
        self.unsafe_kind = Picker(UNSAFE_KIND_WEIGHTS)
        self.unsafe_prompts = {
            kind: compile_templates(texts, self.unsafe.slots) for kind, texts in self.unsafe.prompts.items()
        }
        self.negative_kind = Picker(NEGATIVE_KINDS)
        self.positive_kind = Picker(POSITIVE_KINDS)
        self.delay_mu = math.log(config.feedback_delay_median_s)
        self.pending: list[tuple[float, int, DemoItem]] = []
        self.sequence = 0

    # --- setup --------------------------------------------------------------------------------------------

    def _build_app(self, spec: AppSpec) -> _App:
        config, rng = self.config, self.rng
        topics = [compile_topic(t, spec.slots) for t in spec.topics]
        deployments = []
        for d in spec.deployments:
            key = f"{spec.name}/{d.model}/{d.version}"
            effects = [
                (Gate(e.at, config.start), e)
                for e in config.version_effects
                if e.app == spec.name and e.model_version == d.version
            ]
            deployments.append(
                (
                    _Deployment(self.common.models[d.model], d.version, effects),
                    config.deployment_weights.get(key, d.weight),
                )
            )
        locale, tier, channel = Picker(self.common.locales), Picker(spec.tiers), Picker(spec.channels)
        users = [
            _User(f"u_{rng.getrandbits(48):012x}", locale(rng), tier(rng), channel(rng))
            for _ in range(config.users_per_app)
        ]
        return _App(
            spec=spec,
            topics=topics,
            topic_picker=Picker([(i, t.weight) for i, t in enumerate(topics)]),
            new_topics=[compile_topic(t, spec.slots) for t in spec.new_topics],
            deployments=Picker(deployments),
            users=users,
            shifted=config.shift_apps is None or spec.name in config.shift_apps,
            segment_effects=[
                (Gate(e.at, config.start), e) for e in config.segment_effects if e.app is None or e.app == spec.name
            ],
            closers=list(spec.closers),
            refusals=list(spec.refusals),
        )

    # --- one call -----------------------------------------------------------------------------------------

    def _session(self, app: _App) -> _Session:
        rng, config = self.rng, self.config
        sessions = app.sessions
        p_new = 1.0 / config.mean_session_turns
        slot = -1
        if sessions and (len(sessions) >= MAX_OPEN_SESSIONS or rng.random() >= p_new):
            slot = int(rng.random() * len(sessions))
            session = sessions[slot]
        else:
            user = pick(rng, app.users)
            channel = user.channel if rng.random() < PRIMARY_CHANNEL_SHARE else pick(rng, app.spec.channels)[0]
            turns = 1
            if p_new < 1:
                turns += int(math.log(1.0 - rng.random()) / math.log(1.0 - p_new))
            session = _Session(f"s_{rng.getrandbits(64):016x}", user, channel, app.topic_picker(rng), turns)
        session.turn += 1
        session.turns_left -= 1
        if session.turns_left > 0 and slot < 0:
            sessions.append(session)
        elif session.turns_left <= 0 and slot >= 0:
            sessions[slot] = sessions[-1]  # swap-remove: order of open sessions does not matter
            sessions.pop()
        return session

    def _ordinary(self, app: _App, session: _Session, refusal_rate: float) -> _Call:
        rng, config = self.rng, self.config
        if session.turn > 1 and rng.random() >= config.topic_stickiness:
            session.topic = app.topic_picker(rng)
        topic = app.topics[session.topic]
        which = int(rng.random() * len(topic.prompts))
        prompt_t, response_t = topic.prompts[which], pick(rng, topic.answers[which])
        values = fill(rng, topic.slots, prompt_t, response_t)
        call = _Call(topic.name, self._decorate(render(prompt_t, values)), "")
        call.p_negative = topic.thumbs_down * config.thumbs_down_scale
        if rng.random() < refusal_rate:
            call.response, call.is_refusal = pick(rng, app.refusals), True
            call.p_negative = config.thumbs_down_refusal
        else:
            call.response = self._answer(app, render(response_t, values))
        call.source = (topic, response_t, values)
        return call

    def _shifted(self, app: _App) -> _Call:
        rng, config = self.rng, self.config
        topic = pick(rng, app.new_topics)
        which = int(rng.random() * len(topic.prompts))
        prompt_t, response_t = topic.prompts[which], pick(rng, topic.answers[which])
        values = fill(rng, topic.slots, prompt_t, response_t)
        if rng.random() < config.shifted_out_of_scope:
            response = pick(rng, app.spec.out_of_scope)
        else:
            response = self._answer(app, render(response_t, values))
        call = _Call(topic.name, self._decorate(render(prompt_t, values)), response, is_shifted=True)
        call.p_negative = config.thumbs_down_shifted
        return call

    def _unsafe(self, app: _App) -> _Call:
        rng, config = self.rng, self.config
        kind = self.unsafe_kind(rng)
        template = pick(rng, self.unsafe_prompts[kind])
        prompt = render(template, fill(rng, self.unsafe.slots, template))
        call = _Call(kind.value, prompt, "", unsafe_kind=kind, p_negative=config.thumbs_down_unsafe)
        if kind is UnsafeKind.TOXIC:
            call.response = pick(rng, self.unsafe.de_escalations)
        elif rng.random() < config.unsafe_refusal_rate:
            call.response = (
                pick(rng, self.unsafe.safe_refusals)
                if rng.random() < GENERIC_REFUSAL_SHARE
                else pick(rng, app.refusals)
            )
            call.is_refusal = True
        else:
            call.response = pick(rng, self.unsafe.leaked_instructions)
        return call

    def _decorate(self, prompt: str) -> str:
        rng = self.rng
        opener, ending = pick(rng, self.common.openers), pick(rng, self.common.endings)
        if opener or ending:
            prompt = f"{opener} {prompt} {ending}".strip()
        if rng.random() < self.config.lowercase_fraction:
            prompt = prompt.lower()
        return prompt

    def _answer(self, app: _App, response: str) -> str:
        closer = pick(self.rng, app.closers)
        response = sentence_case(response)
        return f"{response} {closer}" if closer else response

    def _p_negative(self, app: _App, p: float, tags: dict[str, str], index: int, t: float) -> float:
        for gate, effect in app.segment_effects:
            if tags.get(effect.tag) == effect.value and gate.open(index, t):
                p += effect.thumbs_down
        return min(1.0, max(0.0, p))

    # --- the stream ---------------------------------------------------------------------------------------

    def _push(self, t: float, item: DemoItem) -> None:
        self.sequence += 1
        heapq.heappush(self.pending, (t, self.sequence, item))

    def _new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def items(self) -> Iterator[DemoItem]:
        config, rng = self.config, self.rng
        count = config.count if config.count is not None else math.inf
        end = config.duration_s if config.duration_s is not None else math.inf
        gap = 1.0 / config.rate
        t, index = 0.0, 0
        while index < count:
            if config.arrivals == "poisson":
                t += rng.expovariate(config.rate) if index else 0.0
            else:
                t = index * gap
            if t >= end:
                break
            inference, held = self._inference(index, t)
            while self.pending and self.pending[0][0] <= t:
                yield heapq.heappop(self.pending)[2]
            if not held:
                yield inference
            index += 1
        while self.pending:
            yield heapq.heappop(self.pending)[2]

    def _inference(self, index: int, t: float) -> tuple[DemoItem, bool]:
        """Decide one call, queue its feedback; the item, and whether it is held back in the queue."""
        config, rng = self.config, self.rng
        app = self.app_picker(rng)
        session = self._session(app)
        deployment = app.deployments(rng)
        refusal_rate, latency_factor, version_delta = config.refusal_rate, 1.0, 0.0
        for gate, effect in deployment.effects:
            if gate.open(index, t):
                latency_factor *= effect.latency_factor
                version_delta += effect.thumbs_down
                if effect.refusal_rate is not None:
                    refusal_rate = effect.refusal_rate

        x = rng.random()
        unsafe_share = config.unsafe_fraction if self.unsafe_gate.open(index, t) else 0.0
        shift_share = config.shift_fraction if app.shifted and self.shift_gate.open(index, t) else 0.0
        if x < unsafe_share:
            call = self._unsafe(app)
        elif x < unsafe_share + shift_share:
            call = self._shifted(app)
        else:
            call = self._ordinary(app, session, refusal_rate)
        if config.pii_fraction and rng.random() < config.pii_fraction and self.pii_gate.open(index, t):
            leak, call.pii = self.pii_leak(rng)
            call.response = f"{call.response} {leak}"
            call.p_negative = max(call.p_negative, config.thumbs_down_pii)

        user = session.user
        tags = {"locale": user.locale, "user_tier": user.tier, "channel": session.channel}
        p_negative = self._p_negative(app, call.p_negative + version_delta, tags, index, t)

        model = deployment.model
        tokens_in = (
            app.spec.system_prompt_tokens
            + HISTORY_TOKENS_PER_TURN * (session.turn - 1)
            + len(call.prompt) // CHARS_PER_TOKEN
            + 1
        )
        tokens_out = len(call.response) // CHARS_PER_TOKEN + 1 + int(rng.random() * 4)
        first_token_ms = rng.lognormvariate(math.log(model.latency_median_ms), model.latency_sigma)
        latency_ms = round((first_token_ms + tokens_out * model.ms_per_output_token) * latency_factor, 1)
        cost = round((tokens_in * model.usd_per_mtok_in + tokens_out * model.usd_per_mtok_out) / 1e6, 8)
        event_time = self.start + timedelta(seconds=t)
        event_id = self._new_id()

        timing = None
        if rng.random() < config.feedback_fraction:
            y = rng.random()
            if y < config.feedback_before_fraction:
                timing = FeedbackTiming.BEFORE
            elif y < config.feedback_before_fraction + config.feedback_unknown_fraction:
                timing = FeedbackTiming.UNKNOWN_EVENT
            else:
                timing = FeedbackTiming.AFTER

        truth = Truth(
            index=index,
            app=app.spec.name,
            topic=call.topic,
            is_shifted=call.is_shifted,
            unsafe_kind=call.unsafe_kind,
            pii=call.pii,
            is_refusal=call.is_refusal,
            p_negative=p_negative,
            feedback_timing=timing,
        )
        event = InferenceEvent(
            event_id=event_id,
            event_time=event_time,
            app=app.spec.name,
            model=model.name,
            model_version=deployment.version,
            prompt=call.prompt,
            response=call.response,
            latency_ms=latency_ms,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost,
            user_id=user.user_id,
            session_id=session.session_id,
            tags=tags,
        )
        held = timing is FeedbackTiming.BEFORE
        publish_t = t + config.publish_hold_s if held else t
        item = DemoItem(self.start + timedelta(seconds=publish_t) if held else event_time, event, None, truth)
        if held:
            self._push(publish_t, item)
        if timing is not None:
            self._feedback(call, truth, event_id, user.user_id, t, p_negative)
        return item, held

    def _feedback(self, call: _Call, truth: Truth, event_id: str, user_id: str, t: float, p: float) -> None:
        config, rng = self.config, self.rng
        if truth.feedback_timing is FeedbackTiming.BEFORE:
            delay = config.publish_hold_s * rng.uniform(0.1, 0.8)
        else:
            delay = max(1.0, rng.lognormvariate(self.delay_mu, config.feedback_delay_sigma))
        if truth.feedback_timing is FeedbackTiming.UNKNOWN_EVENT:
            event_id = self._new_id()
        negative = rng.random() < p
        kind = self.negative_kind(rng) if negative else self.positive_kind(rng)
        value: float | None = None
        labels: list[str] = []
        text: str | None = None
        if kind is FeedbackKind.THUMBS:
            value = -1 if negative else 1
        elif kind is FeedbackKind.RATING:
            value = pick(rng, NEGATIVE_RATINGS if negative else POSITIVE_RATINGS)
        elif kind is FeedbackKind.FLAG:
            labels = [pick(rng, self._flag_labels(call))]
        elif kind is FeedbackKind.CORRECTION:
            text = self._correction(call)
        else:
            texts = self.feedback_texts
            text = pick(rng, texts.bad_comments if negative else texts.good_comments)
        feedback = FeedbackEvent(
            feedback_id=self._new_id(),
            event_id=event_id,
            feedback_time=self.start + timedelta(seconds=t + delay),
            kind=kind,
            value=value,
            labels=labels,
            text=text,
            user_id=user_id,
        )
        self._push(t + delay, DemoItem(feedback.feedback_time, None, feedback, truth))

    def _correction(self, call: _Call) -> str:
        """Another answer of the same topic with the same slot values, else a generic remark."""
        rng = self.rng
        if call.source is None or call.is_refusal or len(call.source[0].responses) < 2:
            return pick(rng, self.feedback_texts.generic_corrections)
        topic, given, values = call.source
        other = pick(rng, [t for t in topic.responses if t is not given])
        return sentence_case(render(other, fill(rng, topic.slots, other) | values))

    def _flag_labels(self, call: _Call) -> Sequence[str]:
        texts = self.feedback_texts
        if call.unsafe_kind is not None:
            return texts.unsafe_labels
        if call.pii:
            return texts.pii_labels
        if call.is_refusal:
            return texts.refusal_labels
        if call.is_shifted:
            return texts.shifted_labels
        return texts.ordinary_labels


def generate(config: DemoConfig) -> Iterator[DemoItem]:
    """The demo stream for ``config``, in publish order; the same config always gives the same items."""
    return _Generator(config).items()


def generate_wire(config: DemoConfig) -> Iterator[WireRecord]:
    """The same stream as the records a producer sends (stream, key, JSON value, publish time)."""
    for item in generate(config):
        yield item.to_wire()
