"""Domain words every layer shares, defined once: facets, reserved tags, Databricks' prefix.

Lives at the bottom (model) so that diff, planning, applying, registry and validation can all
import it without importing each other. The per-facet behaviour (which step writes a facet,
its impact, guarded or last-writer-wins, its drift mark) is the facet table in
``reconciler.diff.facets``; this module holds only the names.
"""

from __future__ import annotations

from typing import Literal, get_args

# In the order apply writes facets in, and renderers list them (a test ties it to the table).
# Telemetry goes before tags, so the tags patch carrying the applied marks follows it;
# permissions go last (their own API, keyed by the endpoint id).
Facet = Literal["config", "ai_gateway", "telemetry", "tags", "notifications", "permissions"]
FACET_ORDER: tuple[Facet, ...] = get_args(Facet)

# Endpoints Databricks provides (pay-per-token foundation models): adopt-only, never created
# or deleted, only their AI Gateway settings and tags are managed.
SYSTEM_ENDPOINT_PREFIX = "databricks-"

# Tags the reconciler writes and reads itself; a manifest may not set them (validation), the
# diff never removes them.
RESERVED_TAG_PREFIX = "reconciler-"
OWNERSHIP_TAG = "reconciler-project"  # value: the project that owns the endpoint
# value: the owning project's ``project_id`` (reconciler.yaml), random per repository, so two
# repositories with one project name do not own each other's endpoints (docs/ownership.md).
PROJECT_ID_TAG = "reconciler-project-id"
SECRETS_TAG = "reconciler-secrets"  # value: salted digest of the plaintext keys last sent
APPLIED_TAG = "reconciler-applied"  # value: per-facet digests of what apply last wrote
NORMALISED_TAG = "reconciler-normalised"  # value: digest of the values the service rewrote


# The placeholder ``project_id`` of examples/reconciler.yaml: every copy of the examples
# shares it, so validation warns about it and ``--prune`` refuses it like a missing id.
EXAMPLE_PROJECT_ID = "example-replace-me"
PROJECT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{7,63}$"


def is_system_endpoint(name: str) -> bool:
    return name.startswith(SYSTEM_ENDPOINT_PREFIX)


def is_reserved_tag(key: str) -> bool:
    return key.startswith(RESERVED_TAG_PREFIX)
