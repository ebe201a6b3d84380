"""Rules the loader reports while reading files and building models (layers load, structure),
and the project-file rules it checks while reading ``reconciler.yaml`` (PROJECT-002, and the
PROJECT-003 warning about ``project_id``).

They have no check function: reading YAML, interpolating and building pydantic models is the
loader's job, and it reports through these objects so the IDs and docs live in one catalogue
(``validation.catalog`` lists them). In ``model`` so that loading need not import validation.
"""

from __future__ import annotations

from reconciler.model.diagnostics import RuleSpec
from reconciler.model.vocabulary import EXAMPLE_PROJECT_ID

UNREADABLE = RuleSpec("LOAD-001", "A manifest file cannot be read or is not UTF-8 text.", "load")
YAML_SYNTAX = RuleSpec("LOAD-002", "The file is not valid YAML.", "load")
DUPLICATE_KEY = RuleSpec(
    "LOAD-003", "A mapping has the same key twice (YAML loaders silently keep the last).", "load"
)
LIMITS = RuleSpec(
    "LOAD-004",
    "A file is too large, nested too deeply, or expands too many aliases (YAML bomb guard).",
    "load",
)
NOT_A_MAPPING = RuleSpec("LOAD-005", "A document is not a mapping of fields.", "load")
UNSUPPORTED_YAML = RuleSpec(
    "LOAD-006",
    "A YAML feature with no JSON equivalent (custom tags, binary, complex keys).",
    "load",
)
NO_MANIFESTS = RuleSpec("LOAD-007", "A path or `manifests:` entry matches no YAML file.", "load")
OUTSIDE_PROJECT = RuleSpec(
    "LOAD-008",
    "A `manifests:` entry reaches outside the project folder (`..`, an absolute path, or a "
    "symlink out).",
    "load",
)
UNDEFINED_VAR = RuleSpec(
    "INTERP-001", "`${var.NAME}` names no project, target or --var variable.", "load"
)
UNDEFINED_ENV = RuleSpec("INTERP-002", "`${env.NAME}` names an unset environment variable.", "load")
BAD_REFERENCE = RuleSpec(
    "INTERP-003",
    "`${...}` is not `${var.NAME}` or `${env.NAME}` (write `$${` for a literal).",
    "load",
)
UNKNOWN_FIELD = RuleSpec(
    "STRUCT-001", "A field the API does not have (with a did-you-mean hint).", "structure"
)
MISSING_FIELD = RuleSpec("STRUCT-002", "A required field is missing.", "structure")
WRONG_TYPE = RuleSpec(
    "STRUCT-003", "A value has the wrong type or is not one of the allowed values.", "structure"
)

TARGET_KIND = RuleSpec(
    "PROJECT-002",
    "A target is either the embedded registry (`local:`) or a workspace (`host:`), not both.",
    "project",
)

# A warning, as plan and apply still work without an id (owning by the project name, as
# before project ids), but --prune is refused (docs/ownership.md).
PROJECT_ID = RuleSpec(
    "PROJECT-003",
    "reconciler.yaml has a `project_id` of its own (ownership of what apply writes; `--prune` "
    "needs it).",
    "project",
    severity="warning",
)


def project_id_problem(project_id: str | None) -> str | None:
    """What PROJECT-003 says about a project's ``project_id`` (None: nothing)."""
    if project_id is None:
        return ("no project_id: endpoints are owned by the project name alone, which another "
                "repository (a copy of the same example, say) may share, and --prune is "
                "refused; run `reconciler migrate-ownership` to add one (docs/ownership.md)")
    if project_id == EXAMPLE_PROJECT_ID:
        return (f"project_id {EXAMPLE_PROJECT_ID} is the examples' placeholder, shared by every "
                "copy of them, and --prune refuses it; run `reconciler migrate-ownership` to "
                "replace it with one of this repository's own (docs/ownership.md)")
    return None


LOAD_RULES: tuple[RuleSpec, ...] = (
    UNREADABLE,
    YAML_SYNTAX,
    DUPLICATE_KEY,
    LIMITS,
    NOT_A_MAPPING,
    UNSUPPORTED_YAML,
    NO_MANIFESTS,
    OUTSIDE_PROJECT,
    UNDEFINED_VAR,
    UNDEFINED_ENV,
    BAD_REFERENCE,
    UNKNOWN_FIELD,
    MISSING_FIELD,
    WRONG_TYPE,
)
