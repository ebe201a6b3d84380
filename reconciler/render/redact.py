"""Masking and formatting of plan values for every renderer.

Renderers never print a value straight from a plan: ``display_value`` masks ``*_plaintext``
fields (a literal becomes ``(sensitive)``; a ``${env.NAME}`` reference is not a secret and
stays readable, as in reconciler.redaction) and any secret the process has seen, then
formats it as compact JSON.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.redaction import MASK, is_plaintext_field, redact_data, redact_text


def _last_field(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def mask_value(path: str, value: Any) -> Any:
    """``value`` safe to show at ``path``."""
    if value is not None and is_plaintext_field(_last_field(path)):
        if isinstance(value, str) and value.startswith("${env.") and value.endswith("}"):
            return value
        return MASK
    return redact_data(value)


def display_value(path: str, value: Any) -> str:
    """The masked value as one line of compact JSON (``"text"``, ``20``, ``true``)."""
    masked = mask_value(path, value)
    if masked == MASK:
        return MASK
    return redact_text(json.dumps(masked, ensure_ascii=False, separators=(", ", ": ")))


def safe_text(text: str) -> str:
    """Free text (reasons, names) with registered secrets masked."""
    return redact_text(text)
