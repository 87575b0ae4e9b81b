"""VAPID keys: making a pair, and reading the pair the settings are given.

Both keys are base64url without padding, as browsers and py-vapid use them:
the public key is the uncompressed P-256 point (65 bytes, starting 0x04), the
private key the 32-byte secret scalar. This module imports no Django models,
so the settings can use it.
"""

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured

from config.env import env_str

PUBLIC_KEY_BYTES = 65
PRIVATE_KEY_BYTES = 32


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; ``ValueError`` if it isn't."""
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("not base64url") from None


def public_key_encode(*, public_key: ec.EllipticCurvePublicKey) -> str:
    """The uncompressed point of ``public_key``, base64url."""
    return b64url_encode(
        public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def vapid_keys_new() -> tuple[str, str]:
    """A new VAPID key pair: (public key, private key), in the format the settings read."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    scalar = private_key.private_numbers().private_value.to_bytes(PRIVATE_KEY_BYTES, "big")
    return public_key_encode(public_key=private_key.public_key()), b64url_encode(scalar)


def vapid_keys_read(
    *,
    public_name: str = "CHAT_VAPID_PUBLIC_KEY",
    private_name: str = "CHAT_VAPID_PRIVATE_KEY",
) -> tuple[str, str]:
    """The VAPID pair from the environment, checked: ("", "") when neither is set
    (push is off); ``ImproperlyConfigured`` naming the variable when only one is
    set, a key doesn't decode, or the public key isn't the private key's."""
    public = (env_str(public_name) or "").strip()
    private = (env_str(private_name) or "").strip()
    if not public and not private:
        return "", ""
    if not public or not private:
        missing, present = (
            (public_name, private_name) if not public else (private_name, public_name)
        )
        raise ImproperlyConfigured(
            f"{missing} is not set but {present} is: set both (`invoke push.keys` makes a "
            "pair) or neither (push off)."
        )
    try:
        scalar = b64url_decode(private)
        if len(scalar) != PRIVATE_KEY_BYTES:
            raise ValueError(f"{len(scalar)} bytes, not {PRIVATE_KEY_BYTES}")
        private_key = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{private_name} is not a P-256 private key as base64url of its 32-byte secret ({exc})."
        ) from None
    try:
        point = b64url_decode(public)
        if len(point) != PUBLIC_KEY_BYTES or point[0] != 0x04:
            raise ValueError(f"{len(point)} bytes, not {PUBLIC_KEY_BYTES} starting 0x04")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{public_name} is not a P-256 public key as base64url of its uncompressed "
            f"point ({exc})."
        ) from None
    if public_key_encode(public_key=private_key.public_key()) != b64url_encode(point):
        raise ImproperlyConfigured(
            f"{public_name} is not the public key of {private_name}: they are from different pairs."
        )
    return b64url_encode(point), private
