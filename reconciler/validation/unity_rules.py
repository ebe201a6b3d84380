"""Rules of the Unity AI Gateway kinds (``ModelProviderService``, ``ModelService``): what the
service refuses with a 400 (databricks-sdk 0.162 docstrings), caught offline at file:line:col.

Pure: no I/O. A reference to a provider service that is not in the project cannot be
checked here; plan checks it against the workspace (``planning.unity_plan``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from reconciler.model.diagnostics import FieldPath, Issue
from reconciler.model.project import Policy
from reconciler.model.source import SourceLocation
from reconciler.model.unity import (
    ALLOWED_DIRECT,
    AUTH_MODES,
    CONNECTION_NAME,
    DESTINATION_BLOCKS,
    ENDPOINT_REF_PREFIX,
    MAX_DESTINATIONS,
    MAX_FALLBACKS,
    MODEL_REF,
    NAME_PART,
    PRINCIPAL_KEYS,
    PROVIDER_BLOCKS,
    PROVIDER_REF,
    REQUIRED_DIRECT,
    SCHEMA_NAME,
    SECRET_NAME,
    Destination,
    DirectConfig,
    McpService,
    ModelProviderService,
    ModelService,
    ProviderSecret,
    RateLimit,
    UnitySecurable,
)
from reconciler.validation.rules import Rule

ENV_ONLY = re.compile(r"^\$\{env\.[A-Za-z_][A-Za-z0-9_]*\}$")
ALL_DIRECT = tuple(DirectConfig.model_fields)  # every member a direct block may have

Finding = tuple[FieldPath, str]


class SecurableDocument(Protocol):
    @property
    def securable(self) -> UnitySecurable: ...

    @property
    def location(self) -> SourceLocation: ...

    @property
    def positions(self) -> Mapping[FieldPath, SourceLocation]: ...


NAMES = Rule("UNITY-001", "A service `name` is `catalog.schema.id` (each part at most 255 "
             "characters), unique among the project's services.", "project")
PROVIDER = Rule("UNITY-002", "A provider service has exactly the config block of its "
                "`provider_type`, `direct` (anthropic: or `relayed`), its required members "
                "and at most one way to authenticate.", "provider")
TARGETS = Rule("UNITY-003", "Provider targets: required for custom providers, each with "
               "`native_api_types`; `endpoint_route` only on custom providers.", "provider")
ROUTING = Rule("UNITY-004", "Model service routing: 1 to 10 destinations, at most 5 "
               "fallbacks, unique names, percentages summing to 100 with several "
               "destinations.", "endpoint")
DESTINATION = Rule("UNITY-005", "Each destination has exactly the config of its "
                   "`destination_type`, with references in the API's name format.",
                   "endpoint")
REFERENCES = Rule("UNITY-006", "An external destination's target is among the targets of "
                  "the project's provider service it references (unless it allows all).",
                  "project")
LIMITS = Rule("UNITY-007", "Rate limits: `principal` exactly for user, group and service "
              "principal keys; no two with the same key, principal and period; inference "
              "table, secret and MCP connection names in the API's format; MCP tool "
              "selectors of 1 to 256 characters.", "endpoint")
PLAINTEXT = Rule("UNITY-008", "Provider secrets follow `policy.plaintext_secrets`: "
                 "`secret_reference` is the norm, `plaintext` only as ${env.NAME} "
                 "(env-only) or when allowed.", "policy")
UNITY_RULES: tuple[Rule, ...] = (NAMES, PROVIDER, TARGETS, ROUTING, DESTINATION, REFERENCES,
                                 LIMITS, PLAINTEXT)


def _locate(doc: SecurableDocument, path: FieldPath) -> SourceLocation:
    probe = path
    while probe:
        found = doc.positions.get(probe)
        if found is not None:
            return found
        probe = probe[:-1]
    return doc.positions.get((), doc.location)


def _names(doc: SecurableDocument) -> Iterator[Finding]:
    parts = doc.securable.name.split(".")
    if len(parts) != 3 or not all(NAME_PART.match(p) for p in parts):
        yield ("name",), (f"'{doc.securable.name[:80]}' is not 'catalog.schema.id' (three "
                          "parts of 1 to 255 characters, without '/' or spaces)")


def _provider(service: ModelProviderService) -> Iterator[Finding]:
    config = service.config
    block = PROVIDER_BLOCKS[config.provider_type]
    for other in PROVIDER_BLOCKS.values():
        if other != block and getattr(config, other) is not None:
            yield ("config", other), (f"'{other}' does not match provider_type "
                                      f"{config.provider_type}; it needs '{block}'")
    given = getattr(config, block)
    if given is None:
        yield ("config", "provider_type"), f"provider_type {config.provider_type} needs " \
                                           f"'config.{block}'"
        return
    modes = [m for m in ("direct", "relayed") if getattr(given, m) is not None]
    if block != "anthropic" and given.relayed is not None:
        yield ("config", block, "relayed"), "only anthropic providers can be 'relayed'"
    elif len(modes) != 1:
        wanted = "'direct' or 'relayed'" if block == "anthropic" else "'direct'"
        yield ("config", block), f"'{block}' needs exactly one of {wanted}"
    direct = given.direct
    if direct is None:
        return
    where: FieldPath = ("config", block, "direct")
    for field in ALL_DIRECT:
        if getattr(direct, field) is not None and field not in ALLOWED_DIRECT[block]:
            yield (*where, field), f"'{field}' is not a member of {block}.direct"
    for field in REQUIRED_DIRECT.get(block, ()):
        if getattr(direct, field) is None:
            yield where, f"{block}.direct needs '{field}'"
    auth = [m for m in AUTH_MODES[block] if getattr(direct, m) is not None]
    if len(auth) > 1:
        yield (*where, auth[1]), f"give only one of {', '.join(AUTH_MODES[block])}"


def _targets(service: ModelProviderService) -> Iterator[Finding]:
    config = service.config
    custom = config.provider_type == "EXTERNAL_MODEL_PROVIDER_TYPE_CUSTOM"
    if custom and not config.targets:
        yield ("config",), "a custom provider service needs 'targets'"
    for i, target in enumerate(config.targets or []):
        if not target.native_api_types:
            yield ("config", "targets", i), "a target needs at least one 'native_api_types'"
        if target.endpoint_route and not custom:
            yield ("config", "targets", i, "endpoint_route"), \
                "'endpoint_route' is only for custom providers"


def _routing(service: ModelService) -> Iterator[Finding]:
    routing = service.config.routing
    primary = routing.destinations
    fallback = routing.fallback.destinations or [] if routing.fallback else []
    base: FieldPath = ("config", "routing")
    if not primary:
        yield (*base, "destinations"), "a model service needs at least one destination"
    if len(primary) > MAX_DESTINATIONS:
        yield (*base, "destinations"), (f"{len(primary)} destinations; at most "
                                        f"{MAX_DESTINATIONS}")
    if len(fallback) > MAX_FALLBACKS:
        yield (*base, "fallback", "destinations"), (f"{len(fallback)} fallback destinations; "
                                                    f"at most {MAX_FALLBACKS}")
    seen: set[str] = set()
    for path, dest in _destinations(service):
        if dest.name in seen:
            yield (*path, "name"), f"destination name '{dest.name}' is used twice"
        seen.add(dest.name)
    if len(primary) > 1:
        for i, dest in enumerate(primary):
            if dest.traffic_percentage is None:
                yield (*base, "destinations", i), \
                    "'traffic_percentage' is required when there are several destinations"
        total = sum(d.traffic_percentage or 0 for d in primary)
        if all(d.traffic_percentage is not None for d in primary) and total != 100:
            yield (*base, "destinations"), f"traffic percentages add up to {total}, not 100"


def _destinations(service: ModelService) -> Iterator[tuple[FieldPath, Destination]]:
    routing = service.config.routing
    for i, dest in enumerate(routing.destinations):
        yield ("config", "routing", "destinations", i), dest
    for i, dest in enumerate((routing.fallback.destinations or []) if routing.fallback else []):
        yield ("config", "routing", "fallback", "destinations", i), dest


def _destination(service: ModelService) -> Iterator[Finding]:
    for path, dest in _destinations(service):
        wanted = DESTINATION_BLOCKS[dest.destination_type]
        for block in DESTINATION_BLOCKS.values():
            if block != wanted and getattr(dest, block) is not None:
                yield (*path, block), (f"'{block}' does not match destination_type "
                                       f"{dest.destination_type}; it needs '{wanted}'")
        if getattr(dest, wanted) is None:
            yield (*path, "destination_type"), f"{dest.destination_type} needs '{wanted}'"
        ext = dest.external_model_config
        if ext is not None:
            if not PROVIDER_REF.match(ext.model_provider_service):
                yield (*path, "external_model_config", "model_provider_service"), (
                    "expected 'model-provider-services/catalog.schema.id'")
            if ext.target.endpoint_route:
                yield (*path, "external_model_config", "target", "endpoint_route"), \
                    "model service destinations do not support 'endpoint_route'"
        ppt = dest.pay_per_token_config
        if ppt is not None and not MODEL_REF.match(ppt.model):
            yield (*path, "pay_per_token_config", "model"), \
                "expected 'models/catalog.schema.model' (for example models/system.ai.x)"
        pt = dest.provisioned_throughput_config
        if pt is not None and not pt.model_serving_endpoint.startswith(ENDPOINT_REF_PREFIX):
            yield (*path, "provisioned_throughput_config", "model_serving_endpoint"), \
                "expected 'serving-endpoints/NAME'"


def _mcp(service: McpService) -> Iterator[Finding]:
    if not CONNECTION_NAME.match(service.config.source_connection.name):
        yield ("config", "source_connection", "name"), \
            "expected 'connections/catalog.schema.connection'"
    for i, selector in enumerate(service.config.include_tool_selectors or []):
        if not selector or len(selector) > 256:
            yield ("config", "include_tool_selectors", i), \
                "a tool selector is 1 to 256 characters (an exact name or 'prefix_*')"


def _rate_limits(limits: list[RateLimit] | None, path: FieldPath) -> Iterator[Finding]:
    seen: set[tuple[str, str, str]] = set()
    for i, limit in enumerate(limits or []):
        if limit.key in PRINCIPAL_KEYS and not limit.principal:
            yield (*path, i, "key"), f"{limit.key} needs a 'principal'"
        if limit.key not in PRINCIPAL_KEYS and limit.principal:
            yield (*path, i, "principal"), f"{limit.key} takes no 'principal'"
        ident = (limit.key, limit.principal or "", limit.renewal_period)
        if ident in seen:
            yield (*path, i), "another rate limit has the same key, principal and period"
        seen.add(ident)


def secrets_of(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, ProviderSecret]]:
    """Every ProviderSecret under a model (by attribute walk), with its document path."""
    if isinstance(value, ProviderSecret):
        yield path, value
        return
    fields = getattr(type(value), "model_fields", None)
    if fields is None:
        return
    for name in fields:
        child = getattr(value, name)
        if child is not None:
            yield from secrets_of(child, (*path, name))


def _limits(doc: UnitySecurable) -> Iterator[Finding]:
    yield from _rate_limits(doc.config.rate_limits, ("config", "rate_limits"))
    table = doc.config.inference_table
    if table is not None and not SCHEMA_NAME.match(table.parent):
        yield ("config", "inference_table", "parent"), "expected 'schemas/catalog.schema'"
    for path, secret in secrets_of(doc, ()):
        if secret.plaintext is not None and secret.secret_reference is not None:
            yield path, "give 'plaintext' or 'secret_reference', not both"
        ref = secret.secret_reference
        if ref is not None and not SECRET_NAME.match(ref.name):
            yield (*path, "secret_reference", "name"), "expected 'secrets/catalog.schema.name'"


def _plaintext(doc: UnitySecurable, policy: Policy) -> Iterator[Finding]:
    mode = policy.plaintext_secrets
    for path, secret in secrets_of(doc, ()):
        value = secret.plaintext
        if value is None or mode == "allow":
            continue
        if mode == "forbid":
            yield (*path, "plaintext"), ("'plaintext' is forbidden by the project policy "
                                         "(plaintext_secrets: forbid); use secret_reference")
        elif not ENV_ONLY.match(value):
            yield (*path, "plaintext"), ("'plaintext' holds a literal secret; the project "
                                         "policy (plaintext_secrets: env-only) allows only "
                                         "${env.NAME} or a secret_reference")


def _references(docs: Sequence[SecurableDocument]) -> Iterator[tuple[SecurableDocument,
                                                                     Finding]]:
    providers = {d.securable.name: d.securable for d in docs
                 if isinstance(d.securable, ModelProviderService)}
    for doc in docs:
        service = doc.securable
        if not isinstance(service, ModelService):
            continue
        for path, dest in _destinations(service):
            ext = dest.external_model_config
            match = PROVIDER_REF.match(ext.model_provider_service) if ext else None
            provider = providers.get(match.group(1)) if match else None
            if ext is None or provider is None or provider.config.allow_all_targets:
                continue
            models = [t.model for t in provider.config.targets or []]
            if ext.target.model not in models:
                yield doc, ((*path, "external_model_config", "target", "model"),
                            f"'{ext.target.model}' is not a target of "
                            f"{ext.model_provider_service} ({', '.join(models) or 'none'})")


def validate(docs: Sequence[SecurableDocument], _endpoints: Sequence[object] = (),
             policy: Policy | None = None) -> list[Issue]:
    """Every issue of the Unity AI Gateway rules in ``docs``."""
    policy = policy or Policy()
    found: list[tuple[Rule, SecurableDocument, Finding]] = []
    owners: dict[str, SecurableDocument] = {}
    for doc in docs:
        service = doc.securable
        found += [(NAMES, doc, f) for f in _names(doc)]
        if service.name in owners:
            found.append((NAMES, doc, (("name",), f"'{service.name}' is also defined at "
                                                  f"{owners[service.name].location}")))
        owners.setdefault(service.name, doc)
        if isinstance(service, ModelProviderService):
            found += [(PROVIDER, doc, f) for f in _provider(service)]
            found += [(TARGETS, doc, f) for f in _targets(service)]
        elif isinstance(service, McpService):
            found += [(LIMITS, doc, f) for f in _mcp(service)]
        else:
            found += [(ROUTING, doc, f) for f in _routing(service)]
            found += [(DESTINATION, doc, f) for f in _destination(service)]
        found += [(LIMITS, doc, f) for f in _limits(service)]
        found += [(PLAINTEXT, doc, f) for f in _plaintext(service, policy)]
    found += [(REFERENCES, doc, f) for doc, f in _references(docs)]
    return [rule.issue(message, _locate(doc, path), path)
            for rule, doc, (path, message) in found]
