"""One typed view of a live endpoint (a GET or list body), parsed in one place.

The registry hands out raw JSON bodies (the diff compares their projections); everything else
reads the few members that drive decisions through this view instead of re-parsing the body:
name, id, the config update state, active and pending config versions, the tags as a map and
the owner (the ownership tag). Hostile shapes (a state that is not an object, tags that are
not a list of ``{key, value}``) read as absent, never as an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model.vocabulary import OWNERSHIP_TAG

IN_PROGRESS = "IN_PROGRESS"
UPDATE_FAILED = "UPDATE_FAILED"
NOT_UPDATING = "NOT_UPDATING"


def key_tags(tags: Any) -> dict[str, str]:
    """Tags as a ``{key: value}`` map, from the API's list of ``{key, value}`` or a map."""
    if isinstance(tags, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    if not isinstance(tags, list):
        return out
    for tag in tags:
        if isinstance(tag, Mapping) and tag.get("key") is not None:
            value = tag.get("value")
            out[str(tag["key"])] = "" if value is None else str(value)
    return out


def _version(config: Any) -> int | None:
    if isinstance(config, Mapping) and isinstance(config.get("config_version"), int):
        return int(config["config_version"])
    return None


@dataclass(frozen=True, slots=True)
class LiveEndpoint:
    name: str
    id: str | None
    config_update: str
    config_version: int | None
    pending_config_version: int | None
    tags: Mapping[str, str]
    raw: Mapping[str, Any]

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> LiveEndpoint:
        state = body.get("state")
        update = state.get("config_update") if isinstance(state, Mapping) else None
        ident = body.get("id")
        return cls(
            name=str(body.get("name", "")),
            id=ident if isinstance(ident, str) else None,
            config_update=update if isinstance(update, str) else NOT_UPDATING,
            config_version=_version(body.get("config")),
            pending_config_version=_version(body.get("pending_config")),
            tags=key_tags(body.get("tags")),
            raw=body,
        )

    @property
    def owner(self) -> str | None:
        """The project named by the ownership tag; None when the tag is absent."""
        return self.tags.get(OWNERSHIP_TAG)

    def owned_by(self, project: str) -> bool:
        return self.owner == project

    @property
    def updating(self) -> bool:
        return self.config_update == IN_PROGRESS

    @property
    def update_failed(self) -> bool:
        return self.config_update == UPDATE_FAILED

    def effective_raw(self) -> dict[str, Any]:
        """The body to compare: with a config update in flight, the pending config.

        The pending config is what the endpoint will run once the update finishes; comparing
        against the old active config would plan the same update a second time. A failed or
        cancelled update leaves the active config in charge, whatever else the server still
        reports (an absent state counts as in flight, as the API omits it while creating).
        """
        body = dict(self.raw)
        pending = self.raw.get("pending_config")
        state = self.raw.get("state")
        update = state.get("config_update") if isinstance(state, Mapping) else None
        if isinstance(pending, Mapping) and pending and update in (None, IN_PROGRESS):
            body["config"] = pending
        return body
