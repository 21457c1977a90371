from __future__ import annotations

from bot.cli.formats import evidence_line


def test_long_values_are_shortened_with_an_ellipsis_and_keys_survive():
    line = evidence_line({"request": "GET https://a.test/", "status": 200, "body": "x" * 500, "headers": {"server": "nginx"}})
    assert line.startswith("request: GET https://a.test/; status: 200; body: xxx")
    assert "x" * 200 not in line and "…" in line
    assert line.endswith('headers: {"server": "nginx"}')


def test_the_whole_line_is_capped_and_says_so():
    line = evidence_line({f"k{i}": "v" * 150 for i in range(20)})
    assert len(line) == 600 and line.endswith("…")


def test_newlines_in_bodies_fold_into_one_line():
    assert evidence_line({"body": "Traceback (most recent call last):\n  File x"}) == "body: Traceback (most recent call last): File x"
