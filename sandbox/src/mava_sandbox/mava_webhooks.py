"""Webhooks as Mava sends them, from the sandbox (issue #19).

Its own RSA key pair, made at start: `signing_key` is the `mava_wh_...` string the
dashboard would show (configure the bot's MAVA_WEBHOOK_SIGNING_KEY with it). For each
change the sandbox makes (a new ticket, a message, a dashboard change) it POSTs the
documented envelope `{signature, payload, key, webhookId}` to `url`:

- a fresh 32-byte symmetric key per event, RSA-OAEP (SHA-1, Node's default) encrypted
  with the public key: `key` is `<iv>:<base64 of that>`;
- `payload` is the event `{type, document}` encrypted as `cipher` says, since Mava's
  docs do not say how: "aes-256-cbc" (hex IV, hex ciphertext), "aes-256-gcm" (base64
  IV, base64 ciphertext with the 16-byte tag at its end) or "opaque" (random bytes the
  bridge cannot decrypt: the nudge must not rely on reading it);
- `signature` is the hex HMAC-SHA256 of `payload` keyed by the symmetric key's base64.

Switches: `drop` (webhooks lost: polling must catch up), `duplicates` (each one is
sent twice with the same webhookId, as Mava's retries would). `sent` records each
delivery (envelope, HTTP status or the error's name).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mava_sandbox.mava_seed import TicketRecord
from mava_sandbox.mava_server import MavaSandbox

PayloadCipher = Literal["aes-256-cbc", "aes-256-gcm", "opaque"]


@dataclass
class Delivery:
    envelope: dict[str, str]
    event: dict[str, Any]
    status: int | str | None = None  # HTTP status, or the error's name


def signing_key_of(key: rsa.RSAPrivateKey) -> str:
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return "mava_wh_" + base64.b64encode(der).decode()


def seal(
    event: dict[str, Any],
    public_key: rsa.RSAPublicKey,
    cipher: PayloadCipher = "aes-256-cbc",
    *,
    webhook_id: str | None = None,
    symmetric_key: bytes | None = None,
) -> dict[str, str]:
    """The envelope Mava would POST for `event` (its Webhook Security Guide, read
    backwards: what the guide's receiving code undoes)."""
    symmetric = symmetric_key or os.urandom(32)
    plain = json.dumps(event, separators=(",", ":")).encode()
    if cipher == "aes-256-gcm":
        iv = os.urandom(12)
        gcm = Cipher(algorithms.AES(symmetric), modes.GCM(iv)).encryptor()
        data = gcm.update(plain) + gcm.finalize() + gcm.tag
        iv_text, payload = base64.b64encode(iv).decode(), base64.b64encode(data).decode()
    elif cipher == "opaque":
        iv_text, payload = os.urandom(16).hex(), base64.b64encode(os.urandom(64)).decode()
    else:
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(algorithms.AES(symmetric), modes.CBC(iv)).encryptor()
        data = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
        iv_text, payload = iv.hex(), data.hex()
    wrapped = public_key.encrypt(
        symmetric, OAEP(mgf=MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    signature = hmac.new(base64.b64encode(symmetric), payload.encode(), hashlib.sha256).hexdigest()
    return {
        "signature": signature,
        "payload": payload,
        "key": f"{iv_text}:{base64.b64encode(wrapped).decode()}",
        "webhookId": webhook_id or uuid.uuid4().hex,
    }


@dataclass
class MavaWebhooks:
    """Attach to a sandbox with `attach()`; POSTs go to `url` (None: nowhere yet)."""

    sandbox: MavaSandbox
    url: str | None = None
    cipher: PayloadCipher = "aes-256-cbc"
    drop: bool = False
    duplicates: bool = False
    sent: list[Delivery] = field(default_factory=list)
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _session: aiohttp.ClientSession | None = None

    @property
    def signing_key(self) -> str:
        """What Mava's dashboard shows: `mava_wh_<base64 PKCS8 DER private key>`."""
        return signing_key_of(self._key)

    def attach(self) -> MavaWebhooks:
        self.sandbox.on_change.append(self._changed)
        return self

    def envelope(self, event: dict[str, Any], **options: Any) -> dict[str, str]:
        """An envelope for `event` signed with this sandbox's key (tests, vectors)."""
        return seal(event, self._key.public_key(), options.pop("cipher", self.cipher), **options)

    def event_for(
        self, kind: str, ticket: TicketRecord, message: dict[str, Any] | None
    ) -> dict[str, Any]:
        if message is not None:
            document = {**self.sandbox.message_json(message), "ticket": ticket["_id"]}
        else:
            document = self.sandbox.ticket_json(ticket, include_messages=False)
        return {"type": kind, "document": document}

    def _changed(self, kind: str, ticket: TicketRecord, message: dict[str, Any] | None) -> None:
        if self.url is None:
            return
        event = self.event_for(kind, ticket, message)
        envelope = self.envelope(event)
        if self.drop:
            self.sent.append(Delivery(envelope, event, "dropped"))
            return
        for _ in range(2 if self.duplicates else 1):
            delivery = Delivery(envelope, event)
            self.sent.append(delivery)
            task = asyncio.get_running_loop().create_task(self._post(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _post(self, delivery: Delivery) -> None:
        assert self.url is not None
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(self.url, json=delivery.envelope) as response:
                delivery.status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.status = type(exc).__name__

    async def settle(self) -> None:
        """Wait for the POSTs under way."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.settle()
        if self._sandbox_listening():
            self.sandbox.on_change.remove(self._changed)
        if self._session is not None:
            await self._session.close()

    def _sandbox_listening(self) -> bool:
        return self._changed in self.sandbox.on_change
