"""Sender authentication: Authentication-Results from trusted servers, optional DKIM.

A From address is trivially forged. We count a sender as authenticated when
DKIM passes for a domain aligned with the From domain, or DMARC passes, as
reported by a receiving server the operator trusts (its authserv-id in
`[trust] authserv_ids`), or, with `verify_dkim`, as verified here with dkimpy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from intake.config import TrustConfig
from intake.context import ParsedMail
from intake.domains import same_organization

_METHOD = re.compile(r"(?:^|;)\s*(dkim|dmarc|spf)\s*=\s*(\w+)([^;]*)", re.I)
_PROP = re.compile(r"(header\.[a-z]+|smtp\.[a-z]+)\s*=\s*\"?([^\s;\"]+)", re.I)

DnsFunc = Callable[..., bytes | None]


@dataclass
class AuthResult:
    authenticated: bool | None  # None: nothing trusted says either way
    evidence: str
    failed: bool = False  # a trusted server said dkim=fail or dmarc=fail: possible spoof


def aligned(signing_domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489): the same organisational domain by the public suffix
    list, so a signature of co.uk never vouches for evil.co.uk."""
    return same_organization(signing_domain, from_domain)


def border_headers(mail: ParsedMail, authserv_ids: tuple[str, ...]) -> list[tuple[str, str]]:
    """(authserv-id, header) of the Authentication-Results that count (RFC 8601 section 5):
    those with a trusted authserv-id in the topmost block, added by our border server before
    it wrote its Received line. One with the same name further down came with the message
    (anyone can write it) and is ignored."""
    hops = (
        mail.auth_results_hops
        if len(mail.auth_results_hops) == len(mail.auth_results)
        else [0] * len(mail.auth_results)
    )
    counted, top = [], None
    for header, hop in zip(mail.auth_results, hops, strict=True):
        authserv = header.split(";", 1)[0].strip().split()[0].lower() if header.strip() else ""
        if authserv not in authserv_ids:
            continue
        if top is None:
            top = hop
        if hop == top:
            counted.append((authserv, header))
    return counted


def from_headers(mail: ParsedMail, authserv_ids: tuple[str, ...]) -> AuthResult:
    """Pass, fail or unknown from our own servers' Authentication-Results. An explicit
    dmarc=fail, or dkim=fail for the From domain, wins over any pass: possible spoof."""
    if not authserv_ids:
        return AuthResult(None, "Authentication-Results not read (no trusted authserv_ids)")
    from_domain = mail.sender_email.rsplit("@", 1)[-1] if "@" in mail.sender_email else ""
    counted = border_headers(mail, authserv_ids)
    if not counted:
        return AuthResult(None, "no Authentication-Results from a trusted server")
    passed = None
    for authserv, header in counted:
        for method, result, props in _METHOD.findall(header):
            method, result = method.lower(), result.lower()
            values = {k.lower(): v.lower().lstrip("@") for k, v in _PROP.findall(props)}
            if method == "dkim":
                domain = values.get("header.d") or values.get("header.i", "").split("@")[-1]
                if result == "fail" and (not domain or aligned(domain, from_domain)):
                    return AuthResult(
                        False, f"{authserv}: dkim=fail header.d={domain or '?'} (possible spoof)", failed=True
                    )
                if result == "pass" and domain and aligned(domain, from_domain) and not passed:
                    passed = f"{authserv}: dkim=pass header.d={domain}"
            if method == "dmarc":
                domain = values.get("header.from", from_domain)
                if result == "fail":
                    return AuthResult(
                        False, f"{authserv}: dmarc=fail header.from={domain} (possible spoof)", failed=True
                    )
                if result == "pass" and aligned(domain, from_domain) and not passed:
                    passed = f"{authserv}: dmarc=pass header.from={domain}"
    if passed:
        return AuthResult(True, passed)
    return AuthResult(False, "trusted Authentication-Results shows no aligned DKIM/DMARC pass")


def verify_dkim(raw: bytes, from_domain: str, dnsfunc: DnsFunc | None = None) -> AuthResult:
    """Verify DKIM signatures ourselves; dnsfunc is injectable for tests."""
    import dkim  # dkimpy; imported lazily: only needed with verify_dkim = true

    if b"dkim-signature:" not in raw[:65536].lower():
        return AuthResult(None, "no DKIM-Signature")
    try:
        verifier = dkim.DKIM(raw)
        for index in range(len(verifier.headers)):
            name = verifier.headers[index][0].lower()
            if name != b"dkim-signature":
                continue
            kwargs = {"dnsfunc": dnsfunc} if dnsfunc else {}
            ok = verifier.verify(
                idx=sum(1 for h in verifier.headers[:index] if h[0].lower() == b"dkim-signature"), **kwargs
            )
            domain = (verifier.domain or b"").decode("ascii", "replace")
            if ok and aligned(domain, from_domain):
                return AuthResult(True, f"dkim verified here: d={domain}")
        return AuthResult(False, "DKIM signature present but not valid and aligned")
    except Exception as exc:  # noqa: BLE001 - dkimpy raises many kinds on bad input
        return AuthResult(False, f"DKIM verification failed: {exc.__class__.__name__}")


def evaluate(
    raw: bytes | Callable[[], bytes], mail: ParsedMail, config: TrustConfig, dnsfunc: DnsFunc | None = None
) -> AuthResult:
    """Authenticated by our own servers' Authentication-Results, else (if configured)
    by verifying DKIM here; `raw` may be a function giving the bytes, called only then."""
    result = from_headers(mail, config.authserv_ids)
    if result.failed:  # our own border server saw the failure: nothing here overrides it
        return result
    if result.authenticated is not True and config.verify_dkim:
        from_domain = mail.sender_email.rsplit("@", 1)[-1]
        own = verify_dkim(raw if isinstance(raw, bytes) else raw(), from_domain, dnsfunc or _DNS_OVERRIDE)
        if own.authenticated is not None:
            return own
    return result


_DNS_OVERRIDE: DnsFunc | None = None


def set_dns_resolver(func: DnsFunc | None) -> None:
    """Tests (and operators without DNS) inject a resolver; None restores dkimpy's."""
    global _DNS_OVERRIDE
    _DNS_OVERRIDE = func
