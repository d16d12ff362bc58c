"""Privacy before storage: redact PII in texts and pseudonymise user and session ids.

Applied by the worker after scoring, so detectors see the original text and the store never
does. Embeddings are of the original text too: they are not reversible to it.

>>> from datetime import UTC, datetime
>>> from schemas import InferenceEvent, ScoredInference
>>> event = InferenceEvent(event_id="e", event_time=datetime.now(UTC), app="a", model="m", user_id="alice",
...                        prompt="mail me at jo@example.org", response="ok")
>>> row = ScoredInference(event=event, received_at=datetime.now(UTC))
>>> private = Privacy(redact_pii=True, id_hash_key=b"k").apply(row).event
>>> private.prompt, private.user_id != "alice", len(private.user_id)
('mail me at [EMAIL]', True, 32)
"""

from __future__ import annotations

import hashlib
import hmac

from detectors.safety import redact
from infra.settings import PrivacySettings
from schemas import ScoredFeedback, ScoredInference


class Privacy:
    def __init__(self, *, redact_pii: bool = False, id_hash_key: bytes | None = None) -> None:
        self.redact_pii = redact_pii
        self.id_hash_key = id_hash_key

    @classmethod
    def from_settings(cls, settings: PrivacySettings) -> Privacy:
        key = settings.id_hash_key.get_secret_value().encode() if settings.pseudonymise_ids else None
        return cls(redact_pii=settings.redact_pii, id_hash_key=key)

    @property
    def active(self) -> bool:
        return self.redact_pii or self.id_hash_key is not None

    def pseudonym(self, value: str | None) -> str | None:
        """A stable keyed hash: the same id always maps to the same pseudonym, and cannot be reversed."""
        if value is None or self.id_hash_key is None:
            return value
        return hmac.new(self.id_hash_key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def apply_feedback(self, row: ScoredFeedback) -> ScoredFeedback:
        if not self.active:
            return row
        feedback = row.feedback
        changes: dict[str, str | None] = {"user_id": self.pseudonym(feedback.user_id)}
        if self.redact_pii and feedback.text is not None:
            changes["text"] = redact(feedback.text)[0]
        return row.model_copy(update={"feedback": feedback.model_copy(update=changes)})

    def apply(self, row: ScoredInference) -> ScoredInference:
        if not self.active:
            return row
        event = row.event
        changes: dict[str, str | None] = {}
        if self.redact_pii:
            changes["prompt"] = redact(event.prompt)[0]
            changes["response"] = redact(event.response)[0]
        if self.id_hash_key is not None:
            changes["user_id"] = self.pseudonym(event.user_id)
            changes["session_id"] = self.pseudonym(event.session_id)
        return row.model_copy(update={"event": event.model_copy(update=changes)})
