"""Reading YAML: positions of every value, duplicate keys, and hostile input refused."""

from __future__ import annotations

import pytest

from reconciler.loading.yaml_reader import MAX_DEPTH, decode, read_documents


def read(text: str) -> tuple[list[dict[str, object]], list[tuple[str, int, int]]]:
    docs, issues = read_documents(text, "f.yaml")
    located = [(i.rule, i.location.line, i.location.column) for i in issues if i.location]
    return [d.data for d in docs], located


def test_positions_of_values_and_block_collections() -> None:
    text = "name: ep\nconfig:\n  served_entities:\n    - name: a\n      entity_version: '1'\n"
    docs, _ = read_documents(text, "f.yaml")
    doc = docs[0]
    assert str(doc.location_of(("name",))) == "f.yaml:1:7"
    # A block collection is located at its key, where a reader looks for it.
    assert str(doc.location_of(("config",))) == "f.yaml:2:1"
    assert str(doc.location_of(("config", "served_entities"))) == "f.yaml:3:3"
    assert str(doc.location_of(("config", "served_entities", 0, "entity_version"))) == (
        "f.yaml:5:23"
    )
    # A path with no position of its own falls back to its nearest ancestor.
    assert str(doc.location_of(("config", "served_entities", 0, "missing"))) == "f.yaml:4:7"


def test_duplicate_keys_are_errors_at_the_second_key() -> None:
    data, issues = read("name: a\ndescription: x\nname: b\n")
    assert issues == [("LOAD-003", 3, 1)]
    assert data == [{"name": "a", "description": "x"}]


def test_multi_document_files_skip_empty_documents() -> None:
    data, issues = read("---\nname: a\n---\n# only a comment\n---\nname: b\n...\n")
    assert issues == []
    assert data == [{"name": "a"}, {"name": "b"}]


def test_dates_stay_strings_and_numbers_stay_numbers() -> None:
    data, _ = read("openai_api_version: 2023-05-15\ncalls: 20\nratio: 0.5\nflag: true\nnone: ~\n")
    assert data == [
        {"openai_api_version": "2023-05-15", "calls": 20, "ratio": 0.5, "flag": True, "none": None}
    ]


def test_anchors_aliases_and_merge_keys() -> None:
    text = "base: &b {calls: 20, key: user}\nlimit:\n  <<: *b\n  key: endpoint\ncopy: *b\n"
    data, issues = read(text)
    assert issues == []
    assert data[0]["limit"] == {"calls": 20, "key": "endpoint"}
    assert data[0]["copy"] == {"calls": 20, "key": "user"}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("a: [1\n", "LOAD-002"),
        ("- 1\n- 2\n", "LOAD-005"),
        ("just a string\n", "LOAD-005"),
        ("a: !custom 1\n", "LOAD-006"),
        ("? [a, b]\n: 1\n", "LOAD-006"),
        ("a: !!binary aGVsbG8=\n", "LOAD-006"),
        ("a: \x00\n", "LOAD-002"),
        ("a: &x [*x]\n", "LOAD-004"),
        ("a: 1" + "0" * 5000 + "\n", "STRUCT-003"),
    ],
)
def test_bad_input_is_one_located_issue(text: str, rule: str) -> None:
    _, issues = read(text)
    assert [i[0] for i in issues] == [rule]


@pytest.mark.parametrize("opener", ["[", "{a: ", "- "])
def test_deep_nesting_is_refused_without_crashing(opener: str) -> None:
    # 50,000 levels crash libyaml's recursive composer; the reader must refuse them first.
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    text = "a: " + opener * 50_000 + "1" + closer * 50_000 + "\n"
    if opener == "- ":
        text = opener * 50_000 + "1\n"
    data, issues = read(text)
    assert data == []
    assert issues and issues[0][0] in ("LOAD-004", "LOAD-002")


def test_nesting_just_under_the_limit_is_fine() -> None:
    text = "a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n"
    _, issues = read(text)
    assert issues == []


def test_billion_laughs_is_refused() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    _, issues = read("\n".join(lines) + "\n")
    assert [i[0] for i in issues] == ["LOAD-004"]


def test_binary_and_huge_files_are_refused_by_decode() -> None:
    text, issues = decode(b"name: x\n\xff\xfe", "f.yaml")
    assert text is None and issues[0].rule == "LOAD-001"
    assert str(issues[0].location) == "f.yaml:2:1"
    text, issues = decode(b"#" * (5 * 1024 * 1024), "f.yaml")
    assert text is None and issues[0].rule == "LOAD-004"
    assert decode("\ufeffname: x".encode(), "f.yaml") == ("name: x", [])


TRICKY_SCALARS = [
    "yes",
    "No",
    "TRUE",
    "off",
    "On",
    "y",
    "n",
    "null",
    "Null",
    "NULL",
    "~",
    "",
    "nil",
    "none",
    "true1",
    "Yes!",
    "gpt-4o",
    "llm/v1/chat",
    "1",
    "-1",
    "+1",
    "0x1f",
    "0o17",
    "1_000",
    "1:20",
    "1.5",
    ".5",
    "-.inf",
    ".NaN",
    "1e3",
    "2023-05-15",
    "2023-05-15T10:00:00Z",
    "<<",
    "=",
    "Infinity",
    "NaN",
    "é",
    "ñame",
    "t",
    "f",
    "o",
    "Off-peak",
    "no-op",
]


@pytest.mark.parametrize("scalar", TRICKY_SCALARS)
def test_fast_resolver_tags_scalars_exactly_like_pyyaml(scalar: str) -> None:
    import yaml

    from reconciler.loading import yaml_reader

    text = f"k: {scalar}\n" if scalar else "k:\n"
    ours = yaml.compose(text, Loader=yaml_reader._LOADER)
    reference = yaml.compose(text, Loader=yaml_reader._BASE_LOADER)
    assert ours.value[0][1].tag == reference.value[0][1].tag


@pytest.mark.parametrize("text", ["", "   \n", "# only comments\n", "---\n", "---\n...\n", "~\n"])
def test_empty_files_have_no_documents_and_no_issues(text: str) -> None:
    assert read(text) == ([], [])
