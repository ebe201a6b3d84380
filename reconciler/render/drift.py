"""``reconciler drift`` output: only what changed on the live side, as text, JSON or Markdown.

Each drifted field shows its live value (what someone set in the workspace) and the value the
manifest holds (what ``apply`` will put back). Values are masked like any plan value
(reconciler.render.redact). Pure: returns strings.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.planning.drift import DriftedField, DriftReport
from reconciler.redaction import redact_data
from reconciler.render.redact import display_value, safe_text

DRIFT_SCHEMA_VERSION = 1


def _target(report: DriftReport) -> str:
    where = report.target_host or report.target_local
    return f"target {report.target_name}" + (f" ({where})" if where else "")


UNMANAGED_HEADING = ("Changed outside the repository, not managed by the manifest; apply "
                     "leaves it:")


def _summary(report: DriftReport) -> str:
    text = _endpoint_summary(report)
    if report.services_checked or report.services:
        fields = sum(len(s.fields) for s in report.services)
        text += (f" Drift: {fields} field(s) on {len(report.services)} of "
                 f"{report.services_checked} service(s) changed outside the repository; "
                 "`reconciler apply` puts them back."
                 if report.services else
                 f" None of {report.services_checked} service(s) was changed outside the "
                 "repository.")
    return text


def _endpoint_summary(report: DriftReport) -> str:
    fields = sum(len(e.fields) for e in report.endpoints)
    if not report.endpoints and report.services:
        text = f"None of {report.checked} endpoint(s) was changed outside the repository."
    elif not report.endpoints:
        text = (f"No drift in what the manifests manage: none of {report.checked} "
                "endpoint(s) was changed there outside the repository."
                if report.has_unmanaged else
                f"No drift: none of {report.checked} endpoint(s) was changed outside the "
                "repository.")
    else:
        text = (f"Drift: {fields} field(s) on {len(report.endpoints)} of {report.checked} "
                "endpoint(s) changed outside the repository; `reconciler apply` puts them "
                "back.")
    if report.has_unmanaged:
        count = sum(len(e.fields) for e in report.unmanaged)
        text += (f" {count} setting(s) on {len(report.unmanaged)} endpoint(s) not managed by "
                 "the manifests were changed outside the repository (listed; apply leaves "
                 "them; write them into the manifest to manage them).")
    return text


def _unmanaged_lines(report: DriftReport) -> list[str]:
    if not report.has_unmanaged:
        return []
    out = [UNMANAGED_HEADING]
    for endpoint in report.unmanaged:
        where = f"  ({endpoint.source})" if endpoint.source else ""
        out.append(f"~ {endpoint.name}{where}")
        out.extend(f"    {f.path}: live {display_value(f.path, f.value)}"
                   for f in endpoint.fields)
    out.append("")
    return out


def _unattributed_note(report: DriftReport) -> str | None:
    notes = []
    if report.unattributed:
        notes.append("Not attributed (no reconciler-applied mark yet; apply records one): "
                     + ", ".join(report.unattributed))
    if report.unattributed_services:
        notes.append("Not attributed (no marker of this project in the comment yet, or no "
                     "caller identity; apply records the marker): "
                     + ", ".join(report.unattributed_services))
    return "\n".join(notes) or None


def _drifted(report: DriftReport) -> list[tuple[str, str | None, tuple[DriftedField, ...]]]:
    """(label, source, fields) of each drifted endpoint, then each drifted service."""
    return [(e.name, e.source, e.fields) for e in report.endpoints] + [
        (s.label, s.source, s.fields) for s in report.services]


def render_drift_text(report: DriftReport) -> str:
    out = [f"Drift for project {report.project}, {_target(report)}", ""]
    for label, source, fields in _drifted(report):
        where = f"  ({source})" if source else ""
        out.append(f"! {label}{where}")
        for f in fields:
            live = display_value(f.path, f.live) if f.live is not None else "(absent)"
            manifest = display_value(f.path, f.manifest) if f.manifest is not None \
                else "(absent)"
            out.append(f"    {f.path}: live {live}, manifest {manifest}")
        out.append("")
    out.extend(_unmanaged_lines(report))
    note = _unattributed_note(report)
    if note:
        out.extend([note, ""])
    out.append(_summary(report))
    return safe_text("\n".join(out)) + "\n"


def _cell(text: str) -> str:
    return safe_text(text).replace("|", "\\|").replace("\n", " ")


def render_drift_markdown(report: DriftReport) -> str:
    out = [f"### Drift for project {report.project}, {_target(report)}", "",
           f"**{_summary(report)}**", ""]
    if report.has_drift:
        out.extend(["| endpoint | field | live value | manifest value |", "|---|---|---|---|"])
        for label, _source, fields in _drifted(report):
            for f in fields:
                live = display_value(f.path, f.live) if f.live is not None else "(absent)"
                manifest = display_value(f.path, f.manifest) if f.manifest is not None \
                    else "(absent)"
                out.append(f"| `{_cell(label)}` | `{_cell(f.path)}` | "
                           f"`{_cell(live)}` | `{_cell(manifest)}` |")
        out.append("")
    if report.has_unmanaged:
        out.extend([f"**{_cell(UNMANAGED_HEADING)}**", "", "| endpoint | field | live value |",
                    "|---|---|---|"])
        for unmanaged in report.unmanaged:
            for x in unmanaged.fields:
                out.append(f"| `{_cell(unmanaged.name)}` | `{_cell(x.path)}` | "
                           f"`{_cell(display_value(x.path, x.value))}` |")
        out.append("")
    note = _unattributed_note(report)
    if note:
        out.extend([_cell(note), ""])
    return "\n".join(out).rstrip("\n") + "\n"


def drift_to_dict(report: DriftReport) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema_version": DRIFT_SCHEMA_VERSION,
        "project": report.project,
        "target_name": report.target_name,
        "target_host": report.target_host,
        "drift": report.has_drift,
        "checked": report.checked,
        "endpoints": [
            {
                "name": e.name,
                "source": e.source,
                "fields": [
                    {"path": f.path, "live": f.live, "manifest": f.manifest,
                     "facet": f.facet, "impact": f.impact}
                    for f in e.fields
                ],
                "not_drift": [x.model_dump(mode="json") for x in e.explanations],
            }
            for e in report.endpoints
        ],
        "unattributed": list(report.unattributed),
        # Unity AI Gateway services (docs/unity-gateway.md "Drift").
        "services_checked": report.services_checked,
        "services": [
            {"kind": s.kind, "name": s.name, "source": s.source,
             "fields": [{"path": f.path, "live": f.live, "manifest": f.manifest,
                         "facet": f.facet} for f in s.fields]}
            for s in report.services
        ],
        "unattributed_services": list(report.unattributed_services),
        "unmanaged": [
            {"name": e.name, "source": e.source,
             "fields": [{"path": x.path, "live": x.value, "note": x.note} for x in e.fields]}
            for e in report.unmanaged
        ],
    }
    masked: dict[str, Any] = redact_data(data)
    return masked


def render_drift_json(report: DriftReport) -> str:
    return safe_text(json.dumps(drift_to_dict(report), indent=2, ensure_ascii=False)) + "\n"
