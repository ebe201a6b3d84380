"""The field classes of DESIGN.md section 5, declared once, as data.

Every rule that keeps a plan from showing phantom changes lives in ``FIELD_RULES``: which
fields the server owns (output-only), which it never echoes (write-only), which it fills
when the request leaves them out (backend defaults), which it picks in ways we do not
predict (server-chosen), and which cannot change without deleting the endpoint
(recreate-only). The normaliser (``reconciler.diff.normalise``) and the impact labels of the
planner read this table; docs/diff.md explains each rule.

Paths are dotted, with ``[*]`` for an element of a list matched by key (served entities by
name, routes by entity name, tags by key, rate limits by key and principal), ``*`` for any
run of characters inside one segment and a leading ``**.`` for "at any depth". The concrete
paths in ``FieldChange`` use the same syntax with the key in the brackets:
``config.served_entities[gpt-4o].workload_type``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

# Tags with RESERVED_TAG_PREFIX are ours (defined in model.vocabulary, re-exported here). The
# ownership tag is always compared; the others are managed by the features that write them
# and left alone by the diff.
from reconciler.model.vocabulary import OWNERSHIP_TAG as OWNERSHIP_TAG
from reconciler.model.vocabulary import RESERVED_TAG_PREFIX as RESERVED_TAG_PREFIX
from reconciler.model.vocabulary import SECRETS_TAG as SECRETS_TAG
from reconciler.model.vocabulary import is_reserved_tag as is_reserved_tag

# Lists that are matched by key; in normalised data they are dicts keyed by that key.
KEYED_LISTS: frozenset[str] = frozenset(
    {"served_entities", "served_models", "routes", "rate_limits", "tags"}
)


class FieldClass(enum.StrEnum):
    OUTPUT_ONLY = "output-only"  # the server's own fields: never compared, never exported
    WRITE_ONLY = "write-only"  # accepted on write, never read back: not compared, sent as written
    DEFAULT = "default"  # the server fills `default` when absent: absent == default
    SERVER_CHOSEN = "server-chosen"  # the server fills something: compared only when written
    CASE_INSENSITIVE = "case-insensitive"  # compared lowercased
    RECREATE_ONLY = "recreate-only"  # a change needs delete + create


# Markers for defaults that are not constants.
DERIVED_ENTITY_NAME = "<derived entity name>"
ENDPOINT_NAME = "<endpoint name>"


@dataclass(frozen=True)
class FieldRule:
    pattern: str
    cls: FieldClass
    why: str
    default: Any = None
    # Name of a predicate on the object holding the field (see normalise.CONDITIONS); the
    # rule applies only when it holds. None: always.
    when: str | None = None


_E = "config.served_entities[*]"
_M = "config.served_models[*]"
_G = "ai_gateway"

FIELD_RULES: tuple[FieldRule, ...] = (
    # --- output-only: the server's own bookkeeping ------------------------------------
    *(
        FieldRule(p, FieldClass.OUTPUT_ONLY, "set by the server")
        for p in (
            "id", "creator", "creation_timestamp", "last_updated_timestamp", "state",
            "config.config_version", "config.start_time", "pending_config", "task",
            "endpoint_url", "permission_level", "data_plane_info", "endpoint_type",
            "creator_display_name", "creator_kind", "effective_budget_policy_id",
            "usage_policy_id", "uc_system_metrics_export_state",
            "telemetry_config.inference_table_config.name",
            f"{_E}.state", f"{_E}.creator", f"{_E}.creation_timestamp",
            f"{_E}.foundation_model", f"{_M}.state", f"{_M}.creator",
            f"{_M}.creation_timestamp", "config.auto_capture_config.state",
        )
    ),
    # --- write-only: accepted, never returned by GET ----------------------------------
    FieldRule("**.*_plaintext", FieldClass.WRITE_ONLY, "GET never returns plaintext credentials"),
    FieldRule(f"{_E}.burst_scaling_enabled", FieldClass.WRITE_ONLY, "GET never returns it"),
    FieldRule(f"{_M}.burst_scaling_enabled", FieldClass.WRITE_ONLY, "GET never returns it"),
    *(
        FieldRule(f"{_M}.{f}", FieldClass.WRITE_ONLY, "ServedModelOutput has no such member")
        for f in ("min_provisioned_throughput", "max_provisioned_throughput")
    ),
    FieldRule("telemetry_config.table_names", FieldClass.WRITE_ONLY,
              "input only: GET does not return the table names (the CLI ignores them on read)"),
    FieldRule("config.name", FieldClass.WRITE_ONLY,
              "the SDK's copy of the endpoint name; GET has no config.name"),
    FieldRule("budget_policy_id", FieldClass.WRITE_ONLY,
              "GET returns effective_budget_policy_id instead; no update API"),
    FieldRule("rate_limits", FieldClass.WRITE_ONLY,
              "legacy rate limits are not returned by GET; applied as ai_gateway rate limits"),
    # --- backend defaults: absent on one side == this value ---------------------------
    FieldRule(f"{_E}.name", FieldClass.DEFAULT,
              "external: model name with . and : -> -; else <last part of entity>-<version>",
              default=DERIVED_ENTITY_NAME),
    FieldRule(f"{_M}.name", FieldClass.DEFAULT, "<model_name>-<model_version>",
              default=DERIVED_ENTITY_NAME),
    FieldRule(f"{_E}.workload_type", FieldClass.DEFAULT, "always filled for models",
              default="CPU", when="custom_model"),
    FieldRule(f"{_M}.workload_type", FieldClass.DEFAULT, "always filled for models",
              default="CPU", when="custom_model"),
    FieldRule(f"{_E}.workload_size", FieldClass.DEFAULT,
              "filled when neither a size nor a concurrency/throughput range is given",
              default="Small", when="custom_model_without_capacity"),
    FieldRule(f"{_M}.workload_size", FieldClass.DEFAULT,
              "filled when neither a size nor a throughput range is given",
              default="Small", when="without_capacity"),
    FieldRule(f"{_E}.scale_to_zero_enabled", FieldClass.DEFAULT, "false unless asked",
              default=False, when="custom_model"),
    FieldRule(f"{_M}.scale_to_zero_enabled", FieldClass.DEFAULT, "false unless asked",
              default=False, when="custom_model"),
    FieldRule("config.auto_capture_config.enabled", FieldClass.DEFAULT,
              "docs: optional, true by default", default=True),
    FieldRule("config.traffic_config", FieldClass.DEFAULT,
              "one entity and no routes: 100% to it, echoed with both route name keys",
              default="<single route>", when="single_entity"),
    FieldRule("route_optimized", FieldClass.DEFAULT, "false unless asked", default=False),
    FieldRule("description", FieldClass.DEFAULT, "echoed as an empty string", default=""),
    FieldRule(f"{_E}.external_model.openai_config.openai_api_type", FieldClass.DEFAULT,
              "plain OpenAI unless azure/azuread", default="openai"),
    FieldRule(f"{_G}.usage_tracking_config.enabled", FieldClass.DEFAULT, "off", default=False),
    FieldRule(f"{_G}.fallback_config.enabled", FieldClass.DEFAULT, "off", default=False),
    FieldRule(f"{_G}.inference_table_config.enabled", FieldClass.DEFAULT, "off", default=False),
    FieldRule(f"{_G}.inference_table_config.table_name_prefix", FieldClass.DEFAULT,
              "the endpoint name", default=ENDPOINT_NAME),
    FieldRule(f"{_G}.guardrails.*.safety", FieldClass.DEFAULT, "off", default=False),
    FieldRule(f"{_G}.guardrails.*.pii.behavior", FieldClass.DEFAULT, "no PII handling",
              default="NONE"),
    FieldRule(f"{_G}.rate_limits[*].key", FieldClass.DEFAULT, "per endpoint",
              default="endpoint"),
    FieldRule(f"{_G}.rate_limits[*].renewal_period", FieldClass.DEFAULT, "the only period",
              default="minute"),
    # --- server-chosen: compared only when the manifest writes them --------------------
    *(
        FieldRule(f"{_E}.{f}", FieldClass.SERVER_CHOSEN,
                  "external and foundation models: the server may fill or flip it",
                  when="not_custom_model")
        for f in ("workload_type", "workload_size", "scale_to_zero_enabled")
    ),
    *(
        FieldRule(f"{_M}.{f}", FieldClass.SERVER_CHOSEN,
                  "foundation models and provisioned throughput: the server fills it",
                  when="not_custom_model")
        for f in ("workload_type", "workload_size", "scale_to_zero_enabled")
    ),
    *(
        FieldRule(f"{_E}.{f}", FieldClass.SERVER_CHOSEN,
                  "the range the service derives from workload_size (the API refuses both "
                  "on input, so a live range beside a size is the server's)",
                  when="sized_by_workload")
        for f in ("min_provisioned_concurrency", "max_provisioned_concurrency")
    ),
    FieldRule(f"{_G}.usage_tracking_config", FieldClass.SERVER_CHOSEN,
              "provisioned-throughput endpoints: filled by the service (Terraform's PT "
              "resource marks it computed)", when="pt_endpoint"),
    FieldRule(f"{_E}.external_model.cohere_config.cohere_api_base", FieldClass.SERVER_CHOSEN,
              "the provider's public URL when omitted (as openai_api_base)"),
    FieldRule("config.served_entities", FieldClass.SERVER_CHOSEN,
              "the manifest uses served_models; the server may mirror them"),
    FieldRule("config.served_models", FieldClass.SERVER_CHOSEN,
              "the manifest uses served_entities; the server may mirror them"),
    FieldRule("config.traffic_config", FieldClass.SERVER_CHOSEN,
              "several entities and no routes written: the server decides", when="multi_entity"),
    FieldRule(f"{_E}.external_model.openai_config.openai_api_base", FieldClass.SERVER_CHOSEN,
              "the provider's public URL when omitted"),
    FieldRule("config.auto_capture_config.table_name_prefix", FieldClass.SERVER_CHOSEN,
              "derived from the endpoint name when omitted"),
    # --- case-insensitive -------------------------------------------------------------
    FieldRule(f"{_E}.external_model.amazon_bedrock_config.bedrock_provider",
              FieldClass.CASE_INSENSITIVE, "the server lowercases it"),
    # --- recreate-only: a change deletes and creates the endpoint ---------------------
    FieldRule("name", FieldClass.RECREATE_ONLY, "the name is the endpoint's identity"),
    FieldRule("route_optimized", FieldClass.RECREATE_ONLY, "immutable after create"),
    FieldRule("description", FieldClass.RECREATE_ONLY, "no API updates it"),
    *(
        FieldRule(f"config.auto_capture_config.{f}", FieldClass.RECREATE_ONLY,
                  "fixed once inference tables were enabled", when="live_set")
        for f in ("catalog_name", "schema_name", "table_name_prefix")
    ),
)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    if pattern.startswith("**."):
        out.append(r"(?:.*[.\]])?")
        i = 3
    while i < len(pattern):
        if pattern.startswith("[*]", i):
            out.append(r"\[[^\]]*\]")
            i += 3
        elif pattern[i] == "*":
            out.append(r"[^.\[\]]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], FieldRule], ...]:
    return tuple((_pattern_regex(r.pattern), r) for r in FIELD_RULES)


_KEY_IN_PATH = re.compile(r"\[[^\]]*\]")


def rules_for(path: str, cls: FieldClass | None = None) -> list[FieldRule]:
    """The rules whose pattern matches the concrete ``path`` (optionally of one class)."""
    # Patterns never look inside the brackets, so every key can share one cache entry.
    return list(_rules_for_generic(_KEY_IN_PATH.sub("[*]", path), cls))


@cache
def _rules_for_generic(path: str, cls: FieldClass | None) -> tuple[FieldRule, ...]:
    return tuple(
        rule for regex, rule in _compiled()
        if (cls is None or rule.cls is cls) and regex.fullmatch(path)
    )


def has_class(path: str, cls: FieldClass) -> bool:
    return bool(rules_for(path, cls))


def render_path(segments: tuple[str, ...] | list[str]) -> str:
    """``("config", "served_entities", "a", "name")`` -> ``config.served_entities[a].name``."""
    out = ""
    previous = ""
    for seg in segments:
        if previous in KEYED_LISTS:
            out += f"[{seg}]"
            previous = ""  # the element itself is not a keyed list
            continue
        out += f".{seg}" if out else seg
        previous = seg
    return out


