"""Where the embedded data and prompt files live, for both a source checkout and an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """``bot/_data`` in a built wheel, the repository's ``data/`` in a checkout or editable install."""
    bundled = _PACKAGE_DIR / "_data"
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / "data"


def prompts_dir() -> Path:
    bundled = _PACKAGE_DIR / "_prompts"
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / "prompts"
