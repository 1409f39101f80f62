"""Domain names as the roster and DMARC need them: the public suffix list, bundled.

`co.uk`, `gv.at` or `github.io` belong to no organisation: listed as a member's domain
they would make every sender under them a member, and a DKIM signature of `co.uk`
says nothing about `evil.co.uk`. The list comes with the publicsuffixlist package (a
copy in the wheel); nothing is downloaded at run time.
"""

from __future__ import annotations

import functools

import idna
from publicsuffixlist import PublicSuffixList


@functools.lru_cache(maxsize=1)
def _list() -> PublicSuffixList:
    return PublicSuffixList()  # the bundled copy


def to_ascii(domain: str) -> str:
    """The A-label form (xn--...) of a domain, lower case; raises ValueError if it is none."""
    try:
        return idna.encode(domain.strip().rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(str(exc)) from None


def to_unicode(ascii_domain: str) -> str:
    try:
        return idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError):
        return ascii_domain


def is_public_suffix(domain: str) -> bool:
    """Whether no organisation can own this name (co.uk, gv.at, de, github.io)."""
    return _list().is_public(to_ascii(domain))


def organizational_domain(domain: str) -> str | None:
    """The registrable domain (RFC 7489 "Organizational Domain"): mail.stadt.de ->
    stadt.de; None for a public suffix itself or a name that is no domain."""
    try:
        return _list().privatesuffix(to_ascii(domain))
    except ValueError:
        return None


def same_organization(one: str, other: str) -> bool:
    """DMARC relaxed alignment: both names have the same organisational domain."""
    org = organizational_domain(one)
    return org is not None and org == organizational_domain(other)
