"""The signing key Mava's dashboard shows for webhooks: `mava_wh_<base64 PKCS8 DER RSA
private key>` (Mava's Webhook Security Guide)."""

from __future__ import annotations

import base64
import binascii
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PREFIX: Final = "mava_wh_"


def load_signing_key(text: str) -> rsa.RSAPrivateKey:
    """The key; ValueError saying what is wrong, never quoting the key."""
    if not text.startswith(PREFIX):
        raise ValueError(f"does not start with {PREFIX}")
    try:
        der = base64.b64decode(text[len(PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError(f"the text after {PREFIX} is not base64") from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        raise ValueError(f"the text after {PREFIX} is not a PKCS8 DER private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("is not an RSA private key")
    return key
