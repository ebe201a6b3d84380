"""The field list shown for an endpoint that is about to be created.

A create has no "old" side; the plan still lists every field the manifest sets (as
Terraform shows a new resource's attributes), keyed like diff paths, so a reviewer sees
what will exist. Plaintext secrets appear masked; a ``${env.NAME}`` reference stays
readable (it is not a secret). Pure.
"""

from __future__ import annotations

import sys
from typing import Any

from reconciler.diff import desired, fields
from reconciler.diff.changes import FieldChange
from reconciler.diff.facets import facet_of_key
from reconciler.diff.normalise import keyed_wire, project
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import Owner
from reconciler.redaction import redact_data


def creation_changes(endpoint: ServingEndpoint, owner: Owner | str) -> list[FieldChange]:
    body = desired.desired_body(endpoint, owner)
    keyed = redact_data(keyed_wire(project(body, ServingEndpoint)))
    legacy = desired.uses_legacy_rate_limits(endpoint)
    out: list[FieldChange] = []

    def walk(value: Any, segments: list[str]) -> None:
        if isinstance(value, dict) and value:
            for key, child in value.items():
                walk(child, [*segments, str(key)])
            return
        if value is None or segments == ["name"]:
            return
        # A plan of 10,000 creates holds 100,000 of these: equal paths share one string, and
        # only fields that differ from their defaults are passed (pydantic keeps a set of
        # the fields given per instance; four fit its smallest set, six do not).
        path = sys.intern(fields.render_path(segments))
        extra: dict[str, Any] = {}
        facet = facet_of_key(segments[0])
        if facet is not None:
            extra["facet"] = facet
        if legacy and segments[0] == "ai_gateway":
            extra["origin"] = "from legacy rate_limits"
        out.append(FieldChange(path=path, new=value, impact="create", **extra))

    walk(keyed, [])
    return out
