"""External-model serving endpoints -> Unity AI Gateway manifests (``reconciler migrate``).

One ``ModelProviderService`` per distinct provider credential (same provider type, same
connection settings, same secret) and one ``ModelService`` per endpoint, in the schema the
user names. What cannot be carried over is returned as notes, never dropped silently; the
table of every field is docs/migrate.md. Pure: manifests in, plain documents out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.providers import ExternalModel

SECRET_SCOPE_REF = re.compile(r"^\{\{secrets/([^/{}\s]+)/([^/{}\s]+)\}\}$")
ENV_REF = re.compile(r"^\$\{env\.[A-Za-z_][A-Za-z0-9_]*\}$")
TASK_TYPES = {"llm/v1/chat": "openai/v1/chat/completions",
              "llm/v1/completions": "openai/v1/completions",
              "llm/v1/embeddings": "openai/v1/embeddings"}
RATE_KEYS = {"endpoint": "RATE_LIMIT_KEY_SERVICE", "user_group": "RATE_LIMIT_KEY_USER_GROUP",
             "service_principal": "RATE_LIMIT_KEY_SERVICE_PRINCIPAL"}
PT = "EXTERNAL_MODEL_PROVIDER_TYPE_"


@dataclass(frozen=True)
class Note:
    endpoint: str
    field: str
    message: str


@dataclass
class Migration:
    providers: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    uc_secrets: dict[str, str] = field(default_factory=dict)  # UC secret -> scope/key


@dataclass
class _Context:
    catalog: str
    schema: str
    endpoint: str
    out: Migration

    def note(self, where: str, message: str) -> None:
        note = Note(self.endpoint, where, message)
        if note not in self.out.notes:  # two entities of one endpoint say it once
            self.out.notes.append(note)

    def secret(self, value: str | None, plain: str | None, where: str) -> dict[str, Any] | None:
        """A legacy secret pair as a ProviderSecret."""
        if value:
            match = SECRET_SCOPE_REF.match(value)
            if match:
                name = f"{self.catalog}.{self.schema}.{match.group(2)}"
                self.out.uc_secrets[name] = f"{match.group(1)}/{match.group(2)}"
                return {"secret_reference": {"name": f"secrets/{name}"}}
            self.note(where, "not a {{secrets/scope/key}} reference; not carried over")
            return None
        if plain:
            if ENV_REF.match(plain):
                return {"plaintext": plain}
            self.note(where + "_plaintext", "a literal key is not copied into new files; "
                      "give it as ${env.NAME} or a UC secret_reference")
        return None


def _provider(model: ExternalModel, ctx: _Context) -> tuple[str, dict[str, Any]] | None:
    """(provider_type, provider block) for one external model, or None (noted)."""
    base = f"external_model.{model.provider}"
    if model.provider == "openai" and model.openai_config is not None:
        c = model.openai_config
        if c.openai_api_type in ("azure", "azuread"):
            direct: dict[str, Any] = {"base_url": c.openai_api_base}
            if c.openai_api_type == "azure":
                direct["api_key"] = ctx.secret(c.openai_api_key, c.openai_api_key_plaintext,
                                               "openai_config.openai_api_key")
            else:
                direct["entra_service_principal"] = {
                    "tenant_id": c.microsoft_entra_tenant_id,
                    "client_id": c.microsoft_entra_client_id,
                    "client_secret": ctx.secret(
                        c.microsoft_entra_client_secret,
                        c.microsoft_entra_client_secret_plaintext,
                        "openai_config.microsoft_entra_client_secret")}
            if c.openai_api_version:
                ctx.note("openai_config.openai_api_version", "not carried over (the gateway "
                         "chooses the Azure API version)")
            return PT + "AZURE_OPENAI", {"azure_openai": {"direct": direct}}
        direct = {"api_key": ctx.secret(c.openai_api_key, c.openai_api_key_plaintext,
                                        "openai_config.openai_api_key"),
                  "base_url": c.openai_api_base, "organization": c.openai_organization}
        return PT + "OPENAI", {"openai": {"direct": direct}}
    if model.provider == "anthropic" and model.anthropic_config is not None:
        c2 = model.anthropic_config
        key = ctx.secret(c2.anthropic_api_key, c2.anthropic_api_key_plaintext,
                         "anthropic_config.anthropic_api_key")
        return PT + "ANTHROPIC", {"anthropic": {"direct": {"api_key": key}}}
    if model.provider == "amazon-bedrock" and model.amazon_bedrock_config is not None:
        c3 = model.amazon_bedrock_config
        direct = {"region": c3.aws_region}
        if c3.uc_service_credential_name:
            direct["service_credential"] = {"name": f"credentials/{c3.uc_service_credential_name}"}
        elif c3.aws_secret_access_key or c3.aws_secret_access_key_plaintext:
            key_id = c3.aws_access_key_id_plaintext
            if c3.aws_access_key_id:
                ctx.note("amazon_bedrock_config.aws_access_key_id", "a secret reference; the "
                         "new access_key_id is not secret: fill it in by hand")
            direct["aws_access_key"] = {
                "access_key_id": key_id or "FILL-IN-ACCESS-KEY-ID",
                "secret_access_key": ctx.secret(
                    c3.aws_secret_access_key, c3.aws_secret_access_key_plaintext,
                    "amazon_bedrock_config.aws_secret_access_key")}
        for gone in ("bedrock_provider", "instance_profile_arn"):
            if getattr(c3, gone):
                ctx.note(f"amazon_bedrock_config.{gone}", "not carried over")
        return PT + "AMAZON_BEDROCK", {"amazon_bedrock": {"direct": direct}}
    if model.provider == "custom" and model.custom_provider_config is not None:
        c4 = model.custom_provider_config
        direct = {"base_url": c4.custom_provider_url}
        if c4.bearer_token_auth is not None:
            direct["api_key"] = ctx.secret(c4.bearer_token_auth.token,
                                           c4.bearer_token_auth.token_plaintext,
                                           "custom_provider_config.bearer_token_auth.token")
        elif c4.api_key_auth is not None:
            direct["header_auth"] = {"api_key_name": c4.api_key_auth.key, "api_key_value":
                                     ctx.secret(c4.api_key_auth.value,
                                                c4.api_key_auth.value_plaintext,
                                                "custom_provider_config.api_key_auth.value")}
        return PT + "CUSTOM", {"custom": {"direct": direct}}
    if model.provider == "google-cloud-vertex-ai" and model.google_cloud_vertex_ai_config:
        c5 = model.google_cloud_vertex_ai_config
        ctx.note("google_cloud_vertex_ai_config.private_key", "not carried over: Gemini "
                 "Enterprise authenticates with an api_key or a UC service_credential")
        return PT + "GEMINI_ENTERPRISE", {"gemini_enterprise": {"direct": {
            "project_id": c5.project_id, "region": c5.region}}}
    ctx.note(base, f"provider {model.provider!r} has no Unity AI Gateway provider type; "
             "the endpoint is not migrated")
    return None


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    return value


def _rate_limits(endpoint: ServingEndpoint) -> list[dict[str, Any]]:
    gateway = endpoint.ai_gateway
    legacy = [{"key": r.key or "user", "renewal_period": r.renewal_period, "calls": r.calls}
              for r in endpoint.rate_limits or []]
    current = [r.model_dump(exclude_none=True) for r in
               (gateway.rate_limits or [] if gateway else [])]
    out = []
    for limit in current + legacy:
        key = str(limit.get("key") or "user")
        new_key = RATE_KEYS.get(key) or ("RATE_LIMIT_KEY_USER" if limit.get("principal")
                                         else "RATE_LIMIT_KEY_USER_DEFAULT")
        entry: dict[str, Any] = {"key": new_key,
                                 "renewal_period": "RATE_LIMIT_RENEWAL_PERIOD_MINUTE"}
        if limit.get("principal") and new_key != "RATE_LIMIT_KEY_SERVICE":
            entry["principal"] = limit["principal"]
        if limit.get("calls") is not None:
            entry["requests"] = limit["calls"]
        if limit.get("tokens") is not None:
            entry["tokens"] = limit["tokens"]
        out.append(entry)
    return out


def _service_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _one(endpoint: ServingEndpoint, catalog: str, schema: str, out: Migration,
         credentials: dict[str, dict[str, Any]]) -> None:
    ctx = _Context(catalog, schema, endpoint.name, out)
    entities = [e for e in endpoint.served_entities() if e.external_model is not None]
    if not entities:
        return
    routes = {r.served_entity_name: r.traffic_percentage for r in
              ((endpoint.config.traffic_config.routes or [])
               if endpoint.config and endpoint.config.traffic_config else [])}
    fallback_on = bool(endpoint.ai_gateway and endpoint.ai_gateway.fallback_config and
                       endpoint.ai_gateway.fallback_config.enabled)
    primary: list[dict[str, Any]] = []
    fallback: list[dict[str, Any]] = []
    for index, entity in enumerate(entities):
        model = entity.external_model
        assert model is not None
        found = _provider(model, ctx)
        if found is None:
            return
        ptype, block = found
        block = _clean(block)
        credential = json.dumps([ptype, block], sort_keys=True)
        provider = credentials.get(credential)
        if provider is None:
            short = next(iter(block))
            taken = sum(1 for p in out.providers if p["name"].split(".")[-1].startswith(short))
            ident = short if not taken else f"{short}_{taken + 1}"
            provider = {"kind": "ModelProviderService", "name": f"{catalog}.{schema}.{ident}",
                        "config": {"provider_type": ptype, **block, "targets": []}}
            credentials[credential] = provider
            out.providers.append(provider)
        target_model = str(model.name)
        if ptype == PT + "AZURE_OPENAI" and model.openai_config and \
                model.openai_config.openai_deployment_name:
            target_model = model.openai_config.openai_deployment_name
        api_type = TASK_TYPES.get(str(model.task), "openai/v1/chat/completions")
        targets = provider["config"]["targets"]
        existing = next((t for t in targets if t["model"] == target_model), None)
        if existing is None:
            targets.append({"model": target_model, "native_api_types": [api_type]})
        elif api_type not in existing["native_api_types"]:
            existing["native_api_types"].append(api_type)
        dest: dict[str, Any] = {
            "name": entity.name or f"{_service_id(target_model)}_{index}",
            "destination_type": "DESTINATION_TYPE_EXTERNAL_FOUNDATION_MODEL",
            "external_model_config": {
                "model_provider_service": f"model-provider-services/{provider['name']}",
                "target": {"model": target_model, "native_api_types": [api_type]}}}
        share = routes.get(entity.name or "") if routes else None
        if fallback_on and share == 0:
            fallback.append(dest)
            continue
        if share is not None:
            dest["traffic_percentage"] = share
        primary.append(dest)
    if len(primary) == 1:
        primary[0].pop("traffic_percentage", None)
    if fallback_on and not fallback:
        ctx.note("ai_gateway.fallback_config", "fallback to the other served entities has no "
                 "0 % entity to become a fallback destination; add fallbacks by hand")
    routing: dict[str, Any] = {"destinations": primary}
    if fallback:
        routing["fallback"] = {"destinations": fallback}
    config: dict[str, Any] = {"routing": routing}
    limits = _rate_limits(endpoint)
    if limits:
        config["rate_limits"] = limits
    gateway = endpoint.ai_gateway
    table = gateway.inference_table_config if gateway else None
    if table is not None and table.enabled is not False and table.catalog_name:
        config["inference_table"] = _clean({
            "parent": f"schemas/{table.catalog_name}.{table.schema_name}",
            "table_name_prefix": table.table_name_prefix})
    for gone, present in (("tags", endpoint.tags), ("email_notifications",
                                                     endpoint.email_notifications),
                          ("route_optimized", endpoint.route_optimized),
                          ("budget_policy_id", endpoint.budget_policy_id),
                          ("ai_gateway.guardrails", gateway and gateway.guardrails),
                          ("ai_gateway.usage_tracking_config",
                           gateway and gateway.usage_tracking_config)):
        if present:
            ctx.note(gone, "not carried over (see docs/migrate.md)")
    service: dict[str, Any] = {"kind": "ModelService",
                               "name": f"{catalog}.{schema}.{_service_id(endpoint.name)}"}
    if endpoint.description:
        service["comment"] = endpoint.description
    service["config"] = config
    out.services.append(service)


def migrate(endpoints: Sequence[ServingEndpoint], catalog: str, schema: str) -> Migration:
    out = Migration()
    credentials: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        _one(endpoint, catalog, schema, out, credentials)
    return out
