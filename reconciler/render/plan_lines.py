"""The per-field lines shared by the text and Markdown renderings of a plan.

A change whose value is a whole block (a served entity added, a rate limit removed) is
expanded into one line per leaf, so every line reads ``path: old -> new``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from reconciler.diff.changes import FieldChange
from reconciler.diff.fields import KEYED_LISTS
from reconciler.planning.marking import DRIFT_NOTE
from reconciler.render.redact import display_value

Sign = Literal["+", "-", "~"]


@dataclass(frozen=True)
class ChangeLine:
    sign: Sign
    path: str
    old: str | None  # formatted and masked
    new: str | None
    note: str  # impact label and origin, e.g. "rolling; server default"


def _child(path: str, key: str) -> str:
    last = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if last in KEYED_LISTS and not path.endswith("]"):
        return f"{path}[{key}]"
    return f"{path}.{key}"


def _leaves(path: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        out: list[tuple[str, Any]] = []
        for key, child in value.items():
            out.extend(_leaves(_child(path, str(key)), child))
        return out
    return [(path, value)]


def change_lines(change: FieldChange, *, with_impact: bool = True) -> list[ChangeLine]:
    notes: list[str] = [change.impact] if with_impact else []
    if change.origin:
        notes.append(change.origin)
    if change.cause == "drift":
        notes.append(DRIFT_NOTE)
    note = "; ".join(notes)
    if change.old is None:
        return [ChangeLine("+", p, None, display_value(p, v), note)
                for p, v in _leaves(change.path, change.new)]
    if change.new is None:
        return [ChangeLine("-", p, display_value(p, v), None, note)
                for p, v in _leaves(change.path, change.old)]
    if isinstance(change.new, dict) != isinstance(change.old, dict):
        return [
            *(ChangeLine("-", p, display_value(p, v), None, note)
              for p, v in _leaves(change.path, change.old)),
            *(ChangeLine("+", p, None, display_value(p, v), note)
              for p, v in _leaves(change.path, change.new)),
        ]
    if isinstance(change.old, dict):
        # Both sides are blocks: compare leaf by leaf.
        old = dict(_leaves(change.path, change.old))
        new = dict(_leaves(change.path, change.new))
        lines = []
        for p in sorted(old.keys() | new.keys()):
            o, n = old.get(p), new.get(p)
            if o == n:
                continue
            sign: Sign = "~" if o is not None and n is not None else "+" if o is None else "-"
            lines.append(ChangeLine(sign, p, None if o is None else display_value(p, o),
                                    None if n is None else display_value(p, n), note))
        return lines
    return [ChangeLine("~", change.path, display_value(change.path, change.old),
                       display_value(change.path, change.new), note)]


def format_line(line: ChangeLine) -> str:
    """``~ path: old -> new  (note)``, ``+ path = new``, ``- path = old``."""
    if line.sign == "~":
        body = f"~ {line.path}: {line.old} -> {line.new}"
    elif line.sign == "+":
        body = f"+ {line.path} = {line.new}"
    else:
        body = f"- {line.path} = {line.old}"
    return f"{body}  ({line.note})" if line.note else body
