"""One typed view of a live endpoint (a GET or list body), parsed in one place.

The registry hands out raw JSON bodies (the diff compares their projections); everything else
reads the few members that drive decisions through this view instead of re-parsing the body:
name, id, the config update state, active and pending config versions, the tags as a map and
the owner (the ownership tags, judged by ``ownership``, also for the comment markers of Unity
services). Hostile shapes (a state that is not an object, tags that are not a list of
``{key, value}``) read as absent, never as an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.model.vocabulary import EXAMPLE_PROJECT_ID, OWNERSHIP_TAG, PROJECT_ID_TAG

IN_PROGRESS = "IN_PROGRESS"
UPDATE_FAILED = "UPDATE_FAILED"
NOT_UPDATING = "NOT_UPDATING"


# Whose a live resource is, to one project (docs/ownership.md):
# * ours: it carries this project's id (or, for a project without an id, its name and no id);
# * legacy: this project's name without any id, as written before project ids; the project
#   has an id now, so it may be another repository's of the same name: not changed, never
#   pruned, unless the user adopts it (``--adopt-legacy-ownership``);
# * foreign: another project's name, or another repository's id;
# * unowned: no ownership record at all (a manifest may adopt it, prune never sees it).
Ownership = Literal["ours", "legacy", "foreign", "unowned"]


def ownership(name: str | None, ident: str | None, project: str,
              project_id: str | None) -> Ownership:
    """How a resource recorded as owned by ``name`` / ``ident`` (None: not recorded) stands
    to the project ``project`` with ``project_id`` (None: a project without an id). Pure.

    The id decides when there is one: a project renamed with its id kept still owns its
    endpoints (its name tag is rewritten), and a project without an id owns nothing that
    carries one, so a repository that has migrated is safe from one that has not.
    """
    if ident:
        return "ours" if ident == project_id else "foreign"
    if name is None:
        return "unowned"
    if name != project:
        return "foreign"
    return "ours" if project_id is None else "legacy"


def prune_refusal(project_id: str | None) -> str | None:
    """Why ``--prune`` may not run for a project with this id (None: it may).

    Without an id of its own, "ours" would mean "tagged with our project name", which every
    repository copied from the same example shares: prune would delete their endpoints.
    """
    if project_id is None:
        return ("--prune needs a project_id in reconciler.yaml (without one, another "
                "repository with the same project name would lose its endpoints): run "
                "`reconciler migrate-ownership` to add one (docs/ownership.md)")
    if project_id == EXAMPLE_PROJECT_ID:
        return (f"--prune refuses the examples' placeholder project_id {EXAMPLE_PROJECT_ID} "
                "(every copy of the examples shares it): run `reconciler migrate-ownership` "
                "to replace it with one of this repository's own (docs/ownership.md)")
    return None


@dataclass(frozen=True, slots=True)
class Owner:
    """The project that writes: its name and id, as recorded on what apply writes."""

    project: str
    project_id: str | None = None

    def tags(self) -> dict[str, str]:
        """The ownership tags apply writes (the id tag only for a project with an id)."""
        tags = {OWNERSHIP_TAG: self.project}
        if self.project_id:
            tags[PROJECT_ID_TAG] = self.project_id
        return tags


def as_owner(owner: Owner | str) -> Owner:
    """A bare project name is a project without an id."""
    return owner if isinstance(owner, Owner) else Owner(owner)


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

    @property
    def owner_id(self) -> str | None:
        """The project id of the ownership tags; None when absent (or written before ids)."""
        return self.tags.get(PROJECT_ID_TAG) or None

    def ownership(self, project: str, project_id: str | None) -> Ownership:
        return ownership(self.owner, self.owner_id, project, project_id)

    def owned_by(self, project: str, project_id: str | None) -> bool:
        """True when the endpoint is this project's (never for a legacy or foreign one)."""
        return self.ownership(project, project_id) == "ours"

    def owner_text(self) -> str:
        """Who owns it, for messages: the project name, and its id when there is one."""
        name = repr(self.owner) if self.owner is not None else "(no name)"
        return f"project {name}" + (f", id {self.owner_id}" if self.owner_id else "")

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

    def serves(self, names: set[str]) -> bool:
        """The active or the pending config has served entities of all these names (an
        endpoint found where our create was answered "already exists": the one we asked
        for?). A config or entity list of another shape has none."""
        for key in ("pending_config", "config"):
            config = self.raw.get(key)
            entities = config.get("served_entities") if isinstance(config, Mapping) else None
            have = {e.get("name") for e in entities if isinstance(e, Mapping)} \
                if isinstance(entities, list) else set()
            if names <= have:
                return True
        return False
