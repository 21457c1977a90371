"""Repeated findings are one group: the same message once its route or place is taken out."""

from __future__ import annotations

from checks.model import Finding
from reports.findings import group_findings


def leak(route: str, status: int = 200) -> Finding:
    method, path = route.split(" ", 1)
    return Finding(
        route,
        f"With no credentials, {method} {path.replace('{id}', '1')} answered {status} (expected 401 or 403).",
        {"route": route, "status": status},
    )


def test_the_same_failure_on_eleven_routes_is_one_group():
    routes = [f"GET /api/r{i}/{{id}}" for i in range(11)]
    groups = group_findings(
        [leak(r) for r in routes] + [leak("POST /api/x", 500), Finding("config", "Not probed.")]
    )
    assert [len(g.findings) for g in groups] == [11, 1, 1]
    first = groups[0]
    assert (
        first.headline()
        == "11 routes: With no credentials, <route> answered 200 (expected 401 or 403)."
    )
    assert first.resources == routes  # in the order the check reported them
    assert groups[2].noun == "place"


def test_different_messages_stay_apart():
    groups = group_findings([leak("GET /a", 200), leak("GET /b", 500)])
    assert [g.headline() for g in groups] == [
        "1 route: With no credentials, <route> answered 200 (expected 401 or 403).",
        "1 route: With no credentials, <route> answered 500 (expected 401 or 403).",
    ]


def test_a_full_url_in_the_message_counts_as_the_route():
    findings = [
        Finding(
            f"GET /api/{name}",
            f"no token: GET https://localhost:4430/api/{name} could not connect: All connection attempts failed.",
        )
        for name in ("me", "conversations", "files")
    ]
    (group,) = group_findings(findings)
    assert (
        group.headline()
        == "3 routes: no token: <route> could not connect: All connection attempts failed."
    )
