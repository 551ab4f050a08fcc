"""Who may change data: a salted scrypt password hash, an allow-list of signed-in users, and a login throttle."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

#: Environment variable holding the editor password hash (takes precedence over secrets ``[editors]``).
PASSWORD_HASH_ENV = "BEIBEI_EDITOR_PASSWORD_HASH"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$16384$8$1$<salt>$<hash>`` (base64) for ``password``; store this, never the password."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    encode = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (a `hash_password` string); False for any malformed hash."""
    try:
        scheme, n, r, p, salt, expected = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt, validate=True),
                                n=int(n), r=int(r), p=int(p), dklen=32, maxmem=2**26)
        return hmac.compare_digest(digest, base64.b64decode(expected, validate=True))
    except (ValueError, TypeError):
        return False


def is_allowed(email: str | None, allow_list: Iterable[str]) -> bool:
    """True when a signed-in user's e-mail is on the editors' allow-list (case and spaces ignored)."""
    if not email:
        return False
    return email.strip().casefold() in {str(item).strip().casefold() for item in allow_list}


@dataclass
class LoginThrottle:
    """Server-wide brake on password guessing: after ``limit`` failures within ``window`` s, refuse for ``window`` s."""

    limit: int = 5
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic
    failures: list[float] = field(default_factory=list)

    def seconds_locked(self) -> int:
        """How long logins are refused from now (0: allowed)."""
        now = self.clock()
        self.failures = [t for t in self.failures if now - t < self.window]
        if len(self.failures) < self.limit:
            return 0
        return int(self.window - (now - self.failures[-1])) + 1

    def record_failure(self) -> None:
        self.failures.append(self.clock())
