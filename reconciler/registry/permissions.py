"""Endpoint permissions and the caller's identity over the registry client.

* ``GET|PUT|PATCH /api/2.0/permissions/serving-endpoints/{id}``: keyed by the endpoint's
  ``id`` (not its name; it changes on recreate), so callers pass the id from a GET or create.
* ``GET /api/2.0/preview/scim/v2/Me``: who the token is, asked once per run.
* Permission writes have their own documented budget, 30 per second per workspace, beside
  the serving-endpoints calls: the client's one request budget (``budget.RequestBudget``)
  paces them as a class of their own at 27 per second, shared by all endpoints of a run
  however many run at once (bench/permissions.py measures it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.registry.routes import permissions_path

if TYPE_CHECKING:  # the client imports this module for its permissions writes
    from reconciler.registry.client import RegistryClient

ME_PATH = "/api/2.0/preview/scim/v2/Me"


def checked_answer(client: RegistryClient, method: str, path: str, answer: dict[str, Any],
             endpoint: str | None) -> dict[str, Any]:
    acl = answer.get("access_control_list", [])
    if not isinstance(acl, list) or not all(isinstance(e, dict) for e in acl):
        raise client.protocol_error(method, path, "'access_control_list' is not a list of objects",
                               endpoint)
    return answer


async def get_permissions(client: RegistryClient, endpoint_id: str,
                          endpoint: str | None = None) -> dict[str, Any]:
    """The endpoint's permissions answer (direct and inherited grants)."""
    path = permissions_path(endpoint_id)
    return checked_answer(client, "GET", path, await client.call("GET", path, endpoint=endpoint),
                    endpoint)


async def write_permissions(client: RegistryClient, endpoint_id: str, method: str,
                            body: dict[str, Any], endpoint: str | None = None,
                            ) -> dict[str, Any]:
    """One permissions write (``PUT`` replaces the direct grants, ``PATCH`` merges), paced by
    the client's budget like every permission write; the permissions answer after it."""
    if method not in ("PUT", "PATCH"):
        raise ValueError(f"a permissions write is PUT or PATCH, not {method}")
    path = permissions_path(endpoint_id)
    return checked_answer(client, method, path, await client.call(method, path, body,
                                                            endpoint=endpoint), endpoint)


async def current_user(client: RegistryClient) -> dict[str, Any]:
    """The SCIM ``Me`` answer of the token (``userName`` is what permissions name)."""
    answer = await client.call("GET", ME_PATH)
    if not isinstance(answer.get("userName"), str) or not answer["userName"]:
        raise client.protocol_error("GET", ME_PATH, "no 'userName' in the SCIM Me answer")
    return answer
