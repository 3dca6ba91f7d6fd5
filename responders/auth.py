"""Users and secrets: scrypt password hashes (hashlib, no extra dependency), random tokens
stored only as hashes, and role checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from monitor.models import Role

# scrypt cost: n=2**17, r=8, p=1 is OWASP's recommendation (128 MiB and about 0.4 s a
# check); hashes made with less are rehashed at the next sign-in.
_N, _R, _P = 2**17, 8, 1
_MAXMEM = 2**28  # room for n=2**17, r=8 (128 MiB); hashlib's default allows 32 MiB


def hash_password(password: str) -> str:
    """A salted scrypt hash in the form `scrypt$n$r$p$salt$hash`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32,
                            maxmem=_MAXMEM)
    return "$".join(
        ["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(),
         base64.b64encode(digest).decode()]
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt" or not (n.isdigit() and r.isdigit() and p.isdigit()):
        return False
    if int(n) > _N or int(r) > _R or int(p) > 4:
        return False  # never spend more than our own cost on a stored hash
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32,
        maxmem=_MAXMEM,
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made at a lower cost than today's (rehash it at sign-in)."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or parts[1:4] != [str(_N), str(_R), str(_P)]


def can_decide(role: Role | str) -> bool:
    """Approvers and admins may approve or reject drafts; viewers may not."""
    return Role(role) in (Role.APPROVER, Role.ADMIN)


def can_administer(role: Role | str) -> bool:
    """Admins manage users and read the audit log."""
    return Role(role) is Role.ADMIN


def new_token() -> str:
    """A random secret for a session cookie or an API token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How a token is stored: SHA-256 is enough for 256 random bits (no KDF needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


_dummy_hash: list[str] = []


def check_password(password: str, stored: str | None) -> bool:
    """Like verify_password, but spends the same time when there is no such user."""
    if stored is None:
        if not _dummy_hash:
            _dummy_hash.append(hash_password(secrets.token_hex(8)))
        verify_password(password, _dummy_hash[0])
        return False
    return verify_password(password, stored)
