"""live_digest: a short, stable fingerprint of the comparable live state of an endpoint.

Every plan action records it; ``apply`` re-reads the endpoint and refuses the action when
the digest moved (someone changed the endpoint since the plan was made). It covers exactly
what the diff can see, in minimal form, so server bookkeeping (timestamps, state, config
version, entity order) does not make a plan stale, while any setting that plan compares
(including tags we leave alone) does. With a config update in flight the pending config is
digested, so the update finishing as planned does not make the plan stale; the update
failing does. Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.diff.normalise import minimal_form
from reconciler.model.live import LiveEndpoint

DIGEST_PREFIX = "sha256:"


def live_digest(live: LiveEndpoint) -> str:
    """``sha256:<32 hex>`` of the endpoint's comparable state (read from a GET body)."""
    return form_digest(minimal_form(live.effective_raw(), live.name))


def form_digest(form: Mapping[str, Any]) -> str:
    """The digest of an already normalised live form (``EndpointDiff.live_form``)."""
    canonical = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return DIGEST_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
