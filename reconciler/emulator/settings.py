"""The emulator's knobs, shared by in-process use and ``reconciler emulator serve``."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CREATOR = "emulator@localhost"
# A path inside a config: members, ``[]`` after a list for each of its elements.
NORMALISE_PATH = re.compile(r"^[a-z_]+(\[\])?(\.[a-z_]+(\[\])?)*$")


def parse_normalise(text: str) -> tuple[str, Any]:
    """``FIELD=VALUE`` of ``emulator serve --normalise``: VALUE is JSON (``false``, ``3``,
    ``"Small"``), or a plain string when it is not JSON (``Small``)."""
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError(f"expected FIELD=VALUE, e.g. served_entities[].scale_to_zero_enabled="
                         f"false; got {text!r}")
    check_normalise_path(path)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return path, value


def check_normalise_path(path: str) -> None:
    if not NORMALISE_PATH.match(path) or path.endswith("[]"):
        raise ValueError(f"normalise: {path!r} is not a field path inside a config, such as "
                         "served_entities[].scale_to_zero_enabled ([] for every element)")


@dataclass(frozen=True)
class EmulatorSettings:
    """How one emulator instance behaves.

    ``db_path`` None keeps the data in a private in-memory database; a path is a SQLite file
    that several processes may open at once. ``token`` None disables auth (the in-process
    local target); a server always has one. ``ready_after`` is how long (seconds) a create
    or config update stays in progress, measured from timestamps at read time.
    ``fault_rate`` and ``drop_rate`` are shares of requests answered 429/503 or dropped,
    drawn from a generator seeded by ``seed`` so a run can be replayed. ``creator`` is the
    token's identity (``--user-name``): it creates endpoints and is what SCIM ``Me`` answers.
    """

    db_path: Path | None = None
    token: str | None = None
    ready_after: float = 0.0
    latency_ms: int = 0
    fault_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int | None = None
    request_log: Path | None = None
    retry_after_seconds: int = 1
    # Above this many API requests in any one second, answer 429 with Retry-After, as a
    # throttled workspace does (0: no limit).
    max_rps: float = 0.0
    creator: str = DEFAULT_CREATOR
    enforce_unity_gateway: bool = False  # see unity_enforcement
    # Fields the service normalises: config path (``[]`` for every element) -> the value it
    # keeps whatever is sent, e.g. {"served_entities[].scale_to_zero_enabled": False}, as
    # some foundation-model endpoints do (docs/emulator.md). Applied to every config write.
    normalise: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Knobs come from the command line and tests; refuse nonsense early and plainly.
        if self.token is not None and not self.token.strip():
            raise ValueError("token must not be empty (None is the in-process local target)")
        if not math.isfinite(self.max_rps) or self.max_rps < 0:
            raise ValueError(f"max_rps must be a finite number >= 0, got {self.max_rps}")
        for name in ("ready_after", "fault_rate", "drop_rate"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)}")
        if self.ready_after < 0:
            raise ValueError("ready_after must be >= 0 seconds")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        for name in ("fault_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.fault_rate + self.drop_rate > 1.0:
            raise ValueError("fault_rate + drop_rate must not exceed 1")
        if not self.creator.strip():
            raise ValueError("creator (the user name) must not be empty")
        if self.retry_after_seconds < 0:
            raise ValueError("retry_after_seconds must be >= 0")
        for path in self.normalise:
            check_normalise_path(path)
