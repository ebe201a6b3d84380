"""Run every semantic rule over loaded endpoints. Pure: no I/O, no printing, no clock."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.model.diagnostics import Issue
from reconciler.model.project import Policy
from reconciler.validation import catalog
from reconciler.validation.rules import EndpointDocument, Rule, ValidationContext


def validate_endpoints(
    docs: Sequence[EndpointDocument], policy: Policy | None = None
) -> list[Issue]:
    """Issues of the provider, endpoint, project and policy layers for ``docs``.

    Structural problems were already reported by the loader, which only hands over
    documents that built into models, so every rule here may trust the field types.
    """
    ctx = ValidationContext(policy if policy is not None else Policy())
    issues: list[Issue] = []
    for rule in catalog.RULES:
        if isinstance(rule, Rule):  # not a rule the loader reports (PROJECT-002)
            issues.extend(rule.run(docs, ctx))
    return issues
