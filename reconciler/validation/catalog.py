"""The explicit list of every rule, in the order ``--list-rules`` and docs/rules.md show."""

from __future__ import annotations

from reconciler.model.diagnostics import RuleSpec
from reconciler.model.load_rules import LOAD_RULES
from reconciler.validation.endpoint_rules import ENDPOINT_RULES
from reconciler.validation.permission_rules import PERMISSION_POLICY_RULES, PERMISSION_RULES
from reconciler.validation.project_rules import POLICY_RULES, PROJECT_RULES
from reconciler.validation.provider_rules import PROVIDER_RULES
from reconciler.validation.settings_rules import SETTINGS_RULES
from reconciler.validation.smoke_rules import SMOKE_RULES
from reconciler.validation.throughput_rules import THROUGHPUT_RULES
from reconciler.validation.unity_rules import UNITY_RULES

RULES: tuple[RuleSpec, ...] = (
    *PROVIDER_RULES, *ENDPOINT_RULES, *SETTINGS_RULES, *THROUGHPUT_RULES, *SMOKE_RULES,
    *PERMISSION_RULES, *PROJECT_RULES, *POLICY_RULES, *PERMISSION_POLICY_RULES,
    *UNITY_RULES,  # UNITY-*: run by unity_rules.validate
)
"""Rules of the provider, endpoint, project and policy layers (all but PROJECT-002 have a check
function; that one the project loader reports)."""

ALL_RULES: tuple[RuleSpec, ...] = (*LOAD_RULES, *RULES)
"""Every rule ID the tool can report, including those the loader reports itself."""


def rule_by_id(rule_id: str) -> RuleSpec | None:
    return next((r for r in ALL_RULES if r.id == rule_id), None)
