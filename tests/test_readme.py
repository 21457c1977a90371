"""The README's promises stay true: its YAML examples validate, its first block is the two commands."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.config import parse_config

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
ENV = {"ALICE_TOKEN": "a" * 20, "BOB_TOKEN": "b" * 20, "ADMIN_TOKEN": "c" * 20, "STRIPE_WEBHOOK_SECRET": "w" * 20}


def test_readme_opens_with_the_two_setup_commands():
    first = re.search(r"```bash\n(.*?)```", README, re.S)
    assert first is not None
    lines = [line for line in first.group(1).splitlines() if line.strip()]
    assert lines == ["pip install -e '.[test]' && launchready demo", "python3 -m pytest -q"]


def test_every_target_example_in_the_readme_validates():
    examples = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", README, re.S)]
    configs = [e for e in examples if isinstance(e, dict) and "targets" in e]
    assert len(configs) >= 2
    for example in configs:
        parse_config(yaml.safe_dump({"project": "Readme", **example}), env=ENV)
