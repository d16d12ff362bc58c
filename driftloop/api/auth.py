"""Bearer-token auth with scopes, and the loopback rule for an API without tokens.

With tokens configured (``api.tokens``), every ``/v1`` route and the dashboard need a token carrying
the route's scope (``admin`` implies ``ingest`` and ``read``); ``/healthz`` and ``/readyz`` stay open
for probes. Without tokens the API serves only loopback: :func:`check_binding` refuses any other host
at start-up, and each request from a non-loopback peer is refused as well.

>>> from infra.settings import ApiSettings
>>> check_binding(ApiSettings(host="127.0.0.1"))
>>> try:
...     check_binding(ApiSettings(host="0.0.0.0"))
... except InsecureBinding as error:
...     print(str(error)[:44])
refusing to serve the API on 0.0.0.0 without
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from driftloop.errors import InsecureBinding
from infra.settings import ApiSettings
from schemas import Scope

COOKIE = "driftloop_token"
"""The dashboard keeps the token a user typed in this HttpOnly cookie."""

_bearer = HTTPBearer(auto_error=False, description="An API token from api.tokens, with the route's scope.")


def is_loopback(host: str | None) -> bool:
    """True for loopback addresses and ``localhost``.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.1.2.3")]
    [True, True, True, False, False]
    """
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(api: ApiSettings) -> None:
    """Raise :class:`InsecureBinding` when ``api.host`` is not loopback and ``api.tokens`` is empty."""
    if not api.tokens and not is_loopback(api.host):
        raise InsecureBinding(
            f"refusing to serve the API on {api.host} without tokens: set api.tokens (e.g. "
            'DRIFTLOOP_API__TOKENS=\'[{"name": "ci", "token": "...", "scopes": ["ingest"]}]\') '
            "or bind api.host to 127.0.0.1"
        )


@dataclass(frozen=True)
class Principal:
    """Who made the request: a token's name and scopes (``anonymous`` on a loopback API without tokens)."""

    name: str
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes


ANONYMOUS = Principal("anonymous", frozenset(Scope))


def authenticate(api: ApiSettings, token: str | None, client_host: str | None) -> Principal | None:
    """The principal a token stands for; None when it matches no configured token."""
    if not api.tokens:
        return ANONYMOUS if is_loopback(client_host) else None
    if not token:
        return None
    supplied = token.encode()
    found = None
    for entry in api.tokens:  # compare with every token, in constant time each
        if hmac.compare_digest(entry.token.get_secret_value().encode(), supplied):
            found = Principal(entry.name, frozenset(Scope(s) for s in entry.scopes))
    return found


def request_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None:
        return credentials.credentials
    return request.cookies.get(COOKIE)


def require(scope: Scope):
    """A dependency that lets a request through only with ``scope``; it returns the :class:`Principal`."""

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        api: ApiSettings = request.app.state.context.settings.api
        client = request.client.host if request.client else None
        principal = authenticate(api, request_token(request, credentials), client)
        if principal is None:
            detail = (
                "a bearer token is required (Authorization: Bearer <token>)"
                if api.tokens
                else "this API has no tokens configured and serves loopback clients only"
            )
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})
        if not principal.allows(scope):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"token {principal.name!r} lacks the {scope.value!r} scope")
        return principal

    return dependency
