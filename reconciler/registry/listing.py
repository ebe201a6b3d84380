"""Reading a large endpoint list while keeping only the members a caller uses.

A list of 10,000 endpoints is about 8 MB of JSON and 50 MB once parsed into Python objects,
and apply polls it every few seconds while it waits for updates; the waiter needs each
endpoint's name and state only. ``parse_trimmed_list`` walks the top-level object and the
``endpoints`` array with the standard library's decoder one item at a time and keeps only the
wanted members of each item, so the parse never holds more than one full endpoint.

It accepts exactly JSON, so it raises ``ValueError`` on anything it does not understand; the
client then parses the body the ordinary way, which either succeeds (the caller trims) or
produces the usual protocol error naming the call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, exactly
_DECODER = json.JSONDecoder()


def parse_trimmed_list(content: bytes, keep: Collection[str]) -> dict[str, Any]:
    """The list response ``{"endpoints": [...], ...}`` with each endpoint cut to ``keep``."""
    try:
        return _Reader(content.decode("utf-8"), frozenset(keep)).document()
    except (IndexError, UnicodeDecodeError) as exc:  # truncated text, not UTF-8
        raise ValueError(str(exc)) from exc


class _Reader:
    def __init__(self, text: str, keep: frozenset[str]) -> None:
        self.text = text
        self.keep = keep
        self.pos = 0

    def document(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self._expect("{")
        if not self._consume("}"):
            while True:
                key = self._value()
                if not isinstance(key, str):
                    raise ValueError("object key is not a string")
                self._expect(":")
                if key == "endpoints" and self._peek() == "[":
                    result[key] = self._endpoints()
                else:
                    result[key] = self._value()
                if self._consume("}"):
                    break
                self._expect(",")
        if self._skip() != len(self.text):
            raise ValueError("extra data after the JSON object")
        return result

    def _endpoints(self) -> list[Any]:
        items: list[Any] = []
        self._expect("[")
        if self._consume("]"):
            return items
        while True:
            item = self._value()
            if isinstance(item, dict):
                item = {k: v for k, v in item.items() if k in self.keep}
            items.append(item)
            if self._consume("]"):
                return items
            self._expect(",")

    def _value(self) -> Any:
        value, self.pos = _DECODER.raw_decode(self.text, self._skip())
        return value

    def _skip(self) -> int:
        match = _WHITESPACE.match(self.text, self.pos)
        assert match is not None  # "*" matches the empty string too
        self.pos = match.end()
        return self.pos

    def _peek(self) -> str:
        return self.text[self._skip()]

    def _consume(self, char: str) -> bool:
        if self._peek() == char:
            self.pos += 1
            return True
        return False

    def _expect(self, char: str) -> None:
        if not self._consume(char):
            raise ValueError(f"expected {char!r} at character {self.pos}")
