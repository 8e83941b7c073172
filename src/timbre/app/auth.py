"""The session token that guards ``timbre app`` (as Jupyter's server does).

The server binds 127.0.0.1, but any local user or any web page the producer visits could still
send it requests; only holders of the random token printed at start may use the API. The token is
accepted as the ``X-Timbre-Token`` header (the page's fetches), a ``token`` query parameter (links
an <audio> element or a drag to the desktop opens) or the HttpOnly, SameSite=Strict cookie set
when the page is opened with its token (so another site's page cannot borrow it).
"""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import JSONResponse

TOKEN_HEADER = "x-timbre-token"
TOKEN_COOKIE = "timbre_token"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the page URL: never send it elsewhere
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                                "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'"),
}


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class TokenGuard:
    """Checks requests for the token; ``middleware`` refuses unauthenticated ``/api`` calls with 403."""

    def __init__(self, token: str):
        if len(token) < 16:
            raise ValueError("the app token must be at least 16 characters")
        self.token = token

    def allows(self, request: Request) -> bool:
        """True when the request carries the token by header, query parameter or cookie."""
        offered = (request.headers.get(TOKEN_HEADER) or request.query_params.get("token")
                   or request.cookies.get(TOKEN_COOKIE) or "")
        return secrets.compare_digest(offered.encode(), self.token.encode())

    async def middleware(self, request: Request, call_next):
        if request.url.path.startswith("/api") and not self.allows(request):
            response = JSONResponse({"error": "missing or wrong token — open the URL `timbre app` printed"},
                                    status_code=403)
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
