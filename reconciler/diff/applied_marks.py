"""Applied marks: who moved a facet, the repository or someone in the workspace? Pure.

There is no state file, so a difference between a manifest and its live endpoint does not say
by itself which side changed. Apply leaves a fingerprint behind: the reserved tag
``reconciler-applied`` holds a short hash of each facet as the manifest described it when it
was last written (``c=<8 hex>,g=...,t=...,n=...,p=...`` for config, ai_gateway, tags,
notifications and permissions; a facet the manifest does not manage has no entry). It
travels in the create body or in the tags PATCH that apply sends anyway, so recording it
costs at most one extra PATCH per apply and nothing on a tag-only change.

At plan time, for a facet that differs:

* the manifest's facet still hashes to the recorded mark: the repository did not change it,
  so the live side moved — ``drift`` (changed outside the repository);
* it hashes to something else (or the facet has no mark yet): the manifest changed —
  ``repository``;
* the endpoint has no mark at all (created by hand, or adopted): ``unknown``.

A config update that ended in ``UPDATE_FAILED`` rolled back to the old config: the mark may
claim the new config although it never landed, so config differences then count as
``repository``. Changes to reserved tags other than the ownership tag (e.g. the secret digest)
come from the environment the apply runs in, so they count as ``repository`` too.

The hashes are taken over the minimal form (``reconciler.diff.normalise``), so reordering a
list or writing a default explicitly does not move them. Reserved ``reconciler-*`` tags are
left out of the tags hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.diff.changes import Cause, Facet, FieldChange
from reconciler.diff.desired import desired_body
from reconciler.diff.facets import FACET_BY_NAME, FACETS
from reconciler.diff.fields import OWNERSHIP_TAG, is_reserved_tag
from reconciler.diff.normalise import minimal_form
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint
from reconciler.model.permissions import direct_grants
from reconciler.model.vocabulary import APPLIED_TAG as APPLIED_TAG

# One letter per facet in the tag value (the facet table's ``mark``); the order is the
# order written.
MARK_KEYS: dict[Facet, str] = {spec.name: spec.mark for spec in FACETS}
_FACET_OF_KEY = {letter: facet for facet, letter in MARK_KEYS.items()}
HASH_LENGTH = 8

Marks = dict[Facet, str]


def _short_hash(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def facet_marks(desired_form: Mapping[str, Any]) -> Marks:
    """The mark of every facet the manifest manages, from its minimal form.

    Tags are always managed (the manifest's tags are authoritative), the other facets only
    when the manifest writes their block.
    """
    marks: Marks = {}
    for spec in FACETS:
        value = desired_form.get(spec.key)
        if spec.mark_form is not None:
            value = spec.mark_form(value)
        elif value is None:
            continue
        marks[spec.name] = _short_hash(value)
    return marks


def manifest_marks(endpoint: ServingEndpoint) -> Marks:
    """The marks of a manifest: a function of the manifest alone (never of the live side),
    so the value apply writes and the value plan checks are computed the same way."""
    marks = facet_marks(minimal_form(desired_body(endpoint, ""), endpoint.name))
    if endpoint.permissions is not None:
        marks["permissions"] = _short_hash(sorted(
            [*principal.identity, level]
            for principal, level in direct_grants(endpoint.permissions).items()))
    return marks


def format_marks(marks: Mapping[Facet, str]) -> str:
    """``c=1a2b3c4d,t=...`` in the fixed facet order."""
    return ",".join(f"{MARK_KEYS[f]}={marks[f]}" for f in MARK_KEYS if f in marks)


def parse_marks(value: str | None) -> Marks | None:
    """The marks in a tag value; None when there is no tag. Unknown parts are ignored, so a
    value written by a newer reconciler (or edited by hand) never fails a plan."""
    if value is None:
        return None
    marks: Marks = {}
    for part in value.split(","):
        letter, _, digest = part.strip().partition("=")
        facet = _FACET_OF_KEY.get(letter)
        if facet is not None and digest:
            marks[facet] = digest
    return marks


def live_marks(live: LiveEndpoint) -> Marks | None:
    """The marks recorded on a live endpoint (read from a GET or list body)."""
    return parse_marks(live_mark_value(live))


def live_mark_value(live: LiveEndpoint) -> str | None:
    return live.tags.get(APPLIED_TAG)


def change_cause(
    change: FieldChange, wanted: Mapping[Facet, str], recorded: Marks | None,
    update_failed: bool = False,
) -> Cause:
    """Which side moved for one change (see the module docstring)."""
    if change.path.startswith("tags[") and is_reserved_tag(change.path[5:-1]) \
            and change.path != f"tags[{OWNERSHIP_TAG}]":
        return "repository"
    if "_plaintext" in change.path:
        # A plaintext key is write-only: a difference there is a rotated key in the
        # environment apply runs in, never something seen on the live side.
        return "repository"
    if recorded is None:
        return "unknown"
    facet = change.facet
    if facet is None:
        # Top-level fields (description, route_optimized) have no update API: only a
        # recreate, which writes fresh marks, could have moved them.
        return "repository"
    if update_failed and FACET_BY_NAME[facet].starts_update:
        # The failed update rolled back: the mark may describe what never landed.
        return "repository"
    mark = recorded.get(facet)
    return "drift" if mark is not None and mark == wanted.get(facet) else "repository"


def classify_changes(
    changes: Iterable[FieldChange], wanted: Mapping[Facet, str], live: LiveEndpoint
) -> list[FieldChange]:
    """``changes`` with ``cause`` set; ``wanted``: the manifest's marks (``manifest_marks``)."""
    recorded = live_marks(live)
    failed = live.update_failed
    return [
        c.model_copy(update={"cause": change_cause(c, wanted, recorded, failed)})
        for c in changes
    ]


def drifted_facets(changes: Iterable[FieldChange]) -> list[Facet]:
    """The facets with at least one change made outside the repository."""
    found = {c.facet for c in changes if c.cause == "drift" and c.facet is not None}
    return [f for f in MARK_KEYS if f in found]
