"""The base class of every manifest model: strict about unknown fields, silent about unset ones."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ManifestModel(BaseModel):
    """A piece of a manifest, shaped exactly like the REST create body.

    Unknown fields are rejected (``extra="forbid"``) so a typo is an error with a location,
    not a silently ignored setting. Every field is optional at this level; what is required
    by the API is checked by validation rules that can say why.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)

    def to_wire(self) -> dict[str, Any]:
        """The REST body for this object: only the fields the user wrote."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)
