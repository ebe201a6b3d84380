"""The base class of every manifest model: strict about unknown fields, silent about unset ones."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError


def _no_boolean(value: Any) -> Any:
    # Pydantic's lax mode reads true as 1, so `calls: yes` would be one call a minute.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _no_number(value: Any) -> Any:
    # ... and 1 as true: a number where a switch belongs is a mistake, not a switch.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be a valid boolean")
    return value


# Integers that refuse booleans, booleans that refuse numbers (the JSON Schema is unchanged).
Int = Annotated[int, BeforeValidator(_no_boolean)]
Bool = Annotated[bool, BeforeValidator(_no_number)]


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
