"""After a config write: values the service kept instead of those sent (docs/apply.md).

Reads the endpoint once its create or config update is done and compares it with the config
apply sent (reconciler.diff.normalised). Each field the service normalised is reported as a
warning naming the value it keeps, and recorded in the reserved ``reconciler-normalised``
tag, so the next plans do not send it again while the manifest's config is unchanged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from reconciler.diff import normalised
from reconciler.diff.desired import CONFIG_KEYS
from reconciler.model.steps import CreateStep, UpdateConfigStep
from reconciler.model.vocabulary import NORMALISED_TAG
from reconciler.planning.plan import EndpointAction
from reconciler.registry import RegistryClient

log = logging.getLogger(__name__)


def sent_config(action: EndpointAction) -> dict[str, Any] | None:
    """The config the action wrote: its config update's body, or the config of its create
    (its ``config.*`` members as a ``PUT .../config`` would send them), if it has one.

    Creates are checked too, at the price of one GET per created endpoint once it is ready
    (apply waits for creates by polling the list, whose summaries lack the fields a service
    normalises): without it, a value normalised at create would show in the next plan as a
    rolling update.
    """
    config: dict[str, Any] | None = None
    for step in action.steps:
        if isinstance(step, UpdateConfigStep):
            config = dict(step.body)
        elif isinstance(step, CreateStep) and isinstance(step.body.get("config"), dict):
            config = {k: v for k, v in step.body["config"].items() if k in CONFIG_KEYS}
    return config


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
    kept = normalised.kept_values(config, view, action.name, project)
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
