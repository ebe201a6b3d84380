"""Benchmark: validate 1,000 generated endpoint manifests vs plain ``yaml.load`` (C loader).

    .venv/bin/python bench/validate.py [--count 1000] [--repeat 5] [--layout files|single]

Generates ``--count`` endpoint manifests (every provider and task, gateway settings, custom
models) into a temporary folder, then times, on the same files:

* baseline: read each file and ``yaml.load_all(..., Loader=yaml.CSafeLoader)``; nothing else;
* reconciler: ``reconciler.api.validate_paths`` - read, compose, build values with positions,
  duplicate-key and bomb checks, interpolation, pydantic models and every validation rule.

Runs the two alternately and reports the best of ``--repeat`` runs of each (the least
disturbed by other processes) and the ratio; the goal is at most 2x. ``--layout single``
puts all manifests in one multi-document file instead of one file each.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from reconciler.api import validate_paths

PROVIDERS = [
    ("openai", "openai_config", {"openai_api_key": "{{secrets/openai/key}}"}),
    ("anthropic", "anthropic_config", {"anthropic_api_key": "{{secrets/anthropic/key}}"}),
    ("cohere", "cohere_config", {"cohere_api_key": "{{secrets/cohere/key}}"}),
    (
        "amazon-bedrock",
        "amazon_bedrock_config",
        {
            "aws_region": "us-east-1",
            "bedrock_provider": "anthropic",
            "instance_profile_arn": "arn:aws:iam::1:instance-profile/x",
        },
    ),
    (
        "google-cloud-vertex-ai",
        "google_cloud_vertex_ai_config",
        {"project_id": "p", "region": "us-central1", "private_key": "{{secrets/gcp/key}}"},
    ),
]
TASKS = ["llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings"]


def manifest(i: int) -> dict[str, object]:
    """A realistic endpoint: one of the providers, or a two-version custom model."""
    tags = {"team": f"team-{i % 7}", "env": "${var.env}", "cost-center": str(4000 + i)}
    if i % 6 == 5:
        entities = [
            {
                "name": f"v{v}",
                "entity_name": "main.ml.model",
                "entity_version": str(v),
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
                "environment_vars": {"LOG_LEVEL": "info", "TOKEN": "{{secrets/ml/token}}"},
            }
            for v in (1, 2)
        ]
        routes = [
            {"served_entity_name": "v1", "traffic_percentage": 80},
            {"served_entity_name": "v2", "traffic_percentage": 20},
        ]
        config: dict[str, object] = {
            "served_entities": entities,
            "traffic_config": {"routes": routes},
        }
    else:
        provider, block, settings = PROVIDERS[i % len(PROVIDERS)]
        config = {
            "served_entities": [
                {
                    "name": f"model-{i}",
                    "external_model": {
                        "name": f"model-{i}",
                        "provider": provider,
                        "task": TASKS[i % 3],
                        block: settings,
                    },
                }
            ]
        }
    return {
        "name": f"endpoint-{i:04d}",
        "description": f"Generated endpoint number {i} for the validation benchmark.",
        "tags": tags,
        "config": config,
        "ai_gateway": {
            "usage_tracking_config": {"enabled": True},
            "rate_limits": [{"key": "user", "renewal_period": "minute", "calls": 20 + i % 50}],
            "guardrails": {"input": {"safety": True, "pii": {"behavior": "BLOCK"}}},
        },
    }


def generate(folder: Path, count: int, layout: str) -> list[Path]:
    docs = [manifest(i) for i in range(count)]
    if layout == "single":
        path = folder / "endpoints.yaml"
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        return [path]
    paths = []
    for i, doc in enumerate(docs):
        path = folder / f"endpoint-{i:04d}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        paths.append(path)
    return paths


def best_of(repeat: int, *runs: Callable[[], object]) -> list[float]:
    """The best time of each run, interleaved so that background load hits both alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--layout", choices=["files", "single"], default="files")
    args = parser.parse_args()
    if not getattr(yaml, "__with_libyaml__", False):
        print("libyaml is not available: the baseline needs yaml.CSafeLoader", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), args.count, args.layout)

        def baseline() -> None:
            for path in paths:
                list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))

        def reconciler() -> None:
            report = validate_paths(paths, variables={"env": "dev"}, env={})
            if report.issues or len(report.endpoints) != args.count:
                raise SystemExit(f"benchmark manifests are invalid: {report.issues[:3]}")

        reconciler()  # warm-up: imports, pydantic schema build
        base, ours = best_of(args.repeat, baseline, reconciler)
    print(f"manifests: {args.count} ({args.layout}), best of {args.repeat}")
    print(f"python {platform.python_version()}, PyYAML {yaml.__version__} (libyaml)")
    print(f"yaml.load (CSafeLoader):     {base * 1000:8.1f} ms")
    print(f"reconciler validate_paths:   {ours * 1000:8.1f} ms")
    print(f"ratio:                       {ours / base:8.2f}x (goal <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
