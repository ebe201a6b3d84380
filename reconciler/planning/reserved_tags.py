"""The reserved tags apply writes, added to the planned steps here and nowhere else. Pure.

* ``reconciler-project`` and ``reconciler-project-id`` (ownership: the project name and its
  ``project_id``, ``model.live.Owner.tags``; docs/ownership.md) are part of the desired tags
  (``diff.desired.desired_tags``): the diff compares them like any tag, so they are written
  by the create body or the ordinary tags step when they differ (adopting an endpoint tagged
  before project ids is that tags step adding the id).
* ``reconciler-secrets``: the digest marker of the plaintext keys sent (apply turns it into the
  salted digest, ``diff.secret_digest``). In the create body; on an update that sends keys
  again (a config step), in the tags step, which is added at the tags position of the facet
  order when the update writes no tags of its own: the digest rides with the config it
  describes.
* ``reconciler-applied``: the manifest's applied marks (``diff.applied_marks``). In the create
  body; on an update, in the tags step when that is the last step, otherwise in one more tags
  step at the end, so the marks are only written once everything before them succeeded.
"""

from __future__ import annotations

from typing import Any

from reconciler.diff.facets import FACET_BY_NAME, FACETS, facet_of_step
from reconciler.model.steps import CreateStep, PatchTagsStep, PlanStep, TagWrite
from reconciler.model.vocabulary import APPLIED_TAG, SECRETS_TAG

_TAGS_POSITION = FACETS.index(FACET_BY_NAME["tags"])


def create_with_tag(step: CreateStep, key: str, value: Any) -> CreateStep:
    """The create step with ``key`` set to ``value`` among its body's tags (last)."""
    tags = [t for t in step.body.get("tags") or [] if t.get("key") != key]
    tags.append({"key": key, "value": value})
    return step.model_copy(update={"body": {**step.body, "tags": tags}})


def with_secrets_tag(steps: list[PlanStep], name: str, marker: Any) -> list[PlanStep]:
    """``steps`` with the secrets digest marker written by the tags step (see above)."""
    tag = TagWrite(key=SECRETS_TAG, value=marker)
    for index, step in enumerate(steps):
        if isinstance(step, PatchTagsStep):
            return [*steps[:index], _add(step, tag), *steps[index + 1:]]
    position = next((i for i, s in enumerate(steps) if _after_tags(s)), len(steps))
    return [*steps[:position], PatchTagsStep(endpoint=name, add_tags=[tag]), *steps[position:]]


def with_applied_mark(steps: list[PlanStep], name: str, mark: str) -> list[PlanStep]:
    """``steps`` with the applied marks written last (see above)."""
    tag = TagWrite(key=APPLIED_TAG, value=mark)
    if steps and isinstance(steps[-1], PatchTagsStep):
        return [*steps[:-1], _add(steps[-1], tag)]
    return [*steps, PatchTagsStep(endpoint=name, add_tags=[tag])]


def _add(step: PatchTagsStep, tag: TagWrite) -> PatchTagsStep:
    return step.model_copy(update={"add_tags": [*step.add_tags, tag]})


def _after_tags(step: PlanStep) -> bool:
    spec = facet_of_step(step)
    return spec is not None and FACETS.index(spec) > _TAGS_POSITION
