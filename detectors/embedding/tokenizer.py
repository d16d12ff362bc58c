"""Fast tokenisation with the shipped ``tokenizer.json``, padded per batch instead of to a fixed 128."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from detectors.embedding.model import check_max_seq_length

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class BatchTokenizer:
    """Tokenises texts once, then pads each length-sorted batch only to its own longest text.

    Parameters
    ----------
    tokenizer_json
        The model's ``tokenizer.json`` (its fixed padding to 128 is switched off here).
    max_seq_length
        Tokens kept per text, special tokens included.
    """

    def __init__(self, tokenizer_json: Path, *, max_seq_length: int = 128) -> None:
        from tokenizers import Tokenizer

        self.max_seq_length = check_max_seq_length(max_seq_length)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)

    def tokenise(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, unpadded (``[CLS] ... [SEP]``, truncated)."""
        return [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]

    @staticmethod
    def pad(ids: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        """Model inputs for one batch, right-padded with id 0 to the batch's longest sequence.

        Examples
        --------
        >>> batch = BatchTokenizer.pad([[101, 7, 102], [101, 102]])
        >>> batch["input_ids"].tolist(), batch["attention_mask"].tolist()
        ([[101, 7, 102], [101, 102, 0]], [[1, 1, 1], [1, 1, 0]])
        """
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        attention_mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            attention_mask[i, : len(row)] = 1
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        }

    def __call__(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Model inputs for ``texts`` as one batch (used for calibration and export)."""
        return self.pad(self.tokenise(texts))
