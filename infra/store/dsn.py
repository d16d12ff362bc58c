"""Parsing and redacting store DSNs: ``chdb:///dir`` (embedded) or ``http(s)://[user[:pass]@]host[:port]``.

>>> redact("https://alice:s3cret@ch.example:8443/?verify=true")
'https://alice:***@ch.example:8443/?verify=true'
>>> parse("chdb:///var/lib/driftloop/clickhouse").embedded_path
'/var/lib/driftloop/clickhouse'
>>> parse("http://ch:8123").port
8123
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

EMBEDDED_SCHEME = "chdb"
SCHEMES = ("chdb", "http", "https")


@dataclass(frozen=True)
class ParsedDsn:
    """A DSN split into what the client needs; ``password`` never appears in ``repr``."""

    scheme: str
    host: str | None
    port: int | None
    username: str | None
    password: str | None
    query: str
    embedded_path: str | None

    def __repr__(self) -> str:
        return f"ParsedDsn(scheme={self.scheme!r}, host={self.host!r}, port={self.port!r}, path={self.embedded_path!r})"

    @property
    def embedded(self) -> bool:
        return self.scheme == EMBEDDED_SCHEME

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    def client_dsn(self) -> str:
        """The DSN clickhouse-connect parses for its query options (TLS files, timeouts), without credentials."""
        netloc = self.host or ""
        if self.port is not None:
            netloc = f"{netloc}:{self.port}"
        return urlunsplit((self.scheme, netloc, "/", self.query, ""))


def parse(dsn: str) -> ParsedDsn:
    """Split ``dsn``; raise ``ValueError`` for an unknown scheme or a chdb DSN without a directory."""
    parts = urlsplit(dsn)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"unsupported store DSN scheme {parts.scheme!r} in {redact(dsn)!r}: use {', '.join(SCHEMES)}")
    if parts.scheme == EMBEDDED_SCHEME:
        path = unquote(parts.netloc + parts.path)
        if not path or path in ("memory", ":memory:"):
            raise ValueError("the embedded store needs a data directory: chdb:///absolute/path")
        return ParsedDsn(parts.scheme, None, None, None, None, parts.query, path)
    return ParsedDsn(
        scheme=parts.scheme,
        host=parts.hostname,
        port=parts.port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        query=parts.query,
        embedded_path=None,
    )


def redact(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***``: safe to log and to put in error messages."""
    try:
        parts = urlsplit(dsn)
        password = parts.password
    except ValueError:
        return "<unparseable DSN>"
    if not password:
        return dsn
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit((parts.scheme, f"{user}:***@{hostinfo}", parts.path, parts.query, parts.fragment))
