"""The items no probe can decide: a named person attests them, and the attestation goes stale."""

from __future__ import annotations

from checks.check import manual_check
from checks.model import Severity

__all__ = ["CHECKS"]

CHECKS = [
    manual_check(
        id="manual.keys_rotated",
        title="Keys used during development have been rotated",
        severity=Severity.HIGH,
        passes_when="Every API key, webhook secret and database password that existed before launch has been replaced, and the old ones revoked.",
        why="Keys pasted into chats, laptops and CI logs during development are known to more people than the production app.",
        breaks="A former contractor or a leaked log can still call OpenAI, Stripe or the database as you.",
        remediation="Rotate each provider key and secret, update the deployment's secret store, revoke the old values, then attest.",
    ),
    manual_check(
        id="manual.edge_rules",
        title="DDoS and edge rules are in place",
        severity=Severity.MEDIUM,
        passes_when="The CDN/WAF has rate rules for login, signup and chat, bot protection on signup, and an emergency 'under attack' switch someone knows how to flip.",
        why="A launch post brings crawlers, credential stuffers and people who want free model calls.",
        breaks="One script signs up thousands of accounts or spends the month's model budget overnight.",
        remediation="Configure edge rate limits and bot protection for /auth/* and /api/chat; write down who flips the switch.",
    ),
    manual_check(
        id="manual.alert_routing",
        title="Alerts reach a person who can act",
        severity=Severity.HIGH,
        passes_when="Latency, 5xx and webhook-failure alerts go to a channel someone watches, with an on-call owner for launch week.",
        why="An alert nobody reads is the same as no alert.",
        breaks="The app is down for hours on launch day before anyone notices.",
        remediation="Point monitors and Alertmanager/Sentry at the launch channel and name an on-call person, then attest.",
    ),
    manual_check(
        id="manual.tool_permissions",
        title="The assistant's tools have least privilege",
        severity=Severity.HIGH,
        passes_when="Every tool the model can call runs with the calling user's permissions, scoped to their tenant, with no admin or cross-tenant reach.",
        why="A prompt injection turns the model's tools into the attacker's tools.",
        breaks="A crafted message makes the bot read or change another customer's data.",
        remediation="List each tool, its credentials and scope; remove admin credentials from tool calls; attest.",
    ),
    manual_check(
        id="manual.destructive_actions_review",
        title="A human confirms destructive tool actions",
        severity=Severity.MEDIUM,
        passes_when="Refunds, deletions, outbound e-mail and payments the model proposes wait for a person's confirmation.",
        why="Models follow instructions hidden in documents and messages.",
        breaks="An injected instruction deletes data or sends money without anyone approving it.",
        remediation="Put a confirmation step in front of every destructive or costly tool call, then attest.",
    ),
]
