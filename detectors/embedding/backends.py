"""Build each concrete backend, creating its cached artefact on first use."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from detectors.embedding.artefacts import (
    default_artefact_dir,
    ensure_artefact,
    fingerprint,
    read_json,
    write_json_atomic,
)
from detectors.embedding.base import MODEL_NAME, Embedder
from detectors.embedding.calibration import calibration_texts
from detectors.embedding.export import (
    FLOAT_PATTERNS,
    IR_FILE,
    N_CALIBRATION,
    ONNX_FILE,
    RECIPE_VERSION,
    Progress,
    export_onnx_int8,
    export_openvino_fp32,
    model_identity,
    package_version,
    quantise_openvino_int8,
)
from detectors.embedding.model import default_model_path
from detectors.embedding.tokenizer import BatchTokenizer
from detectors.embedding.validation import Agreement
from schemas.errors import BackendUnavailableError


def stderr_progress(message: str) -> None:
    """Default build progress: a timestamped line on stderr (build steps take seconds to a minute)."""
    print(f"[driftloop embedding {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _require(module: str, backend: str) -> None:
    try:
        __import__(module)
    except ImportError as exc:
        raise BackendUnavailableError(f"backend {backend!r} needs the {module!r} package: {exc}") from exc


class ArtefactStore:
    """Exported models for one source model, cached under ``root`` and built on first use."""

    def __init__(
        self, root: Path | None = None, *, model_path: Path | None = None, progress: Progress = stderr_progress
    ) -> None:
        self.root = Path(root) if root is not None else default_artefact_dir()
        self.model_path = Path(model_path) if model_path is not None else default_model_path()
        self.progress = progress
        self._identity = model_identity(self.model_path)

    def _name(self, variant: str, **extra: str) -> str:
        parts = {**self._identity, "variant": variant, "recipe": RECIPE_VERSION, **extra}
        return f"{MODEL_NAME}-{variant}-r{RECIPE_VERSION}-{fingerprint(parts)}"

    def _built(self, name: str, build: object) -> Path:
        def run(out: Path) -> dict[str, object]:
            self.progress(f"building {name} (once; cached in {self.root})")
            started = time.perf_counter()
            meta = build(out)  # type: ignore[operator]
            self.progress(f"built {name} in {time.perf_counter() - started:.1f}s")
            return meta

        return ensure_artefact(self.root, name, run)

    def openvino_fp32(self) -> Path:
        """Directory of the float IR (also run with a bf16 precision hint)."""
        _require("openvino", "openvino")
        name = self._name("openvino-fp32", openvino=package_version("openvino"))
        return self._built(name, lambda out: export_openvino_fp32(self.model_path, out, progress=self.progress))

    def openvino_int8(self, tokenizer: BatchTokenizer) -> Path:
        """Directory of the NNCF-quantised int8 IR."""
        _require("openvino", "openvino-int8")
        _require("nncf", "openvino-int8")
        fp32 = self.openvino_fp32()
        name = self._name(
            "openvino-int8",
            openvino=package_version("openvino"),
            nncf=package_version("nncf"),
            float_patterns="|".join(FLOAT_PATTERNS),
            calibration=fingerprint({"texts": "\n".join(calibration_texts(N_CALIBRATION))}),
        )
        return self._built(name, lambda out: quantise_openvino_int8(fp32, tokenizer, out, progress=self.progress))

    def onnx_int8(self) -> Path:
        """Directory of the ONNX Runtime dynamic int8 model."""
        _require("onnxruntime", "onnx-int8")
        name = self._name("onnx-int8", onnxruntime=package_version("onnxruntime"), torch=package_version("torch"))
        return self._built(name, lambda out: export_onnx_int8(self.model_path, out, progress=self.progress))

    def tokenizer(self, max_seq_length: int) -> BatchTokenizer:
        """The shipped tokenizer with per-batch padding."""
        return BatchTokenizer(self.model_path / "tokenizer.json", max_seq_length=max_seq_length)

    @staticmethod
    def cached_agreement(artefact: Path, key: str) -> Agreement | None:
        """A validation result stored beside an artefact for ``key`` (backend + CPU), if any."""
        payload = read_json(artefact / f"validation-{fingerprint({'key': key})}.json")
        return Agreement.model_validate(payload) if payload else None

    @staticmethod
    def store_agreement(artefact: Path, key: str, result: Agreement) -> None:
        """Store a validation result beside its artefact."""
        write_json_atomic(artefact / f"validation-{fingerprint({'key': key})}.json", result.model_dump())


def openvino_embedder(
    store: ArtefactStore,
    backend: str,
    *,
    batch_size: int,
    max_seq_length: int,
    num_streams: int = 2,
) -> tuple[Embedder, Path]:
    """The OpenVINO embedder for ``backend`` ("bf16" or "openvino-int8") and its artefact directory."""
    _require("openvino", backend)
    from detectors.embedding.openvino_backend import OpenVINOEmbedder, cpu_capabilities

    tokenizer = store.tokenizer(max_seq_length)
    if backend == "bf16":
        if "BF16" not in cpu_capabilities():
            raise BackendUnavailableError("bf16 needs a CPU with AVX512-BF16 or AMX; OpenVINO reports none here")
        artefact, hint = store.openvino_fp32(), "bf16"
    elif backend == "openvino-int8":
        artefact, hint = store.openvino_int8(tokenizer), "f32"
    else:
        raise ValueError(f"not an OpenVINO backend: {backend!r}")
    embedder = OpenVINOEmbedder(
        artefact / IR_FILE,
        tokenizer,
        name=f"{MODEL_NAME}/{backend}",
        precision_hint=hint,  # type: ignore[arg-type]
        num_streams=num_streams,
        batch_size=batch_size,
    )
    return embedder, artefact


def onnx_int8_embedder(store: ArtefactStore, *, batch_size: int, max_seq_length: int) -> tuple[Embedder, Path]:
    """The ONNX Runtime dynamic int8 embedder and its artefact directory."""
    artefact = store.onnx_int8()
    from detectors.embedding.onnx_backend import OnnxEmbedder

    embedder = OnnxEmbedder(
        artefact / ONNX_FILE,
        store.tokenizer(max_seq_length),
        name=f"{MODEL_NAME}/onnx-int8",
        batch_size=batch_size,
    )
    return embedder, artefact
