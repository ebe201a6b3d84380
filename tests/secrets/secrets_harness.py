"""A project whose keys come from the environment, and the CLI run against a loopback emulator.

The keys look real (an OpenAI project key, an AWS key pair, a Databricks token) and are new
random values per test session, so a hit in any output is a leak, never a coincidence.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from support import cli_process

PROJECT = "secrets-scan"
REPO = Path(__file__).resolve().parents[2]

PROJECT_FILE = """\
project: secrets-scan
manifests: [endpoints/]
default_target: emu
targets:
  emu:
    host: {host}
policy:
  plaintext_secrets: env-only
"""

OPENAI_ENDPOINT = """\
name: scan-openai
tags: {team: genai}
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config:
          openai_api_key_plaintext: ${env.OPENAI_KEY}
"""

BEDROCK_ENDPOINT = """\
name: scan-bedrock
config:
  served_entities:
    - name: claude
      external_model:
        name: claude-3-sonnet
        provider: amazon-bedrock
        task: llm/v1/chat
        amazon_bedrock_config:
          aws_region: us-east-1
          bedrock_provider: anthropic
          aws_access_key_id_plaintext: ${env.AWS_KEY_ID}
          aws_secret_access_key_plaintext: ${env.AWS_SECRET}
"""


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Keys:
    openai: str
    aws_key_id: str
    aws_secret: str
    databricks: str

    @classmethod
    def fresh(cls) -> Keys:
        alnum = string.ascii_letters + string.digits
        return cls(
            openai="sk-proj-" + _random(alnum + "-_", 40),
            aws_key_id="AKIA" + _random(string.ascii_uppercase + string.digits, 16),
            aws_secret=_random(alnum + "/+", 40),
            databricks="dapi" + _random("0123456789abcdef", 32),
        )

    def env(self) -> dict[str, str]:
        return {"OPENAI_KEY": self.openai, "AWS_KEY_ID": self.aws_key_id,
                "AWS_SECRET": self.aws_secret, "DATABRICKS_TOKEN": self.databricks}

    def values(self) -> list[str]:
        return [self.openai, self.aws_key_id, self.aws_secret, self.databricks]


def write_project(root: Path, host: str) -> Path:
    (root / "endpoints").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(PROJECT_FILE.format(host=host))
    (root / "endpoints" / "openai.yaml").write_text(OPENAI_ENDPOINT)
    (root / "endpoints" / "bedrock.yaml").write_text(BEDROCK_ENDPOINT)
    return root


def run_cli(root: Path, env: dict[str, str], *args: str,
            timeout: float = 120) -> cli_process.Finished:
    """``reconciler ARGS -C root`` in a clean environment plus ``env``, in ``root``."""
    return cli_process.run(root, *args, env=env, cwd=root, timeout=timeout)


def leaks(text: str | bytes, values: list[str]) -> list[str]:
    """The values (shown by their first 6 characters only) found in ``text``."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    return [v[:6] + "..." for v in values if v.encode() in data]
