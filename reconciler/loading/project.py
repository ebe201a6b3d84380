"""The project: ``reconciler.yaml``, its manifests, the chosen target and its variables.

Loading reads and builds; it does not judge. ``read_project_parts`` returns the project as
far as it loaded with the loader's own issues (LOAD-*, INTERP-*, STRUCT-*, PROJECT-002), and
``load_documents`` does the same for manifest paths without a project file; neither raises on
bad manifests. The semantic rules (validation) run on top of that in the api layer:
``reconciler.api.validating.load_project`` is "load, then validate", what plan and apply use.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import errors
from reconciler.loading import files, interpolation, parsing, securables, yaml_reader
from reconciler.loading.source import FieldPath, PositionMap
from reconciler.model import load_rules
from reconciler.model.diagnostics import Issue
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.project import ProjectFile, Target
from reconciler.model.source import SourceLocation
from reconciler.redaction import SecretRegistry

PROJECT_FILE = "reconciler.yaml"
IMPLICIT_LOCAL_TARGET = Target(local=".reconciler/local.db")


@dataclass(frozen=True)
class LoadedEndpoint:
    """A validated endpoint manifest and where each of its values came from."""

    endpoint: ServingEndpoint
    location: SourceLocation
    positions: Mapping[FieldPath, SourceLocation]


@dataclass(frozen=True)
class Project:
    """A loaded, valid project for one target."""

    root: Path
    file: ProjectFile
    target_name: str
    target: Target
    variables: Mapping[str, str]
    endpoints: tuple[LoadedEndpoint, ...]
    # Unity AI Gateway kinds (ModelProviderService, ModelService): loading/securables.py
    securables: tuple[securables.LoadedSecurable, ...] = ()
    # The plaintext values of this project's run, masked in its output (redaction.py): filled
    # by api.load_project, bound by the api functions that work on the project.
    secrets: SecretRegistry = field(default_factory=SecretRegistry, compare=False, repr=False)


@dataclass(frozen=True)
class LoadResult:
    """What a set of manifest files yielded: endpoints that built, and every problem."""

    endpoints: tuple[LoadedEndpoint, ...]
    issues: tuple[Issue, ...]
    files: tuple[str, ...]
    securables: tuple[securables.LoadedSecurable, ...] = ()


def load_documents(
    paths: Sequence[str | Path],
    *,
    base: Path | None = None,
    variables: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    exclude: Sequence[Path] = (),
    entry_locations: Sequence[SourceLocation | None] | None = None,
    inside: Path | None = None,
) -> LoadResult:
    """Read, interpolate and build every endpoint in ``paths`` (files, folders, globs).

    ``base`` resolves relative entries (default: the current folder). Entries matching no
    YAML file are reported at ``entry_locations[i]`` (their place in the project file).
    With ``inside`` (the project folder), entries and the files they match must stay in it:
    a project checked out from a pull request must not read files elsewhere on the machine.
    Nothing here raises on bad input; only ``load_rules`` issues come back.
    """
    base = base if base is not None else Path(".")
    variables = variables or {}
    env = os.environ if env is None else env
    skip = {files.identity(p) for p in exclude}
    issues: list[Issue] = []
    found: list[Path] = []
    for i, entry in enumerate(paths):
        where = entry_locations[i] if entry_locations else None
        if inside is not None and not files.within(base / entry, inside):
            issues.append(load_rules.OUTSIDE_PROJECT.issue(
                f"'{entry}' is outside the project folder; manifests must live inside it",
                where))
            continue
        matched = files.expand(entry, base)
        if not matched:
            what = "does not exist" if matched is None else "matches no .yaml or .yml file"
            issues.append(load_rules.NO_MANIFESTS.issue(f"'{entry}' {what}", where))
            continue
        if inside is not None:
            # A glob or folder inside the project can still reach out through a symlink.
            escaping = [m for m in matched if not files.within(m, inside, resolve=True)]
            for path in escaping:
                issues.append(load_rules.OUTSIDE_PROJECT.issue(
                    f"'{entry}' matches {files.shown(path)}, a link to a file outside the "
                    "project folder", where))
            matched = [m for m in matched if m not in escaping]
        found.extend(m for m in matched if not skip or files.identity(m) not in skip)
    endpoints: list[LoadedEndpoint] = []
    loaded_securables: list[securables.LoadedSecurable] = []
    shown_files: list[str] = []
    cwd = os.getcwd()
    for path in files.unique(found):
        shown = files.shown(path, cwd)
        shown_files.append(shown)
        loaded, file_issues = _load_file(path, shown, variables, env, loaded_securables)
        endpoints.extend(loaded)
        issues.extend(file_issues)
    return LoadResult(tuple(endpoints), tuple(issues), tuple(shown_files),
                      tuple(loaded_securables))


def _load_file(
    path: Path, shown: str, variables: Mapping[str, str], env: Mapping[str, str],
    into: list[securables.LoadedSecurable],
) -> tuple[list[LoadedEndpoint], list[Issue]]:
    try:
        content = path.read_bytes()
    except OSError as exc:
        message = f"cannot read: {exc.strerror or exc}"
        return [], [load_rules.UNREADABLE.issue(message, SourceLocation(shown, 1, 1))]
    return load_bytes(content, shown, variables, env, into)


def load_bytes(
    content: bytes, shown: str, variables: Mapping[str, str], env: Mapping[str, str],
    securables_into: list[securables.LoadedSecurable] | None = None,
) -> tuple[list[LoadedEndpoint], list[Issue]]:
    """The endpoints of one file's content; never raises on bad input (issues instead).

    Documents of the Unity AI Gateway kinds go to ``securables_into`` (dropped if None)."""
    text, issues = yaml_reader.decode(content, shown)
    if text is None:
        return [], issues
    # One document at a time: its plain values and parser marks are dropped once its model
    # and compact positions are built. Issues keep the order of reading all documents first.
    read_issues: list[Issue] = []
    model_issues: list[Issue] = []
    endpoints: list[LoadedEndpoint] = []
    for doc in yaml_reader.iter_documents(text, shown, read_issues):
        doc_issues = interpolation.interpolate(doc, variables, env)
        if securables.is_securable(doc):
            securable, struct_issues = securables.build(doc, shown)
            model_issues.extend(doc_issues)
            model_issues.extend(struct_issues)
            if securable is not None and not doc_issues and securables_into is not None:
                securables_into.append(securable)
            continue
        model, struct_issues = parsing.build_model(ServingEndpoint, doc)
        model_issues.extend(doc_issues)
        model_issues.extend(struct_issues)
        if model is not None and not doc_issues:
            positions = PositionMap(shown, doc.marks)
            endpoints.append(LoadedEndpoint(model, doc.location, positions))
    return endpoints, [*issues, *read_issues, *model_issues]


@dataclass(frozen=True)
class ProjectParts:
    """A project as far as it loaded, and the issues met on the way (for ``validate``)."""

    project: Project
    issues: tuple[Issue, ...]
    files: tuple[str, ...]


def read_project_file(root: Path) -> tuple[ProjectFile, yaml_reader.RawDocument]:
    """Parse ``root/reconciler.yaml``; ``ProjectError`` if missing, ``ManifestError`` if bad."""
    path = root / PROJECT_FILE
    if not path.is_file():
        raise errors.ProjectError(
            f"no {PROJECT_FILE} in {files.shown(root) or '.'} (use -C DIR to point at the project)"
        )
    shown = files.shown(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise errors.ProjectError(f"cannot read {shown}: {exc.strerror or exc}") from exc
    text, issues = yaml_reader.decode(content, shown)
    documents: list[yaml_reader.RawDocument] = []
    if text is not None:
        documents, read_issues = yaml_reader.read_documents(text, shown)
        issues.extend(read_issues)
    if not issues and len(documents) != 1:
        message = f"{PROJECT_FILE} must hold exactly one YAML document, found {len(documents)}"
        issues.append(load_rules.NOT_A_MAPPING.issue(message, SourceLocation(shown, 1, 1)))
    model = None
    if not issues:
        model, issues = parsing.build_model(ProjectFile, documents[0])
    if model is not None:
        issues.extend(_target_issues(model, documents[0]))
    if model is None or issues:
        raise errors.ManifestError(issues_message(f"{shown} is invalid", issues), tuple(issues))
    return model, documents[0]


def _target_issues(project: ProjectFile, raw: yaml_reader.RawDocument) -> list[Issue]:
    """A target with both ``local:`` and ``host:`` would use the file while the plan header
    names the host: refuse it rather than guess which one was meant."""
    return [
        load_rules.TARGET_KIND.issue(
            f"target '{name}' sets both local: ({target.local}) and host: ({target.host}); "
            "keep local: for the embedded registry or host: for a workspace",
            raw.location_of(("targets", name, "local"), key=True),
            ("targets", name, "local"),
        )
        for name, target in project.targets.items()
        if target.local is not None and target.host is not None
    ]


def _project_id_issues(project: ProjectFile, raw: yaml_reader.RawDocument) -> list[Issue]:
    """The PROJECT-003 warning: no project_id, or the examples' placeholder."""
    message = load_rules.project_id_problem(project.project_id)
    if message is None:
        return []
    path = ("project_id",) if project.project_id is not None else ("project",)
    return [load_rules.PROJECT_ID.issue(message, raw.location_of(path, key=True), path)]


def issues_message(head: str, issues: Sequence[Issue], limit: int = 5) -> str:
    """``head``, then the first ``limit`` problems as ``validate`` prints them (located)."""
    ordered = sorted(issues, key=Issue.sort_key)
    count = f"{len(ordered)} error{'s' if len(ordered) != 1 else ''}"
    lines = [f"  {i.location or '-'}: {i.severity} {i.rule} {i.message}" for i in ordered[:limit]]
    more = ["  ... (run `reconciler validate` for all)"] if len(ordered) > limit else []
    return "\n".join([f"{head} ({count}):", *lines, *more])


def select_target(project: ProjectFile, name: str | None) -> tuple[str, Target]:
    """The named target, else ``default_target``, else the only one, else an implicit local."""
    if name is None:
        name = project.default_target
    if name is None:
        if len(project.targets) == 1:
            return next(iter(project.targets.items()))
        if not project.targets:
            return "local", IMPLICIT_LOCAL_TARGET
        raise errors.ProjectError(
            "several targets and no default_target: choose one with -t "
            f"({', '.join(sorted(project.targets))})"
        )
    target = project.targets.get(name)
    if target is None:
        if not project.targets and name == "local":
            return name, IMPLICIT_LOCAL_TARGET
        known = ", ".join(sorted(project.targets)) or "none defined"
        raise errors.ProjectError(f"unknown target '{name}' (targets: {known})")
    return name, target


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


ENV_VAR_PREFIX = "RECONCILER_VAR_"


def declared_variables(project: ProjectFile) -> set[str]:
    """Every variable name the project file declares, at the top or in any target."""
    names = set(project.variables)
    for target in project.targets.values():
        names.update(target.variables)
    return names


def resolve_variables(
    project: ProjectFile,
    target: Target,
    cli_vars: Mapping[str, str] | None,
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Project variables, overridden by the target's, by ``RECONCILER_VAR_<NAME>`` in ``env``,
    then by ``--var``.

    ``--var`` must name a declared variable (a typo would otherwise be ignored while the
    declared default is used): ``ProjectError`` with a did-you-mean. Environment variables
    for undeclared names are ignored, as a CI job's environment holds more than one project's.
    """
    declared = declared_variables(project)
    unknown = sorted(set(cli_vars or {}) - declared)
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, sorted(declared), n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        known = ", ".join(sorted(declared)) or "none"
        raise errors.ProjectError(
            f"--var {name}: no such variable in {PROJECT_FILE} (declared: {known}){hint}")
    merged: dict[str, str] = {k: _as_text(v) for k, v in project.variables.items()}
    merged.update({k: _as_text(v) for k, v in target.variables.items()})
    environ = os.environ if env is None else env
    merged.update({name: environ[ENV_VAR_PREFIX + name] for name in sorted(declared)
                   if ENV_VAR_PREFIX + name in environ})
    merged.update(cli_vars or {})
    return merged


def read_project_parts(
    root: Path,
    target: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    paths: Sequence[str | Path] | None = None,
) -> ProjectParts:
    """Load the project, returning the loader's issues instead of raising (no semantic rules).

    ``paths`` replaces the project's ``manifests:`` (``validate PATHS...`` inside a project,
    relative to the current folder). ``ProjectError``/``ManifestError`` still escape for a
    missing or invalid ``reconciler.yaml``: without it nothing else can be checked.
    """
    project_file, raw = read_project_file(root)
    target_name, chosen = select_target(project_file, target)
    variables = resolve_variables(project_file, chosen, cli_vars, env)
    if paths is None:
        entry_locations: list[SourceLocation | None] = [
            raw.location_of(("manifests", i)) for i in range(len(project_file.manifests))
        ]
        result = load_documents(
            project_file.manifests,
            base=root,
            variables=variables,
            env=env,
            exclude=[root / PROJECT_FILE],
            entry_locations=entry_locations,
            inside=root,
        )
    else:
        result = load_documents(paths, variables=variables, env=env)
    project = Project(root, project_file, target_name, chosen, variables, result.endpoints,
                      result.securables)
    return ProjectParts(project, (*_project_id_issues(project_file, raw), *result.issues),
                        result.files)
