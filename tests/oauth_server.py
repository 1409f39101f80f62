"""A loopback OAuth2 provider for the tests: token endpoint (client credentials,
refresh token, device code), RFC 7662 introspection for Dovecot's oauth2 passdb and for
the SMTP sink, and revocation. A real HTTP server on 127.0.0.1, as the provider would be."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID, CLIENT_SECRET = "intake-test-client", "client-secret-value"


class OAuthServer:
    def __init__(self, user: str, *, lifetime: float = 3600, rotate: bool = True) -> None:
        self.user = user  # every token is for this mailbox
        self.lifetime = lifetime
        self.rotate = rotate
        self.access: dict[str, float] = {}  # token -> expiry
        self.refresh: set[str] = set()
        self.devices: dict[str, int] = {}  # device code -> polls before the person is done
        self.grants: list[str] = []  # grant types served, in order
        self.introspected: list[str] = []
        self.lock = threading.Lock()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def start(self) -> OAuthServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()

    def issue_refresh_token(self) -> str:
        token = "rt-" + secrets.token_urlsafe(16)
        self.refresh.add(token)
        return token

    def revoke(self) -> None:
        """The administrator revokes the app's consent: every token stops working."""
        with self.lock:
            self.refresh.clear()
            self.access.clear()

    def valid(self, token: str) -> bool:
        with self.lock:
            return self.access.get(token, 0) > time.time()

    def check(self, user: str, token: str) -> bool:
        """For the SMTP sink: the token is live and belongs to this user."""
        return user == self.user and self.valid(token)

    # -- HTTP -------------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, dict]:
        grant = form.get("grant_type", "")
        if form.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        with self.lock:
            if grant == "client_credentials":
                if form.get("client_secret") != CLIENT_SECRET:
                    return 401, {"error": "invalid_client"}
                answer: dict = {}
            elif grant == "refresh_token":
                old = form.get("refresh_token", "")
                if old not in self.refresh:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: token revoked"}
                answer = {}
                if self.rotate:
                    self.refresh.discard(old)
                    answer["refresh_token"] = "rt-" + secrets.token_urlsafe(16)
                    self.refresh.add(answer["refresh_token"])
            elif grant == "urn:ietf:params:oauth:grant-type:device_code":
                code = form.get("device_code", "")
                if code not in self.devices:
                    return 400, {"error": "expired_token"}
                if self.devices[code] > 0:
                    self.devices[code] -= 1
                    return 400, {"error": "authorization_pending"}
                del self.devices[code]
                answer = {"refresh_token": "rt-" + secrets.token_urlsafe(16)}
                self.refresh.add(answer["refresh_token"])
            else:
                return 400, {"error": "unsupported_grant_type"}
            token = "at-" + secrets.token_urlsafe(24)
            self.access[token] = time.time() + self.lifetime
            self.grants.append(grant)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime, **answer}

    def _handler(self):  # noqa: ANN202
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/token":
                    status, body = server._token(form)
                elif self.path == "/introspect":
                    token = form.get("token", "")
                    server.introspected.append(token)
                    live = server.valid(token)
                    status, body = (
                        200,
                        ({"active": True, "username": server.user} if live else {"active": False}),
                    )
                elif self.path == "/devicecode":
                    code = secrets.token_urlsafe(8)
                    with server.lock:
                        server.devices[code] = 1
                    status, body = (
                        200,
                        {
                            "device_code": code,
                            "user_code": "ABCD-EFGH",
                            "verification_uri": "https://microsoft.com/devicelogin",
                            "expires_in": 60,
                            "interval": 0.2,
                            "message": "To sign in, open https://microsoft.com/devicelogin"
                            " and enter the code ABCD-EFGH",
                        },
                    )
                else:
                    status, body = 404, {"error": "not_found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
