"""YAML text -> plain Python documents with source positions, safely.

PyYAML's loaders lose positions and silently keep the last of two equal keys, so this module
composes nodes (with libyaml when available: it is the fast part) and builds the values
itself, recording the 0-based line/column of every key and value by its path in the
document and rejecting duplicate keys.

Hostile input is refused with a located ``LOAD-004`` instead of exhausting memory or the C
stack: files over ``MAX_FILE_BYTES``, nesting deeper than ``MAX_DEPTH`` and documents that
expand to more than ``MAX_NODES`` values (a "billion laughs" alias bomb stops there).
libyaml's composer recurses in C and crashes the interpreter on tens of thousands of nested
brackets, so a file whose cheap nesting bound is high gets a precise, iterative depth scan
over parser events before it is composed.

YAML 1.1 timestamps (``2023-05-15``) stay strings, as a YAML 1.2 editor and JSON Schema see
them; no manifest field is a date, but ``openai_api_version`` looks like one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.loading.source import FieldPath
from reconciler.model import load_rules
from reconciler.model.diagnostics import Issue
from reconciler.model.source import SourceLocation

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
SAFE_COMPOSE_DEPTH = 1000
# The text of libyaml's own nesting limit error (its scanner refuses past 1,000 levels).
_PARSER_DEPTH_LIMIT = "exceeded maximum nesting depth"

_BASE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_CONSTRUCTOR = SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null"))
_TIMESTAMP, _MERGE = f"{_TAG}timestamp", f"{_TAG}merge"
_COLLECTION_TAGS = frozenset({f"{_TAG}map", f"{_TAG}seq"})
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_DOC_SEPARATOR = re.compile(r"^---", re.MULTILINE)

_NULL_WORDS = frozenset({"~", "null", "Null", "NULL"})
_BOOL_WORDS = frozenset(
    w for b in ("yes", "no", "true", "false", "on", "off") for w in (b, b.title(), b.upper())
)


class _ManifestLoader(_BASE_LOADER):  # type: ignore[misc]
    """The safe loader with a faster tag resolver for plain scalars.

    PyYAML resolves every plain scalar by regular expressions chosen by its first
    character; in manifests most scalars are words, and a word can only be a bool or a null
    (every number, date or merge key starts with a digit, a sign, a dot, ``<`` or ``=``).
    Answering those directly makes composing about a quarter faster with identical tags
    (a test compares the two on tricky scalars). No path resolvers are registered, so the
    per-node resolver bookkeeping is skipped too.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0] and value and value[0].isalpha():
            if value in _BOOL_WORDS:
                return _BOOL
            return _NULL if value in _NULL_WORDS else _STR
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


_LOADER: type[Any] = _ManifestLoader

Mark = Any
"""A parser mark (libyaml's or PyYAML's): 0-based ``.line`` and ``.column``."""


@dataclass
class StringRef:
    """A string value containing ``${``: where it is and how it was quoted (for offsets)."""

    path: FieldPath
    line: int
    column: int
    style: str


@dataclass
class RawDocument:
    """One YAML document as plain data plus where each of its values came from."""

    file: str
    index: int
    data: dict[str, Any]
    start: Mark
    marks: dict[FieldPath, Mark] = field(default_factory=dict)
    key_marks: dict[FieldPath, Mark] = field(default_factory=dict)
    refs: list[StringRef] = field(default_factory=list)
    # The text as written of every scalar YAML turned into a number or a boolean (``012``
    # is 10, ``12:30:00`` is 45000, ``yes`` is true), so a hint can quote what was written.
    number_texts: dict[FieldPath, str] = field(default_factory=dict)

    @property
    def location(self) -> SourceLocation:
        return _loc(self.file, self.start)

    def location_of(self, path: FieldPath, *, key: bool = False) -> SourceLocation:
        """The key's or value's position of ``path``, else its nearest ancestor's."""
        probe = path
        while probe:
            mark = (self.key_marks if key else self.marks).get(probe) or self.marks.get(probe)
            if mark is not None:
                return _loc(self.file, mark)
            probe = probe[:-1]
        return self.location


class _Refused(Exception):
    """Raised inside the builder to stop a document that breaks a safety limit."""

    def __init__(self, mark: Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark


def _loc(file: str, mark: Mark) -> SourceLocation:
    return SourceLocation(file, mark.line + 1, mark.column + 1)


class _Builder:
    """Turns one composed node tree into plain values, recording positions and issues.

    This loop is the loader's hot path (it runs once per value of every manifest), so it
    stores the parser's own mark objects instead of building tuples, handles the common
    string scalar inline, and counts values only once per collection.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[FieldPath, Mark] = {}
        self.key_marks: dict[FieldPath, Mark] = {}
        self.refs: list[StringRef] = []
        self.number_texts: dict[FieldPath, str] = {}
        self.issues: list[Issue] = []

    def build(self, node: Node, path: FieldPath, depth: int) -> Any:
        mark = node.start_mark
        self.marks[path] = mark
        if isinstance(node, ScalarNode):
            return self._scalar(node, path, mark)
        if depth >= MAX_DEPTH:
            raise _Refused(mark, f"nested deeper than {MAX_DEPTH} levels (or a recursive alias)")
        if len(self.marks) > MAX_NODES:
            raise _Refused(mark, f"document has more than {MAX_NODES} values (alias bomb?)")
        if node.tag not in _COLLECTION_TAGS:
            # A tag on a mapping or list (``!Ref``, ``!!python/object``) would otherwise be
            # dropped silently and the block read as if it were untagged.
            tag = node.tag.replace(_TAG, "!!", 1)
            self._issue(load_rules.UNSUPPORTED_YAML, mark, f"unsupported YAML tag {tag}")
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        raise _Refused(mark, f"unexpected YAML node {type(node).__name__}")  # pragma: no cover

    def _mapping(self, node: MappingNode, path: FieldPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merges: list[Node] = []
        marks, key_marks = self.marks, self.key_marks
        for key_node, value_node in node.value:
            key_mark = key_node.start_mark
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                message = "mapping keys must be plain strings"
                self._issue(load_rules.UNSUPPORTED_YAML, key_mark, message)
                continue
            key = str(key_node.value)
            key_path = (*path, key)
            if key in result:
                first = key_marks[key_path]
                self._issue(
                    load_rules.DUPLICATE_KEY,
                    key_mark,
                    f"duplicate key '{key}' (first given at line {first.line + 1}, column "
                    f"{first.column + 1}); YAML would silently keep only the last one",
                    key_path,
                )
                continue
            key_marks[key_path] = key_mark
            if value_node.tag == _STR and isinstance(value_node, ScalarNode):
                value = value_node.value  # the common case, inline
                marks[key_path] = value_node.start_mark
                if "${" in value:
                    self._ref(key_path, value_node)
                result[key] = value
                continue
            result[key] = self.build(value_node, key_path, depth + 1)
            if not isinstance(value_node, ScalarNode) and not value_node.flow_style:
                # A block mapping or list "starts" at its first child on the next line; the
                # key's line is where a reader looks for it.
                marks[key_path] = key_mark
        for merge_node in merges:
            self._merge(result, merge_node, path, depth)
        return result

    def _ref(self, path: FieldPath, node: ScalarNode) -> None:
        mark = node.start_mark
        self.refs.append(StringRef(path, mark.line, mark.column, node.style or ""))

    def _merge(self, result: dict[str, Any], node: Node, path: FieldPath, depth: int) -> None:
        """``<<: *defaults``: keys written explicitly win over merged ones, as in YAML 1.1."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            merge_path = (*path, "<<")
            merged = self.build(source, merge_path, depth + 1)
            if not isinstance(merged, dict):
                mark = source.start_mark
                self._issue(load_rules.UNSUPPORTED_YAML, mark, "'<<' must merge a mapping")
                continue
            for key, value in merged.items():
                if key not in result:
                    result[key] = value
                    merged_mark = self.marks.get((*merge_path, key))
                    if merged_mark is not None:
                        self.marks[(*path, key)] = merged_mark

    def _scalar(self, node: ScalarNode, path: FieldPath, mark: Mark) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            if "${" in value:
                self._ref(path, node)
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            self.number_texts[path] = value
            return _BOOLS.get(value.lower(), value)
        if tag == _TIMESTAMP:
            return value
        if tag in (_INT, _FLOAT):
            self.number_texts[path] = value
            try:
                if tag == _INT:
                    return _SCALAR_CONSTRUCTOR.construct_yaml_int(node)
                return _SCALAR_CONSTRUCTOR.construct_yaml_float(node)
            except ValueError:
                self._issue(load_rules.WRONG_TYPE, mark, f"'{value[:40]}' is not a usable number")
                return None
        self._issue(load_rules.UNSUPPORTED_YAML, mark, f"unsupported YAML tag {tag}")
        return None

    def _issue(self, rule: Any, mark: Mark, message: str, path: FieldPath = ()) -> None:
        self.issues.append(rule.issue(message, _loc(self.file, mark), path))


def _nesting_bound(text: str) -> int:
    """A cheap upper bound of any document's nesting depth in ``text``.

    Every level of nesting starts with one of ``[ { - ? :``, so their count in a document
    bounds its depth. Documents are bounded separately: a ``---`` at the start of a line
    always ends the previous document, even inside a block scalar.
    """
    bound = 0
    for chunk in _DOC_SEPARATOR.split(text):
        n = sum(chunk.count(c) for c in "[{-?:") + 1
        bound = max(bound, n)
    return bound


def _scan_depth(text: str, file: str) -> Issue | None:
    """Refuse text nested deeper than ``MAX_DEPTH`` using the parser's iterative events."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH and event.start_mark is not None:
                message = f"nested deeper than {MAX_DEPTH} levels"
                return load_rules.LIMITS.issue(message, _loc(file, event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _yaml_error_issue(exc: yaml.YAMLError, text: str, file: str) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, column = mark.line, mark.column
    else:
        position = int(getattr(exc, "position", 0) or 0)
        line = text.count("\n", 0, position)
        column = position - (text.rfind("\n", 0, position) + 1)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = SourceLocation(file, line + 1, column + 1)
    if _PARSER_DEPTH_LIMIT in str(problem):
        # libyaml 0.2.5 (bundled since PyYAML 6.0.4) stops at its own depth limit while
        # scanning ahead, before our event scan sees level MAX_DEPTH: a limit, not a typo.
        return load_rules.LIMITS.issue(f"nested deeper than {MAX_DEPTH} levels", where)
    context = getattr(exc, "context", None)
    message = f"{problem} ({context})" if context else str(problem)
    return load_rules.YAML_SYNTAX.issue(message, where)


def read_documents(text: str, file: str) -> tuple[list[RawDocument], list[Issue]]:
    """All mapping documents of ``text`` (empty ones skipped) and the problems found.

    Never raises on bad input: every problem becomes an ``Issue`` located in ``file``.
    """
    issues: list[Issue] = []
    return list(iter_documents(text, file, issues)), issues


def iter_documents(text: str, file: str, issues: list[Issue]) -> Iterator[RawDocument]:
    """``read_documents`` one document at a time; problems are appended to ``issues``.

    A caller that is done with each document before asking for the next holds one
    document's values and marks at a time, not a whole 10,000-document file's.
    """
    try:
        # Depth cannot exceed the length of the text; most manifests skip the bound entirely.
        if len(text) > SAFE_COMPOSE_DEPTH and _nesting_bound(text) > SAFE_COMPOSE_DEPTH:
            refused = _scan_depth(text, file)
            if refused is not None:
                issues.append(refused)
                return
        for index, root in enumerate(yaml.compose_all(text, Loader=_LOADER)):
            document = _build_document(root, index, file, issues)
            if document is not None:
                yield document
    except yaml.YAMLError as exc:
        issues.append(_yaml_error_issue(exc, text, file))
    except RecursionError:  # the pure-Python composer, when libyaml is not installed
        issues.append(load_rules.LIMITS.issue("nested too deeply", SourceLocation(file, 1, 1)))


def _build_document(
    root: Node | None, index: int, file: str, issues: list[Issue]
) -> RawDocument | None:
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL):
        return None
    start = root.start_mark
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        message = f"document {index + 1} is {kind}; a manifest must be a mapping of fields"
        issues.append(load_rules.NOT_A_MAPPING.issue(message, _loc(file, start)))
        return None
    builder = _Builder(file)
    try:
        data = builder.build(root, (), 0)
    except _Refused as refused:
        issues.append(load_rules.LIMITS.issue(str(refused), _loc(file, refused.mark)))
        return None
    issues.extend(builder.issues)
    return RawDocument(file, index, data, start, builder.marks, builder.key_marks, builder.refs,
                       builder.number_texts)


def decode(content: bytes, file: str) -> tuple[str | None, list[Issue]]:
    """Bytes of a manifest file -> text, refusing huge and non-UTF-8 files with a location."""
    if len(content) > MAX_FILE_BYTES:
        message = f"file is {len(content)} bytes; the limit is {MAX_FILE_BYTES}"
        return None, [load_rules.LIMITS.issue(message, SourceLocation(file, 1, 1))]
    try:
        return content.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start)
        column = exc.start - (content.rfind(b"\n", 0, exc.start) + 1)
        message = "not UTF-8 text (is it a binary file?)"
        where = SourceLocation(file, line + 1, column + 1)
        return None, [load_rules.UNREADABLE.issue(message, where)]
