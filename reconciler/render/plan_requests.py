"""What apply will send, one request per line: ``plan --show-requests`` and ``apply FILE``.

    Requests apply will send (2):
      chat   PUT https://dbc-1.cloud.databricks.com/api/2.0/serving-endpoints/chat/config  {...}
      chat   PATCH https://dbc-1.cloud.databricks.com/api/2.0/serving-endpoints/chat/tags  {...}

The lines come from the registry's route table (``reconciler.api.planned_requests``), so
they are exactly the requests the registry client makes from the plan's steps. Bodies are
compact JSON with secrets masked (a ``${env.NAME}`` reference stays readable; apply resolves
it when sending). Pure: returns a string.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconciler.redaction import redact_data, redact_text

Request = tuple[str, str, "dict[str, Any] | None"]
"""(endpoint, ``METHOD URL``, body or None)."""


def render_requests(requests: Sequence[Request]) -> str:
    if not requests:
        return "Requests apply will send: none.\n"
    width = max(len(name) for name, _line, _body in requests)
    lines = [f"Requests apply will send ({len(requests)}):"]
    for name, line, body in requests:
        text = f"  {name.ljust(width)}  {line}"
        if body is not None:
            text += "  " + json.dumps(redact_data(body), ensure_ascii=False,
                                      separators=(",", ":"), sort_keys=False)
        lines.append(redact_text(text))
    return "\n".join(lines) + "\n"
