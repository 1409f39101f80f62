"""Who may show the online form in a frame, and which pages may post to it.

The desk is never framed (frame-ancestors 'none', X-Frame-Options DENY: clickjacking).
The form's pages may be, by the sites named in `[form] embed_origins` and nobody else:
their Content-Security-Policy says `frame-ancestors 'self' <origins>` and they send no
X-Frame-Options (it cannot name a site; browsers that know CSP ignore it anyway).

A POST to the form's pages must come from a page of intake itself (the form inside the
frame is intake's page) or of a configured site: a browser's Origin header says which, or,
without it, the Referer. A request with neither (privacy tools strip them; scripts send
none) is judged by its signed token alone (intake/form_token.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

# the desk's policy (intake/web/__init__.py) but for who may frame the page
_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " frame-ancestors {ancestors}; form-action 'self'; base-uri 'none'"
)


def frame_policy(embed_origins: tuple[str, ...]) -> str:
    """The form's Content-Security-Policy: framed by itself and the configured origins only.
    (Origins are validated by the config loader: https://host[:port], nothing that could
    end the directive.)"""
    ancestors = " ".join(("'self'", *embed_origins)) if embed_origins else "'none'"
    return _POLICY.format(ancestors=ancestors)


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of a URL, lower case; None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme.lower()}://{host.lower()}{suffix}"


def post_allowed(origin: str | None, referer: str | None, allowed: set[str]) -> bool:
    """Whether a POST may come from where its browser says it comes from. `allowed`: intake's
    own origin(s) and the configured embed origins. Origin "null" (a sandboxed frame without
    allow-same-origin, a redirect across sites) is refused: nobody can tell where it is from."""
    if origin is not None:
        return origin_of(origin) in allowed
    if referer:
        return origin_of(referer) in allowed
    return True
