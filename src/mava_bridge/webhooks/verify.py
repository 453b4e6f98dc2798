"""Verify a Mava webhook and, if the cipher is guessed right, read its event.

Mava's Webhook Security Guide: the body is JSON `{signature, payload, key, webhookId}`;
`key` is `<iv>:<base64 RSA-OAEP-encrypted symmetric key>`, decrypted as its Node sample
does (OAEP with Node's default SHA-1, no label). The signature is the hex HMAC-SHA256 of
`payload` keyed by the *base64 text* of the symmetric key. How the payload is encrypted
is cut off in every copy of the docs: `read_event` tries, and a verified webhook is a
nudge either way, never the data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mava_bridge.domain.refused import Refused

FIELDS: Final = ("signature", "payload", "key", "webhookId")
Mode = Literal["aes-256-cbc", "aes-256-gcm", "aes-256-ctr"]
GCM_TAG: Final = 16  # Node's default auth tag length; taken from the ciphertext's end
WEBHOOK_ID_CHARS: Final = 128  # longer ids are remembered by their SHA-256


@dataclass(frozen=True)
class Envelope:
    webhook_id: str  # as remembered: the id, or "sha256:..." when very long
    payload: str
    iv: str
    symmetric_key: bytes


@dataclass(frozen=True)
class Event:
    type: str | None
    ticket_id: str | None


def open_envelope(body: bytes, key: rsa.RSAPrivateKey) -> Envelope:
    """The verified envelope, or `Refused`: nothing in the body is trusted before the
    HMAC matched."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "body is not a JSON object")
    for name in FIELDS:
        if not isinstance(data.get(name), str) or not data[name]:
            raise Refused(400, f"{name} is missing or not a string")
    iv, sep, wrapped = data["key"].partition(":")
    if not sep:
        raise Refused(400, "key is not <iv>:<encrypted key>")
    try:
        symmetric = key.decrypt(
            base64.b64decode(wrapped, validate=True),
            OAEP(mgf=MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
        )
    except (ValueError, binascii.Error):
        raise Refused(401, "key does not decrypt with MAVA_WEBHOOK_SIGNING_KEY") from None
    secret = base64.b64encode(symmetric)
    expected = hmac.new(secret, data["payload"].encode(), hashlib.sha256).hexdigest()
    given = data["signature"].lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        raise Refused(401, "bad signature")
    webhook_id = data["webhookId"]
    if len(webhook_id) > WEBHOOK_ID_CHARS:
        webhook_id = "sha256:" + hashlib.sha256(webhook_id.encode()).hexdigest()
    return Envelope(webhook_id, data["payload"], iv, symmetric)


def read_event(envelope: Envelope, mode: Mode) -> Event | None:
    """The event if the payload decrypts with `mode` (IV and ciphertext as hex, else
    base64) to JSON `{type, document}`; else None."""
    if len(envelope.symmetric_key) not in (16, 24, 32):
        return None
    for iv in _decodings(envelope.iv):
        for data in _decodings(envelope.payload):
            plain = _decrypt(mode, envelope.symmetric_key, iv, data)
            if plain is None:
                continue
            try:
                event = json.loads(plain)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(event, dict):
                return Event(_text(event.get("type")), ticket_of(event))
    return None


def ticket_of(event: dict[str, Any]) -> str | None:
    """The ticket an event is about. The documented schemas list no id fields, so each
    likely place is tried: a message's `ticket`/`ticketId`, a ticket's `_id`/`id`."""
    document = event.get("document")
    if not isinstance(document, dict):
        return None
    for name in ("ticketId", "ticket"):
        found = document.get(name)
        if isinstance(found, dict):
            found = found.get("_id") or found.get("id")
        if _text(found):
            return _text(found)
    if str(event.get("type") or "").startswith("ticket"):
        return _text(document.get("_id") or document.get("id"))
    return None


def _text(value: Any) -> str | None:
    return value[:64] if isinstance(value, str) and value else None


def _decodings(text: str) -> Iterator[bytes]:
    """`text` read as hex, then as base64 (whichever it can be)."""
    for read in (bytes.fromhex, partial(base64.b64decode, validate=True)):
        try:
            data = read(text)
        except ValueError:  # binascii.Error is a ValueError
            continue
        yield data


def _decrypt(mode: Mode, key: bytes, iv: bytes, data: bytes) -> bytes | None:
    try:
        if mode == "aes-256-gcm":
            if len(data) < GCM_TAG:
                return None
            gcm = Cipher(algorithms.AES(key), modes.GCM(iv, data[-GCM_TAG:])).decryptor()
            return gcm.update(data[:-GCM_TAG]) + gcm.finalize()
        if mode == "aes-256-ctr":
            ctr = Cipher(algorithms.AES(key), modes.CTR(iv)).decryptor()
            return ctr.update(data) + ctr.finalize()
        cbc = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        padded = cbc.update(data) + cbc.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (ValueError, InvalidTag):
        return None
