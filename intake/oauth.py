"""OAuth2 access tokens for IMAP and SMTP (SASL XOAUTH2 / OAUTHBEARER).

Microsoft 365 and Google no longer take passwords for IMAP and SMTP. An [oauth2.NAME]
client in the config gets tokens from the provider's token endpoint, with one of two
standard grants (RFC 6749): client credentials (a Microsoft 365 app registration with
an application access policy: no person involved) or a refresh token (delegated:
Microsoft 365 or Google; obtained once by a person with `intake oauth login`, the
device-code flow of RFC 8628, or given in the config). Microsoft, Google and any other
provider differ only in their endpoint URLs and scopes (intake/config.py), so there is
one code path: a form POST with the stdlib.

Tokens are cached in a 0600 file beside the database and refreshed before they expire
(with a margin of a tenth of their life, at most 5 minutes); a refresh token the
provider rotates is saved at once. No token or secret is ever logged or put in an
error message.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from intake.config import OAuth2Config

MAX_MARGIN = 300.0
HTTP_TIMEOUT = 30.0


class OAuthError(Exception):
    """A token could not be had; one line naming the client and what to do."""


def _post(url: str, fields: dict[str, str]) -> dict:
    """POST a form to a token endpoint; the JSON answer, or OAuthError with the
    provider's error code (never the request, which holds secrets)."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - https or loopback (config)
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            body = {}
        raise _Refused(body.get("error") or f"HTTP {exc.code}", body.get("error_description", "")) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OAuthError(f"cannot reach the token endpoint {url}: {reason}") from None


class _Refused(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(error)
        self.error = error
        self.description = description.splitlines()[0][:200] if description else ""


class TokenSource:
    """Access tokens for one OAuth2 client, cached in its 0600 file."""

    def __init__(self, client: OAuth2Config) -> None:
        self.client = client

    def access_token(self, *, now: float | None = None) -> str:
        """A token valid for a while yet: the cached one, or a fresh one."""
        now = time.time() if now is None else now
        cached = self._load()
        if cached.get("access_token") and now < cached.get("refresh_at", 0):
            return cached["access_token"]
        with self._locked():  # one process refreshes; another waits and reads its result
            cached = self._load()
            if cached.get("access_token") and now < cached.get("refresh_at", 0):
                return cached["access_token"]
            fresh = self._request(cached)
            self._save(fresh)
            return fresh["access_token"]

    def forget_access_token(self) -> None:
        """The server refused the cached token (revoked, or expired early): the next
        access_token() asks the provider again, keeping the refresh token."""
        with self._locked():
            cached = self._load()
            if cached.pop("access_token", None) is not None:
                cached.pop("refresh_at", None)
                self._save(cached)

    def store_refresh_token(self, refresh_token: str, answer: dict | None = None) -> None:
        """Keep what `intake oauth login` obtained (and the access token with it)."""
        with self._locked():
            entry = self._entry(answer) if answer and answer.get("access_token") else {}
            entry["refresh_token"] = refresh_token
            self._save(entry)

    def _request(self, cached: dict) -> dict:
        c = self.client
        fields = {"client_id": c.client_id, "scope": " ".join(c.scopes)}
        secret = c.client_secret.resolve()
        if secret:
            fields["client_secret"] = secret
        if c.flow == "client_credentials":
            fields["grant_type"] = "client_credentials"
        else:
            refresh = cached.get("refresh_token") or c.refresh_token.resolve()
            if not refresh:
                raise OAuthError(
                    f"oauth2 {c.name}: no refresh token yet; run `intake oauth login` for an"
                    f" inbox that uses it (or set refresh_token_file)"
                )
            fields.update(grant_type="refresh_token", refresh_token=refresh)
        try:
            answer = _post(c.token_url, fields)
        except _Refused as exc:
            hint = (
                "the refresh token was revoked or has expired; run `intake oauth login` again"
                if exc.error == "invalid_grant"
                else "check client_id, client_secret and scopes"
            )
            detail = f" ({exc.description})" if exc.description else ""
            raise OAuthError(
                f"oauth2 {c.name}: the token endpoint refused: {exc.error}{detail}; {hint}"
            ) from None
        if not answer.get("access_token"):
            raise OAuthError(f"oauth2 {c.name}: the token endpoint answered without an access_token")
        entry = self._entry(answer)
        entry["refresh_token"] = (
            answer.get("refresh_token")
            or cached.get("refresh_token")
            or (c.refresh_token.resolve() if c.flow == "refresh_token" else None)
        )
        return entry

    @staticmethod
    def _entry(answer: dict) -> dict:
        now = time.time()
        lifetime = float(answer.get("expires_in") or 3600)
        return {
            "access_token": answer["access_token"],
            "expires_at": now + lifetime,
            "refresh_at": now + lifetime - min(MAX_MARGIN, lifetime / 10),
        }

    def _load(self) -> dict:
        try:
            return json.loads(self.client.cache_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (ValueError, OSError):
            return {}  # unreadable: fetched again (the refresh token may then be needed anew)

    def _save(self, entry: dict) -> None:
        path = self.client.cache_file
        partial = path.with_name(path.name + ".partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f)
            os.chmod(partial, 0o600)
            os.replace(partial, path)
        except OSError as exc:
            raise OAuthError(f"cannot write the token cache {path}: {exc.strerror}") from None

    def _locked(self):  # noqa: ANN202 - a context manager holding an flock
        return _FileLock(self.client.cache_file.with_name(self.client.cache_file.name + ".lock"))


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # e.g. made by root running `intake` for the service's user
            raise OAuthError(
                f"cannot use the token cache beside {self.path}: {exc.strerror}; run intake"
                f" as the service's user (sudo -u intake intake ...)"
            ) from None
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def with_token(client: OAuth2Config, login, refused: type[Exception] | tuple[type[Exception], ...]) -> None:  # noqa: ANN001
    """login(token) with the cached token; if the server refuses it, once more with a token
    fresh from the provider (which raises OAuthError, saying why, when it is revoked)."""
    source = TokenSource(client)
    try:
        login(source.access_token())
        return
    except refused:
        source.forget_access_token()
    login(source.access_token())


def sasl_xoauth2(user: str, token: str) -> str:
    """The XOAUTH2 initial response (Google's and Microsoft's format), before base64."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def sasl_oauthbearer(user: str, token: str) -> str:
    """The OAUTHBEARER initial response (RFC 7628), before base64."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    return f"n,a={authzid},\x01auth=Bearer {token}\x01\x01"


def device_login(client: OAuth2Config, say) -> dict:  # noqa: ANN001 - say(line) prints to the operator
    """The device-code flow (RFC 8628): show the code, wait for the person, return the
    token answer (with its refresh token)."""
    if not client.device_url:
        raise OAuthError(
            f"oauth2 {client.name}: provider {client.provider} has no device-code flow for mail;"
            f" obtain a refresh token with the provider's tools and set refresh_token_file"
        )
    if client.flow != "refresh_token":
        raise OAuthError(f"oauth2 {client.name}: flow is client_credentials: no person needs to log in")
    try:
        start = _post(client.device_url, {"client_id": client.client_id, "scope": " ".join(client.scopes)})
    except _Refused as exc:
        raise OAuthError(f"oauth2 {client.name}: the device-code endpoint refused: {exc.error}") from None
    say(
        start.get("message")
        or f"Open {start.get('verification_uri')} and enter the code {start.get('user_code')}"
    )
    interval = float(start.get("interval", 5))
    deadline = time.monotonic() + float(start.get("expires_in", 900))
    fields = {
        "client_id": client.client_id,
        "device_code": start["device_code"],
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
    }
    secret = client.client_secret.resolve()
    if secret:
        fields["client_secret"] = secret
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            answer = _post(client.token_url, fields)
        except _Refused as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += 5
                continue
            raise OAuthError(f"oauth2 {client.name}: login not completed: {exc.error}") from None
        if not answer.get("refresh_token"):
            raise OAuthError(
                f"oauth2 {client.name}: the provider gave no refresh token (add the offline_access scope)"
            )
        return answer
    raise OAuthError(f"oauth2 {client.name}: the code expired before the login was completed; run it again")
