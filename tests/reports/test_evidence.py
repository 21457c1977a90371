"""Evidence in text: ``key: value`` pairs shortened at word boundaries, never JSON cut mid-string."""

from __future__ import annotations

from reports.evidence import evidence_line, evidence_lines, evidence_pairs, shorten


def test_long_values_are_shortened_with_an_ellipsis_and_keys_survive():
    line = evidence_line(
        {
            "request": "GET https://a.test/",
            "status": 200,
            "body": "x" * 500,
            "headers": {"server": "nginx"},
        }
    )
    assert line.startswith("request: GET https://a.test/; status: 200; body: xxx")
    assert "x" * 200 not in line and "…" in line
    assert line.endswith("headers.server: nginx")


def test_the_whole_line_is_capped_and_says_so():
    line = evidence_line({f"k{i}": "v" * 150 for i in range(20)})
    assert len(line) <= 600 and line.endswith("…")


def test_newlines_in_bodies_fold_into_one_line():
    assert (
        evidence_line({"body": "Traceback (most recent call last):\n  File x"})
        == "body: Traceback (most recent call last): File x"
    )


def test_shortening_stops_at_a_word_boundary():
    text = "the quick brown fox jumps over the lazy dog " * 5
    short = shorten(text, 40)
    assert len(short) <= 40 and short.endswith("…")
    assert short[:-1] == text[: len(short) - 1].rstrip()  # a prefix of the text
    assert text.startswith(short[:-1]) and text[len(short) - 1] == " "  # cut before a space
    assert shorten("short", 40) == "short"
    assert shorten("x" * 100, 10) == "x" * 9 + "…"  # one long token is cut where it must be


def test_nested_values_become_dotted_keys_not_json():
    pairs = evidence_pairs(
        {
            "headers": {"server": "nginx", "x-powered-by": "Express"},
            "statuses": [401, 200],
            "body": None,
        }
    )
    assert pairs == [
        ("headers.server", "nginx"),
        ("headers.x-powered-by", "Express"),
        ("statuses", "401, 200"),
        ("body", "(none)"),
    ]
    lines = evidence_lines(
        {"body": '{"users": [{"email": "a@b.test", "name": "' + "n" * 300 + '"}]}'}
    )
    assert len(lines) == 1 and lines[0].startswith("body: ") and lines[0].endswith("…")


def test_many_entries_say_how_many_more():
    lines = evidence_lines({f"k{i}": i for i in range(20)}, max_lines=5)
    assert lines[:5] == [f"k{i}: {i}" for i in range(5)] and lines[5] == "(15 more entries)"
