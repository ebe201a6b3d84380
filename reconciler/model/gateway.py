"""AI Gateway settings and rate limits (API reference section 5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from reconciler.model.base import Bool, Int, ManifestModel

RateLimitKey = Literal["endpoint", "user", "user_group", "service_principal"]
PiiBehavior = Literal["NONE", "BLOCK", "MASK"]


class LegacyRateLimit(ManifestModel):
    """Top-level ``rate_limits`` (deprecated API shape, as in the MLflow examples).

    The reconciler applies these as AI Gateway rate limits, because GET never returns the
    legacy ones and so they could never be compared.
    """

    calls: Int | None = None
    renewal_period: Literal["minute"] | None = None
    key: Literal["user", "endpoint"] | None = None


class AiGatewayRateLimit(ManifestModel):
    calls: Int | None = None
    tokens: Int | None = None
    key: RateLimitKey | None = None
    principal: str | None = None
    renewal_period: Literal["minute"] | None = None


RATE_LIMIT_METRICS = ("calls", "tokens")


def rate_limit_slots(limit: Mapping[str, Any]) -> list[tuple[str, str | None, str]]:
    """The (key, principal, metric) slots a rate limit fills: the uniqueness rule.

    Databricks' rate-limit docs define a query limit (QPM, ``calls``) and a token limit
    (TPM, ``tokens``) per endpoint, user, group or service principal, and enforce the
    stricter when both apply; scripts send them as two entries with one key (one with
    ``calls``, one with ``tokens``) or as one entry with both. So a slot is a key, its
    principal and one metric: two limits clash only when they fill the same slot. Validation,
    the diff (which keys limits by slot) and the emulator use this one rule.
    """
    key = str(limit.get("key") or "endpoint")
    principal = limit.get("principal")
    who = str(principal) if principal else None
    return [(key, who, m) for m in RATE_LIMIT_METRICS if limit.get(m) is not None]


class UsageTrackingConfig(ManifestModel):
    enabled: Bool | None = None


class InferenceTableConfig(ManifestModel):
    catalog_name: str | None = None
    schema_name: str | None = None
    table_name_prefix: str | None = None
    enabled: Bool | None = None


class PiiConfig(ManifestModel):
    behavior: PiiBehavior | None = None


class GuardrailParameters(ManifestModel):
    safety: Bool | None = None
    pii: PiiConfig | None = None
    invalid_keywords: list[str] | None = None
    valid_topics: list[str] | None = None


class Guardrails(ManifestModel):
    input: GuardrailParameters | None = None
    output: GuardrailParameters | None = None


class FallbackConfig(ManifestModel):
    # Required by the API (SDK FallbackConfig, the CLI schema): ``fallback_config: {}`` is a
    # 400 at create, so it is a STRUCT-002 offline.
    enabled: Bool


class AiGatewayConfig(ManifestModel):
    usage_tracking_config: UsageTrackingConfig | None = None
    inference_table_config: InferenceTableConfig | None = None
    rate_limits: list[AiGatewayRateLimit] | None = None
    guardrails: Guardrails | None = None
    fallback_config: FallbackConfig | None = None
