"""Values the service keeps instead of the ones sent (it "normalises" them). Pure.

Some settings come back different whatever is sent: ``scale_to_zero_enabled`` on some
foundation-model endpoints is ``false`` after any write. A plan would then show the same
rolling update on every run. Instead, after a config write apply compares what it sent with
what the service kept (``kept_values``), warns naming each field and the value kept, and
records them in the reserved tag ``reconciler-normalised`` beside the applied marks:

    <config mark>:<hash of the kept values>

The config mark is the one of ``reconciler.diff.applied_marks`` (a function of the manifest
alone). While the manifest's config is unchanged and the plan's config changes are exactly
the recorded ones, the plan drops them (``is_recorded``) and says why; once the manifest
changes, everything is compared again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.diff import applied_marks
from reconciler.diff.changes import FieldChange
from reconciler.diff.compare import compare_endpoint
from reconciler.diff.normalise import minimal_form
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint
from reconciler.model.vocabulary import NORMALISED_TAG

_HASH = 8


@dataclass(frozen=True)
class KeptValue:
    path: str
    sent: Any
    kept: Any


def _hash(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:_HASH]


def config_mark(endpoint: ServingEndpoint) -> str | None:
    """The ``c`` applied mark of a manifest (None when it has no config)."""
    return applied_marks.manifest_marks(endpoint).get("config")


def config_mark_of(config: Mapping[str, Any], name: str) -> str:
    """The same ``c`` mark, from the config body apply sent."""
    form = minimal_form({"name": name, "config": dict(config)}, name)
    return applied_marks.facet_marks(form).get("config", "")


def kept_values(
    sent_config: Mapping[str, Any], live: LiveEndpoint, name: str, project: str
) -> list[KeptValue]:
    """Fields of the config sent that the live endpoint holds with another value: the config
    changes a plan would show for a manifest made of that config (the same diff)."""
    sent = ServingEndpoint.model_validate({"name": name, "config": dict(sent_config)})
    diff = compare_endpoint(sent, live, project)
    return [KeptValue(c.path, c.new, c.old) for c in diff.changes if c.facet == "config"]


def record_value(mark: str, kept: Iterable[KeptValue]) -> str:
    return f"{mark}:{_hash(sorted([k.path, k.sent, k.kept] for k in kept))}"


def is_recorded(live: LiveEndpoint, mark: str | None,
                changes: Iterable[FieldChange]) -> bool:
    """The live endpoint records exactly these config ``changes`` as the service's values,
    for a manifest config with this ``mark``."""
    recorded = live.tags.get(NORMALISED_TAG)
    if not recorded or mark is None:
        return False
    kept = [KeptValue(c.path, c.new, c.old) for c in changes]
    return bool(kept) and recorded == record_value(mark, kept)
