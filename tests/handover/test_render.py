"""The handover document: golden files, content, redaction, Markdown tables, templates.

Regenerate the golden files after an intended change with::

    UPDATE_GOLDEN=1 python3 -m pytest -q tests/handover
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from checks.model import Finding, Status
from handover.model import HandoverInput
from handover.render import HandoverError, md_cell, md_code, render_handover
from tests.handover.sample import PLANTED_SECRET, PLANTED_STRIPE, PLANTED_TOKEN, sample_input

GOLDEN = Path(__file__).parent / "golden"
PLANTED = (PLANTED_SECRET, PLANTED_TOKEN, PLANTED_STRIPE)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest tests/handover"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: review, then UPDATE_GOLDEN=1 pytest tests/handover"


@pytest.mark.parametrize(("fmt", "name"), [("markdown", "handover.md"), ("html", "handover.html")])
def test_golden(fmt: str, name: str) -> None:
    _golden(name, render_handover(sample_input(), fmt=fmt))


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_same_input_same_document(fmt: str) -> None:
    assert render_handover(sample_input(), fmt=fmt) == render_handover(sample_input(), fmt=fmt)


def test_item_order_does_not_change_the_document() -> None:
    data = sample_input()
    shuffled = replace(data, items=tuple(reversed(data.items)), monitors=tuple(reversed(data.monitors)),
                       incidents=tuple(reversed(data.incidents)))
    assert render_handover(shuffled) == render_handover(data)


def test_every_failing_item_appears_with_its_owner_as_a_task() -> None:
    data = sample_input()
    text = render_handover(data)
    open_items = text.split("## Open items and owner actions")[1].split("## Waiver register")[0]
    failing = [i for i in data.items if i.status in (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)]
    assert len(failing) == 10
    for item in failing:
        section = open_items.split(f"### `{item.check_id}`")[1].split("\n### ")[0]
        owner = md_cell(item.owner) if item.owner else "unassigned"
        assert f"Owner: **{owner}**" in section
        assert re.search(rf"^- \[ \] {re.escape(owner)}\b", section, re.M), section
    # Failing first, by severity: both critical failures lead the scorecard.
    rows = [line for line in text.split("## Scorecard")[1].split("## Open items")[0].splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows[:2]] == ["auth.private_routes", "secrets.repo"]


def test_every_waiver_is_in_the_register_and_never_reads_as_a_pass() -> None:
    text = render_handover(sample_input())
    register = text.split("## Waiver register")[1].split("## Edge and domain")[0]
    assert "| `webhooks.replay` Replayed webhook deliveries are rejected | fail | Stripe retries are idempotent in the queue; fix after launch. | U0ADMIN | 2026-12-31 |" in register
    assert "| `webhooks.replay` Replayed webhook deliveries are rejected | WAIVED (fail) |" in text
    assert "| `webhooks.replay` Replayed webhook deliveries are rejected | PASS" not in text


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_no_planted_secret_appears(fmt: str) -> None:
    text = render_handover(sample_input(), fmt=fmt)
    for secret in PLANTED:
        assert secret not in text
        # Not even a long piece of one (a truncation must not leave a prefix behind).
        assert secret[:12] not in text
    assert "demo…5c (sha256:" in text  # the configured secret, redacted in place
    assert "sk-p…89 (sha256:" in text  # the unknown token, caught by its shape


def test_a_secret_planted_in_a_user_template_is_still_scrubbed(tmp_path: Path) -> None:
    template = tmp_path / "mine.md.j2"
    template.write_text("Raw: {{ input.report.results[4].findings[0].message }} / {{ input.known_secrets }}\n")
    text = render_handover(sample_input(), template=template)
    for secret in PLANTED:
        assert secret not in text


def test_long_evidence_is_truncated() -> None:
    text = render_handover(sample_input())
    assert "x" * 200 not in text
    assert re.search(r"body=Traceback \(most recent call last\): x+…", text)


def test_html_is_escaped() -> None:
    data = sample_input()
    hostile = replace(data.report.results[0], findings=(Finding("<script>alert(1)</script>", "a <b>bold</b> & move"),))
    report = replace(data.report, results=(hostile, *data.report.results[1:]))
    items = (replace(data.items[0], findings=hostile.findings), *data.items[1:])
    html = render_handover(replace(data, report=report, items=items), fmt="html")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = render_handover(replace(data, report=report, items=items))
    assert "<script>" not in markdown and "\\<script\\>" in markdown


# -- Markdown tables ------------------------------------------------------------------------


def _tables(text: str) -> list[list[list[str]]]:
    """Every table as rows of cell texts, parsed by a CommonMark parser with GFM tables."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables: list[list[list[str]]] = []
    row: list[str] = []
    in_cell = False
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            in_cell = True
            row.append("")
        elif token.type in ("th_close", "td_close"):
            in_cell = False
        elif token.type == "inline" and in_cell:
            row[-1] = token.content
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


def _raw_cells(line: str) -> int:
    """Cells in a raw table line: pipes not escaped by a backslash, minus the outer two."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def test_markdown_tables_parse_with_one_cell_per_column() -> None:
    text = render_handover(sample_input())
    tables = _tables(text)
    assert len(tables) >= 10
    for table in tables:
        width = len(table[0])
        assert all(len(row) == width for row in table)
    # Raw lines too: no unescaped pipe inside a cell (a parser would silently drop the extra cell).
    for block in re.findall(r"(?m)(?:^\|.*\|\n)+", text):
        lines = block.splitlines()
        assert {_raw_cells(line) for line in lines} == {_raw_cells(lines[0])}, block

    scorecard = next(t for t in tables if t[0][0] == "Check" and len(t[0]) == 9)
    assert len(scorecard) == 1 + len(sample_input().items)
    cors = next(row for row in scorecard if "api.cors" in row[0])
    assert cors[3] == "U0ALICE|ops"  # the pipe in the owner stays in its cell
    leaks = next(t for t in tables if t[0][0] == "Kind")
    assert len(leaks) == 4


def test_the_rendered_tables_keep_pipes_and_newlines_inside_cells() -> None:
    html = MarkdownIt("commonmark").enable("table").render(render_handover(sample_input()))
    assert "<td>U0ALICE|ops</td>" in html
    assert "Origin https://evil.test | null was allowed<br>with credentials." in html


def test_cell_and_code_helpers() -> None:
    assert md_cell("a|b\nc") == "a\\|b<br>c"
    assert md_cell("") == "-"
    assert md_cell("back\\slash|") == "back&#92;slash\\|"
    assert md_cell("snake_case _x_") == "snake_case \\_x\\_"
    assert md_code("a`b") == "``a`b``"


# -- templates and errors -------------------------------------------------------------------


def test_a_user_template_can_extend_the_shipped_one(tmp_path: Path) -> None:
    template = tmp_path / "ours.md.j2"
    template.write_text('{% extends "handover.md.j2" %}\n')
    assert render_handover(sample_input(), template=template) == render_handover(sample_input())


def test_a_user_template_of_its_own(tmp_path: Path) -> None:
    template = tmp_path / "short.md.j2"
    template.write_text("{{ doc.project }}: {{ doc.verdict }} ({{ doc.actions | length }} open)\n")
    assert render_handover(sample_input(), template=template) == "Acme Chat: NO-GO (10 open)\n"


def test_template_errors_are_sentences(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md.j2"
    broken.write_text("{% for x in %}\n")
    with pytest.raises(HandoverError, match=r"broken.md.j2, line 1: template syntax error"):
        render_handover(sample_input(), template=broken)
    unknown = tmp_path / "unknown.md.j2"
    unknown.write_text("{{ doc.nothing_here }}\n")
    with pytest.raises(HandoverError, match="the template uses something the document does not have"):
        render_handover(sample_input(), template=unknown)
    with pytest.raises(HandoverError, match="no such template file"):
        render_handover(sample_input(), template=tmp_path / "missing.j2")
    with pytest.raises(HandoverError, match='"pdf" is not a handover format'):
        render_handover(sample_input(), fmt="pdf")


def test_an_empty_run_still_renders() -> None:
    data = sample_input()
    empty = HandoverInput(project="P", target="t", base_url="https://t.test", generated_at=data.generated_at,
                          report=replace(data.report, results=()), items=())
    text = render_handover(empty)
    assert "Nothing is failing" in text and "No item is waived." in text and "no admin is configured" in text
    assert "**GO**: Every check passes" in text


def test_html_is_well_formed() -> None:
    from html.parser import HTMLParser

    class Balance(HTMLParser):
        VOID = {"meta", "br", "hr", "img", "input", "link"}

        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []
            self.errors: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if not self.stack or self.stack.pop() != tag:
                self.errors.append(tag)

    parser = Balance()
    parser.feed(render_handover(sample_input(), fmt="html"))
    assert parser.errors == [] and parser.stack == []
