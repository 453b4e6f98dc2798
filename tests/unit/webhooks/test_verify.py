"""Verifying Mava's webhooks (mava_bridge.webhooks.verify) against envelopes made by the
sandbox's sender (mava_sandbox.mava_webhooks), which follows Mava's Webhook Security
Guide from the other side: none of these vectors comes from the bridge's own code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mava_bridge.domain.refused import Refused
from mava_bridge.domain.webhook_key import load_signing_key
from mava_bridge.webhooks.verify import Event, open_envelope, read_event
from mava_sandbox.mava_webhooks import seal, signing_key_of

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SIGNING_KEY = signing_key_of(RSA_KEY)  # what Mava's dashboard would show
SYMMETRIC = bytes(range(32))
MESSAGE = {"type": "message.created", "document": {"content": "Hi", "ticket": "T1"}}


def body(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode()


def opened(envelope: dict[str, Any]) -> Any:
    return open_envelope(body(envelope), load_signing_key(SIGNING_KEY))


def test_the_signature_is_hex_hmac_sha256_keyed_by_the_keys_base64_text() -> None:
    envelope = seal(MESSAGE, RSA_KEY.public_key(), symmetric_key=SYMMETRIC, webhook_id="w1")
    keyed_by = base64.b64encode(SYMMETRIC)  # the text, not the raw bytes
    digest = hmac.new(keyed_by, envelope["payload"].encode(), hashlib.sha256).hexdigest()
    assert envelope["signature"] == digest
    got = opened(envelope)
    assert (got.webhook_id, got.symmetric_key) == ("w1", SYMMETRIC)
    assert read_event(got, "aes-256-cbc") == Event("message.created", "T1")


@pytest.mark.parametrize(
    ("cipher", "mode", "event"),
    [
        ("aes-256-cbc", "aes-256-cbc", Event("message.created", "T1")),
        ("aes-256-gcm", "aes-256-gcm", Event("message.created", "T1")),
        ("aes-256-gcm", "aes-256-cbc", None),  # the mode guessed wrong: still a nudge
        ("opaque", "aes-256-cbc", None),
        ("opaque", "aes-256-gcm", None),
    ],
)
def test_the_payload_is_read_only_when_the_mode_fits(
    cipher: Any, mode: Any, event: Event | None
) -> None:
    envelope = seal(MESSAGE, RSA_KEY.public_key(), cipher)
    assert read_event(opened(envelope), mode) == event  # verified either way


def test_a_tickets_own_id_is_read_from_ticket_events() -> None:
    envelope = seal({"type": "ticket.updated", "document": {"_id": "T9"}}, RSA_KEY.public_key())
    assert read_event(opened(envelope), "aes-256-cbc") == Event("ticket.updated", "T9")
    envelope = seal({"type": "customer.updated", "document": {"_id": "C1"}}, RSA_KEY.public_key())
    assert read_event(opened(envelope), "aes-256-cbc") == Event("customer.updated", None)


def test_an_upper_case_hex_signature_is_mavas_too() -> None:
    envelope = seal(MESSAGE, RSA_KEY.public_key())
    assert opened({**envelope, "signature": envelope["signature"].upper()})


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"signature": "0" * 64}, 401, "bad signature"),
        ({"signature": "é" * 64}, 401, "bad signature"),
        ({"payload": "00" * 32}, 401, "bad signature"),  # tampered payload
        ({"key": "abcd:" + base64.b64encode(b"x" * 256).decode()}, 401, "does not decrypt"),
        ({"key": "no-colon"}, 400, "key is not"),
        ({"key": "iv:not base64!"}, 401, "does not decrypt"),
        ({"webhookId": ""}, 400, "webhookId is missing"),
        ({"signature": 7}, 400, "signature is missing"),
    ],
)
def test_what_is_not_mavas_is_refused(change: dict[str, Any], status: int, reason: str) -> None:
    envelope = {**seal(MESSAGE, RSA_KEY.public_key()), **change}
    with pytest.raises(Refused) as refused:
        opened(envelope)
    assert refused.value.status == status
    assert reason in refused.value.reason


def test_an_envelope_for_another_key_is_refused() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Refused) as refused:
        opened(seal(MESSAGE, other.public_key()))
    assert refused.value.status == 401


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe", b'{"payload": "x"}'])
def test_a_body_that_is_no_envelope_is_a_400(raw: bytes) -> None:
    with pytest.raises(Refused) as refused:
        open_envelope(raw, load_signing_key(SIGNING_KEY))
    assert refused.value.status == 400


def test_a_very_long_webhook_id_is_remembered_by_its_hash() -> None:
    envelope = seal(MESSAGE, RSA_KEY.public_key(), webhook_id="w" * 500)
    assert opened(envelope).webhook_id == "sha256:" + hashlib.sha256(b"w" * 500).hexdigest()


def test_signing_keys_that_are_not_mavas_say_why_without_quoting_them() -> None:
    ec_der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cases = {
        "xoxb-123": "does not start with mava_wh_",
        "mava_wh_%%%": "is not base64",
        "mava_wh_" + base64.b64encode(b"secret-ish").decode(): "not a PKCS8 DER private key",
        "mava_wh_" + base64.b64encode(ec_der).decode(): "is not an RSA private key",
    }
    for text, problem in cases.items():
        with pytest.raises(ValueError, match=problem) as raised:
            load_signing_key(text)
        assert (text[8:] or text) not in str(raised.value)
