from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from checks.webhooks.signing import SigningError, make_delivery, sign


def test_stripe_signature_is_hmac_of_timestamp_dot_body():
    headers = sign("stripe", "whsec_test", b'{"a":1}', timestamp=1700000000, msg_id="evt_1")
    expected = hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert headers == {"Stripe-Signature": f"t=1700000000,v1={expected}"}


def test_standard_webhooks_uses_the_base64_key():
    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    headers = sign("standard", secret, b"{}", timestamp=1700000000, msg_id="msg_1")
    mac = base64.b64encode(hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()).decode()
    assert headers == {"webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": f"v1,{mac}"}


def test_github_and_plain_hmac():
    mac = hmac.new(b"s3cret", b"{}", hashlib.sha256).hexdigest()
    assert sign("github", "s3cret", b"{}", timestamp=0, msg_id="d1")["X-Hub-Signature-256"] == f"sha256={mac}"
    assert sign("hmac-sha256", "s3cret", b"{}", timestamp=0, msg_id="d1", header="X-Signature") == {"X-Signature": mac}


def test_bad_standard_secret_is_a_sentence():
    with pytest.raises(SigningError, match="whsec_ followed by base64"):
        sign("standard", "whsec_not base64!", b"{}", timestamp=0, msg_id="m")


def test_delivery_merges_the_configured_event_and_keeps_a_fresh_id():
    one = make_delivery("stripe", "whsec_x", {"type": "invoice.paid", "id": "evt_fixed"}, timestamp=1)
    two = make_delivery("stripe", "whsec_x", {"type": "invoice.paid"}, timestamp=1)
    body = json.loads(one.body)
    assert body["type"] == "invoice.paid" and body["object"] == "event"
    assert body["id"] == one.event_id != two.event_id
