"""The shape of a validation rule and of what rules look at.

A rule is a small frozen object: a stable ID, a one-line doc, a severity, its layer, and a
pure check function. Rules are listed explicitly in ``catalog.RULES`` (no registration at
import time), which is also what ``reconciler validate --list-rules`` prints. Rules of the
``load`` and ``structure`` layers have no check here: the loader reports them while reading
YAML and building models, but they are catalogued like the others so every ID is documented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from reconciler.model.diagnostics import LAYERS, FieldPath, Issue, Layer, RuleSpec, Severity
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.project import Policy
from reconciler.model.source import SourceLocation

__all__ = ["LAYERS", "EndpointDocument", "Finding", "Layer", "Rule", "Severity",
           "ValidationContext", "locate"]


class EndpointDocument(Protocol):
    """What rules need of a loaded endpoint (``loading.project.LoadedEndpoint`` is one)."""

    @property
    def endpoint(self) -> ServingEndpoint: ...

    @property
    def location(self) -> SourceLocation: ...

    @property
    def positions(self) -> Mapping[FieldPath, SourceLocation]: ...


@dataclass(frozen=True)
class ValidationContext:
    """Project-wide settings a rule may consult; the default is a project with no policy."""

    policy: Policy = field(default_factory=Policy)


Finding = tuple[FieldPath, str]
"""A rule's raw result: the path of the offending value and the message."""

EndpointCheck = Callable[[ServingEndpoint, ValidationContext], Iterator[Finding]]
ProjectCheck = Callable[
    [Sequence[EndpointDocument], ValidationContext], Iterator[tuple[EndpointDocument, Finding]]
]


def locate(doc: EndpointDocument, path: FieldPath) -> SourceLocation:
    """Where ``path`` is in the document, or its nearest ancestor, or the document start."""
    probe = path
    positions = doc.positions
    while probe:
        found = positions.get(probe)
        if found is not None:
            return found
        probe = probe[:-1]
    return positions.get((), doc.location)


@dataclass(frozen=True)
class Rule(RuleSpec):
    """One documented check. ``check`` runs per endpoint, ``project_check`` across all."""

    check: EndpointCheck | None = None
    project_check: ProjectCheck | None = None

    def run(self, docs: Sequence[EndpointDocument], ctx: ValidationContext) -> Iterable[Issue]:
        """All issues this rule finds in ``docs``. Pure: no I/O, no printing."""
        if self.check is not None:
            for doc in docs:
                for path, message in self.check(doc.endpoint, ctx):
                    yield self.issue(message, locate(doc, path), path)
        if self.project_check is not None:
            for doc, (path, message) in self.project_check(docs, ctx):
                yield self.issue(message, locate(doc, path), path)
