"""The token's identity: who creates endpoints and what SCIM ``Me`` answers.

The emulator has one identity per instance (``EmulatorSettings.creator``, set by
``emulator serve --user-name``). An identity that is a UUID is a service principal's
application id: SCIM ``Me`` reports a service principal token's ``userName`` that way, and
permission entries name service principals by it (``service_principal_name``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

Doc = dict[str, Any]

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def principal_kind(name: str) -> str:
    """The permission-entry member an identity goes in."""
    return "service_principal_name" if UUID.match(name) else "user_name"


def creator_acl(creator: str) -> list[Doc]:
    """The direct grants of a new endpoint: its creator may manage it."""
    return [{principal_kind(creator): creator, "permission_level": "CAN_MANAGE"}]


def scim_me(user_name: str) -> Doc:
    """The SCIM ``User`` document of ``GET /api/2.0/preview/scim/v2/Me``."""
    number = int(hashlib.sha256(user_name.encode()).hexdigest()[:12], 16)
    user: Doc = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"],
        "id": str(number),
        "userName": user_name,
        "displayName": user_name.split("@", 1)[0],
        "active": True,
        "groups": [{"display": "users", "type": "direct", "value": "1", "$ref": "Groups/1"}],
    }
    if "@" in user_name:
        user["emails"] = [{"type": "work", "value": user_name, "primary": True}]
    return user
