"""Sessions, CSRF tokens and the password, without server-side storage.

A browser gets a random session id in a cookie. Its CSRF token is an HMAC of that id under the
console's secret: a form must carry it, and a page on another site can neither read the cookie
nor compute the token. With ``console.password`` set, logging in adds a second cookie, another
HMAC of the (new) session id; ``/metrics`` also takes HTTP basic auth, for scrapers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "centrale_session"
AUTH_COOKIE = "centrale_auth"
LANG_COOKIE = "centrale_lang"


class Guard:
    def __init__(self, secret: bytes, password: str | None) -> None:
        self._secret = secret
        self._password = password

    @property
    def password_required(self) -> bool:
        return self._password is not None

    @staticmethod
    def new_session() -> str:
        return secrets.token_urlsafe(24)

    def _sign(self, purpose: str, sid: str) -> str:
        return hmac.new(self._secret, f"{purpose}:{sid}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, sid: str) -> str:
        return self._sign("csrf", sid)

    def csrf_ok(self, sid: str | None, token: object) -> bool:
        return bool(sid) and isinstance(token, str) and hmac.compare_digest(self.csrf_token(sid or ""), token)

    def authenticated(self, request: Request, sid: str) -> bool:
        if self._password is None:
            return True
        given = request.cookies.get(AUTH_COOKIE, "")
        return hmac.compare_digest(self._sign("auth", sid), given) or self.basic_ok(request)

    def password_ok(self, given: object) -> bool:
        if self._password is None or not isinstance(given, str):
            return False
        return hmac.compare_digest(given.encode(), self._password.encode())

    def basic_ok(self, request: Request) -> bool:
        """``Authorization: Basic ...`` with the console password (any user name)."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return self.password_ok(decoded.partition(":")[2])

    def log_in(self, response: Response) -> None:
        """A new session id at login (a session fixed before it is worth nothing after)."""
        sid = self.new_session()
        set_cookie(response, SESSION_COOKIE, sid)
        set_cookie(response, AUTH_COOKIE, self._sign("auth", sid))


def set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/")
