"""The explicit list of every rule, in the order ``--list-rules`` and docs/rules.md show."""

from __future__ import annotations

from reconciler.validation.endpoint_rules import ENDPOINT_RULES
from reconciler.validation.load_rules import LOAD_RULES
from reconciler.validation.permission_rules import PERMISSION_POLICY_RULES, PERMISSION_RULES
from reconciler.validation.project_rules import POLICY_RULES, PROJECT_RULES
from reconciler.validation.provider_rules import PROVIDER_RULES
from reconciler.validation.rules import Rule
from reconciler.validation.smoke_rules import SMOKE_RULES
from reconciler.validation.unity_rules import UNITY_RULES

RULES: tuple[Rule, ...] = (
    *PROVIDER_RULES, *ENDPOINT_RULES, *SMOKE_RULES, *PERMISSION_RULES, *PROJECT_RULES,
    *POLICY_RULES, *PERMISSION_POLICY_RULES,
    *UNITY_RULES,  # UNITY-*: run by unity_rules.validate
)
"""Rules with a check function (provider, endpoint, project and policy layers)."""

ALL_RULES: tuple[Rule, ...] = (*LOAD_RULES, *RULES)
"""Every rule ID the tool can report, including those the loader reports itself."""


def rule_by_id(rule_id: str) -> Rule | None:
    return next((r for r in ALL_RULES if r.id == rule_id), None)
