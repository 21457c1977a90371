"""The HTML handover's structure: a compact scorecard (six short columns, one line of summary)
and the long prose per item below it, every row linked to its details. The page was checked at
1400 px in headless Chromium (docs/handover.md); this test keeps the structure, not pixels."""

from __future__ import annotations

from html.parser import HTMLParser

from handover.render import render_handover
from tests.handover.sample import sample_input


class Page(HTMLParser):
    """Collects the scorecard's header and rows, the links in it, and the detail sections."""

    def __init__(self) -> None:
        super().__init__()
        self.in_scorecard = False
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self._section: str | None = None
        self._dt: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "scorecard" in (found.get("class") or ""):
            self.in_scorecard = True
        elif self.in_scorecard and tag == "tr":
            self.rows.append([])
        elif self.in_scorecard and tag in ("td", "th"):
            self._cell = []
        elif self.in_scorecard and tag == "a":
            self.links.append(found.get("href") or "")
        elif tag == "section" and "item" in (found.get("class") or ""):
            self._section = found.get("id") or ""
            self.sections[self._section] = []
        elif tag == "dt" and self._section is not None:
            self._dt = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.in_scorecard:
            self.in_scorecard = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.headers if tag == "th" else self.rows[-1]).append(text)
            self._cell = None
        elif tag == "dt" and self._dt is not None and self._section is not None:
            self.sections[self._section].append("".join(self._dt).strip())
            self._dt = None
        elif tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._dt is not None:
            self._dt.append(data)


def parsed() -> Page:
    page = Page()
    page.feed(render_handover(sample_input(), fmt="html"))
    return page


def test_scorecard_has_the_six_compact_columns():
    page = parsed()
    assert page.headers == ["Check", "Status", "Severity", "Owner", "Due", "Summary"]
    rows = [r for r in page.rows if r]
    assert len(rows) == len(sample_input().items)
    assert all(len(r) == 6 for r in rows)
    # One line of summary per row: the long prose lives below, not in the table.
    assert max(len(r[5]) for r in rows) <= 141
    assert not any("Passes when" in " ".join(r) for r in rows)


def test_every_row_links_to_its_details_with_the_long_prose():
    page = parsed()
    ids = {f"item-{item.check_id}" for item in sample_input().items}
    assert {link.removeprefix("#") for link in page.links} == ids
    assert set(page.sections) == ids
    for labels in page.sections.values():
        assert labels == ["Passes when", "Why it matters", "What breaks if it fails", "Evidence"]


def test_long_words_wrap_instead_of_scrolling_sideways():
    html = render_handover(sample_input(), fmt="html")
    assert "overflow-wrap: anywhere" in html  # a long URL or token breaks inside the column
    assert "table.scorecard { table-layout: fixed; }" in html
