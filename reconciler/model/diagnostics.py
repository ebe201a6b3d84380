"""Diagnostics, the bottom of the layer picture: a located problem (``Issue``), the report that
collects them, and a rule's catalogue entry (``RuleSpec``: ID, title, layer, severity).

Lives in ``model`` because loading reports problems while reading files (LOAD-*, STRUCT-*,
INTERP-*) and validation reports the semantic ones, and neither may import the other; the
api layer composes "load, then validate". ``reconciler.validation.issues`` re-exports these
names for older imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reconciler.model.source import SourceLocation

Severity = Literal["error", "warning"]
FieldPath = tuple[str | int, ...]
# Where a rule sits: the loader reports load and structure, validation the others.
Layer = Literal["load", "structure", "provider", "endpoint", "project", "policy"]
LAYERS: tuple[Layer, ...] = ("load", "structure", "provider", "endpoint", "project", "policy")


MAX_MESSAGE = 600


@dataclass(frozen=True)
class Issue:
    """One problem: which rule found it, how bad it is, what it is, and where.

    ``location`` is ``None`` only for problems that have no place in a file (for example a
    ``manifests:`` pattern in the project file that matches nothing has the project file's
    position, but an unreadable path given on the command line has none).
    """

    rule: str
    severity: Severity
    message: str
    location: SourceLocation | None
    path: FieldPath = ()

    def __post_init__(self) -> None:
        # A message quoting a hostile value (a 3 MB name) must not echo it back whole:
        # keep both ends, which say what the value was and what is wrong with it.
        if len(self.message) > MAX_MESSAGE:
            cut = len(self.message) - MAX_MESSAGE + 40
            short = (f"{self.message[:MAX_MESSAGE * 2 // 3]}... ({cut} characters left out) "
                     f"...{self.message[-(MAX_MESSAGE // 3 - 40):]}")
            object.__setattr__(self, "message", short)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        if loc is None:
            return ("", 0, 0, self.rule, self.message)
        return (loc.file, loc.line, loc.column, self.rule, self.message)

    def dotted_path(self) -> str:
        """``config.served_entities[0].name`` form of ``path`` (empty for the document)."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


@dataclass(frozen=True)
class ValidationReport:
    """Everything ``validate`` found, sorted by file and position.

    ``files`` are the manifest files read (as shown to the user), ``endpoints`` the names
    of the endpoints that loaded and ``services`` the full names of the Unity AI Gateway
    services (``catalog.schema.id``), so a clean report can still say what it checked.
    """

    issues: tuple[Issue, ...]
    files: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    strict: bool = False
    services: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        issues: Iterable[Issue],
        files: Iterable[str] = (),
        endpoints: Iterable[str] = (),
        strict: bool = False,
        services: Iterable[str] = (),
    ) -> ValidationReport:
        ordered = tuple(sorted(set(issues), key=Issue.sort_key))
        return cls(ordered, tuple(files), tuple(endpoints), strict, tuple(services))

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """Clean enough to pass: no errors, and no warnings either under ``--strict``."""
        return not self.errors and not (self.strict and self.warnings)


@dataclass(frozen=True)
class RuleSpec:
    """A rule's catalogue entry: what ``--list-rules`` prints and what an issue names.

    The loader's rules are only this (it reports them while reading files); validation's
    ``Rule`` adds the check functions.
    """

    id: str
    title: str
    layer: Layer
    severity: Severity = "error"

    def issue(self, message: str, location: SourceLocation | None, path: FieldPath = ()) -> Issue:
        return Issue(self.id, self.severity, message, location, path)
