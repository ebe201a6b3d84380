"""No input produces a traceback: mutated, binary, empty, deep, huge or mistyped manifests.

Property-based: hypothesis mutates the example manifests (values replaced by values of any
type, keys dropped or added, text spliced) and throws raw bytes; the loader and validator
must answer with endpoints or with located issues, never an exception.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.loading.project import load_bytes
from reconciler.model.project import Policy
from reconciler.validation import engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "endpoints"
DOCUMENTS: list[Any] = [
    doc for path in sorted(EXAMPLES.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())
]
FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VARIABLES = {"team": "genai", "env": "dev"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        ["${var.team}", "${env.NOPE}", "${x}", "{{secrets/a/b}}", "openai", "", "minute"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(paths_of(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(paths_of(value, (*prefix, index)))
    return out


def mutate(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else document
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"{last}_typo"] = value
    return document


def assert_clean(content: bytes) -> None:
    endpoints, issues = load_bytes(content, "fuzz.yaml", VARIABLES, {})
    issues += engine.validate_endpoints(endpoints, Policy())
    for issue in issues:
        assert issue.location is not None, issue
        assert issue.location.file == "fuzz.yaml"
        assert issue.location.line >= 1 and issue.location.column >= 1, issue
        assert issue.rule and issue.message
    if not any(i.severity == "error" for i in issues):
        assert endpoints or not content.strip() or b"name" not in content


@FUZZ
@given(data=st.data())
def test_mutated_manifests_give_endpoints_or_located_issues(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(DOCUMENTS) - 1))
    document = yaml.safe_load(yaml.safe_dump(DOCUMENTS[index]))  # a private deep copy
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths_of(document)))
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        document = mutate(document, path, action, data.draw(values))
    text = yaml.safe_dump_all([document, DOCUMENTS[0]], allow_unicode=True)
    assert_clean(text.encode())


@FUZZ
@given(data=st.data())
def test_spliced_yaml_text_gives_located_issues(data: st.DataObject) -> None:
    source = sorted(EXAMPLES.glob("*.yaml"))[data.draw(st.integers(0, 5))].read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 40)))
    insert = data.draw(
        st.one_of(
            st.binary(max_size=20),
            st.sampled_from([b"[" * 3000, b"- " * 3000, b"&a x\n", b"*a", b": :", b"\t", b"---\n"]),
        )
    )
    assert_clean(source[:start] + insert + source[end:])


@FUZZ
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes_give_located_issues(content: bytes) -> None:
    assert_clean(content)


def test_huge_flat_file_is_read() -> None:
    body = "".join(f"  k{i}: v{i}\n" for i in range(20_000))
    assert_clean(f"name: big\ndescription: x\ntags:\n{body}".encode())


@FUZZ
@given(content=st.one_of(st.binary(max_size=200), values.map(lambda v: yaml.safe_dump(v).encode())))
def test_any_project_file_is_a_clean_error_or_a_project(content: bytes) -> None:
    import tempfile

    from reconciler import errors
    from reconciler.api.validating import load_project

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "reconciler.yaml").write_bytes(content)
        (root / "endpoints").mkdir()
        try:
            load_project(root, env={})
        except (errors.ManifestError, errors.ProjectError) as exc:
            issues = getattr(exc, "issues", ())
            assert all(i.location is None or i.location.line >= 1 for i in issues)


def test_a_kind_that_is_a_list_or_a_mapping_is_a_located_issue() -> None:
    """Found by the fuzz above: ``kind: [a]`` raised TypeError (unhashable) in the loader."""
    for kind in ("[ModelService]", "{a: 1}"):
        endpoints, issues = load_bytes(f"kind: {kind}\nname: x\n".encode(), "k.yaml", {}, {})
        assert endpoints == []
        assert issues and all(i.location is not None for i in issues), issues
