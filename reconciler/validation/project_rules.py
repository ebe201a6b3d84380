"""Rules across all endpoints of a project, and the project's policy (DESIGN.md section 2).

``policy.plaintext_secrets``: ``forbid`` (default) refuses every ``*_plaintext`` value;
``env-only`` allows exactly ``${env.NAME}`` (kept verbatim by the loader and resolved at
apply, so no plan or log holds the key); ``allow`` accepts literals too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from reconciler.model.diagnostics import FieldPath, RuleSpec
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.load_rules import PROJECT_ID, TARGET_KIND
from reconciler.validation.provider_rules import external_models, secret_pairs
from reconciler.validation.rules import (
    EndpointDocument,
    Finding,
    Rule,
    ValidationContext,
    locate,
)

# Same shape as loading.interpolation.ENV_REF_PATTERN (validation may not import loading).
_ENV_REFERENCE = re.compile(r"\$\{env\.[A-Za-z_][A-Za-z0-9_]*\}")


def _check_unique_names(
    docs: Sequence[EndpointDocument], _ctx: ValidationContext
) -> Iterator[tuple[EndpointDocument, Finding]]:
    by_name: dict[str, list[EndpointDocument]] = {}
    for doc in docs:
        by_name.setdefault(doc.endpoint.name, []).append(doc)
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        for doc in same:
            others = ", ".join(str(locate(o, ("name",))) for o in same if o is not doc)
            yield doc, (("name",), f"endpoint '{name}' is also declared at {others}")


def _check_providers(ep: ServingEndpoint, ctx: ValidationContext) -> Iterator[Finding]:
    allowed = ctx.policy.allowed_providers
    if allowed is None:
        return
    for path, model in external_models(ep):
        if model.provider is not None and model.provider not in allowed:
            yield (
                (*path, "provider"),
                (
                    f"provider '{model.provider}' is not allowed by the project policy "
                    f"(allowed: {', '.join(allowed) or 'none'})"
                ),
            )


def _check_rate_limits_required(ep: ServingEndpoint, ctx: ValidationContext) -> Iterator[Finding]:
    if not ctx.policy.require_rate_limits:
        return
    gateway = ep.ai_gateway.rate_limits if ep.ai_gateway is not None else None
    if not ep.rate_limits and not gateway:
        yield (), f"endpoint '{ep.name}' has no rate limits; the project policy requires them"


def _check_required_tags(ep: ServingEndpoint, ctx: ValidationContext) -> Iterator[Finding]:
    tags = ep.tag_map()
    missing = [t for t in ctx.policy.required_tags if not tags.get(t)]
    if missing:
        path: FieldPath = ("tags",) if ep.tags is not None else ()
        yield path, f"missing required tag{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"


def plaintext_values(ep: ServingEndpoint) -> Iterator[tuple[FieldPath, str]]:
    """Every ``*_plaintext`` value of the endpoint with its path."""
    for pair in secret_pairs(ep):
        if pair.plain_value is not None:
            yield (*pair.where, pair.plain), pair.plain_value


def _check_plaintext(ep: ServingEndpoint, ctx: ValidationContext) -> Iterator[Finding]:
    mode = ctx.policy.plaintext_secrets
    if mode == "allow":
        return
    for path, value in plaintext_values(ep):
        field = path[-1]
        if mode == "forbid":
            yield (
                path,
                (
                    f"'{field}' is forbidden by the project policy (plaintext_secrets: "
                    "forbid); use a {{secrets/scope/key}} reference"
                ),
            )
        elif not _ENV_REFERENCE.fullmatch(value):
            yield (
                path,
                (
                    f"'{field}' holds a literal secret; the project policy (plaintext_secrets: "
                    "env-only) allows only ${env.NAME} or a {{secrets/scope/key}} reference"
                ),
            )


PROJECT_RULES: tuple[RuleSpec, ...] = (
    Rule(
        "PROJECT-001",
        "Endpoint names are unique across all manifests (every location is reported).",
        "project",
        project_check=_check_unique_names,
    ),
    TARGET_KIND,  # reported by the project loader (reconciler.yaml is read first)
    PROJECT_ID,  # the same
)

POLICY_RULES: tuple[Rule, ...] = (
    Rule(
        "POLICY-001",
        "External models use only `policy.allowed_providers`.",
        "policy",
        check=_check_providers,
    ),
    Rule(
        "POLICY-002",
        "With `policy.require_rate_limits`, every endpoint has rate limits.",
        "policy",
        check=_check_rate_limits_required,
    ),
    Rule(
        "POLICY-003",
        "Every endpoint has the tags in `policy.required_tags`, with a value.",
        "policy",
        check=_check_required_tags,
    ),
    Rule(
        "POLICY-004",
        "`*_plaintext` fields follow `policy.plaintext_secrets` (forbid | env-only | allow).",
        "policy",
        check=_check_plaintext,
    ),
)
