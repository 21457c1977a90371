"""The subcommand list is the one source: the parser, the help, the manifest and the dispatch
all agree with ``bot.slack.commands.COMMANDS``."""

from __future__ import annotations

import importlib
import pkgutil

import bot.slack.commands as package
from bot.slack.blocks.help import help_message
from bot.slack.blocks.limits import escape
from bot.slack.commands import COMMANDS, names, parse, spec_for
from bot.slack.commands.spec import CommandSpec
from bot.slack.manifest import build_manifest, usage_hint


def test_every_module_in_the_package_exports_one_listed_spec():
    listed = {spec.name: spec for spec in COMMANDS}
    assert len(listed) == len(COMMANDS), "two subcommands share a name"
    modules = [
        m.name
        for m in pkgutil.iter_modules(package.__path__)
        if m.name not in ("spec", "checklist_lines")
    ]
    specs = [importlib.import_module(f"bot.slack.commands.{m}").SPEC for m in modules]
    assert all(isinstance(spec, CommandSpec) for spec in specs)
    assert sorted(s.name for s in specs) == sorted(listed)
    assert all(listed[s.name] is s for s in specs)


def test_the_parser_knows_exactly_the_listed_names():
    for spec in COMMANDS:
        assert parse(spec.name, ["staging"]).name in (spec.name, "help")
        # Slack escapes a picked @person as <@U…|name> (should_escape in the manifest).
        example = spec.example.removeprefix("/launchready ").strip().replace("@ann", "<@U0ANN|ann>")
        parsed = parse(example, ["staging"])
        assert parsed.name == spec.name and parsed.problem is None, (spec.name, parsed)
    assert parse("frobnicate").is_help and "not a subcommand" in (parse("frobnicate").problem or "")


def test_help_lists_every_subcommand_with_its_usage_and_example():
    message = help_message(None, commands=COMMANDS)
    body = "\n".join(b["text"]["text"] for b in message.blocks if b.get("type") == "section")
    for spec in COMMANDS:
        assert escape(spec.usage) in body and escape(spec.example) in body
    assert message.text.endswith(" | ".join(names()))


def test_manifest_usage_hint_names_every_subcommand():
    manifest = build_manifest("https://launchready.acme.test")
    (command,) = manifest["features"]["slash_commands"]
    hint = command["usage_hint"]
    assert hint == usage_hint()
    for name in names():
        assert name in hint
    assert {"handover", "digest", "incidents"} <= set(hint.replace("|", " ").split())


def test_only_help_is_answered_in_the_acknowledgement():
    assert [spec.name for spec in COMMANDS if spec.handle is None] == ["help"]
    assert spec_for("waive").who == "admins" and spec_for("status").who == "anyone"
    assert spec_for("nope") is None
