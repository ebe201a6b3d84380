"""After a config write: values the service kept instead of those sent (docs/apply.md).

Reads the endpoint once its config update is done and compares it with the config apply
sent (reconciler.diff.normalised). Each field the service normalised is reported as a
warning naming the value it keeps, and recorded in the reserved ``reconciler-normalised``
tag, so the next plans do not send it again while the manifest's config is unchanged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from reconciler.diff import normalised
from reconciler.model.steps import UpdateConfigStep
from reconciler.model.vocabulary import NORMALISED_TAG
from reconciler.planning.plan import EndpointAction
from reconciler.registry import RegistryClient

log = logging.getLogger(__name__)


def sent_config(action: EndpointAction) -> dict[str, Any] | None:
    """The config body of the action's config update, if it has one.

    Creates are left out on purpose: apply waits for them by polling the list (one call for
    all endpoints), and a GET per created endpoint would double the cost of a large first
    apply. A value the service normalises at create shows in the next plan once, and the
    config update that plan sends records it.
    """
    for step in action.steps:
        if isinstance(step, UpdateConfigStep):
            return dict(step.body)
    return None


async def record_normalised(
    registry: RegistryClient, action: EndpointAction, project: str
) -> list[str]:
    """Warnings (also logged) for each field the service kept another value of; the record
    tag is written when there are any. An unreadable or still-updating endpoint: nothing."""
    config = sent_config(action)
    if not config:
        return []
    view = await registry.read_endpoint(action.name)
    if view is None or view.updating:
        return []
    fresh = view.raw
    kept = normalised.kept_values(config, fresh, action.name, project)
    if not kept:
        return []
    notes = [
        f"the service keeps {k.path} = {json.dumps(k.kept)} (sent {json.dumps(k.sent)}); "
        "recorded, not planned again while the manifest is unchanged"
        for k in kept
    ]
    for note in notes:
        log.warning("%s: %s", action.name, note)
    mark = normalised.config_mark_of(config, action.name)
    value = normalised.record_value(mark, kept)
    if view.tags.get(NORMALISED_TAG) != value:
        await registry.patch_tags(
            action.name, add=[{"key": NORMALISED_TAG, "value": value}], delete=[])
    return notes
