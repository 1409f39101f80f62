"""MIME header parameters (charset, boundary, filename, ...) parsed once per header value.

mail-parser asks every part for its charset, disposition, filename and name, and each
question makes the standard library parse the whole Content-Type or
Content-Disposition value again (`Message._get_params_preserve`): seven parses of a
few values per message. The parse depends on nothing but the value, and values repeat
("text/plain; charset=utf-8" is in most mail), so `install()` keeps the results by
value. The answer is the standard library's own, computed once; a header that is not
plain text (undecodable bytes come as a Header object) is parsed as before.
"""

from __future__ import annotations

from email.message import Message
from typing import Any

_STOCK = Message._get_params_preserve
_MISSING = object()
_LIMIT = 4096  # distinct values kept; then it starts again (unique boundaries churn it)
_parsed: dict[str, tuple[Any, ...]] = {}


def _get_params_preserve(self: Message, failobj: Any, header: str) -> Any:
    value = self.get(header, _MISSING)
    if type(value) is not str:  # absent (failobj), or a Header object: the stock way
        return _STOCK(self, failobj, header)
    params = _parsed.get(value)
    if params is None:
        if len(_parsed) >= _LIMIT:
            _parsed.clear()
        params = _parsed[value] = tuple(_STOCK(self, failobj, header))
    return list(params)


def _stock_is_the_one_we_know() -> bool:
    code = _STOCK.__code__
    return (code.co_varnames[:3] == ("self", "failobj", "header")
            and set(code.co_names) <= {"object", "get", "_parseparam", "split", "strip",
                                        "ValueError", "append", "utils", "decode_params"})


def install() -> bool:
    """Parse parameters once per value in this process; False if the standard library's
    method differs from the one this was checked against (then nothing changes)."""
    if installed():
        return True
    if not _stock_is_the_one_we_know():
        return False
    Message._get_params_preserve = _get_params_preserve  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    Message._get_params_preserve = _STOCK  # type: ignore[method-assign]
    _parsed.clear()


def installed() -> bool:
    return Message._get_params_preserve is _get_params_preserve
