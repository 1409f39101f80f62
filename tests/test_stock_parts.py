"""intake uses the stdlib's email package and mail-parser through their public APIs only:
nothing in intake/ assigns into their modules or classes, or subclasses them to override a
private method (issue 17: such patches broke silently on Python 3.13 and on library updates)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

GUARDED = ("email", "mailparser", "imapclient", "smtplib", "imaplib")
SOURCES = sorted((ROOT / "intake").rglob("*.py"))


def _guarded_names(tree: ast.Module) -> dict[str, str]:
    """Local names bound to a guarded module or to something imported from one."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in GUARDED:
                    names[(alias.asname or alias.name).split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in GUARDED:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _reaches_private(target: ast.Attribute) -> bool:
    """`client._imap.debug = 0`: an assignment through another object's private attribute
    (our own objects' `self._x` are theirs to set)."""
    node: ast.expr = target.value
    while isinstance(node, ast.Attribute):
        if node.attr.startswith("_") and not node.attr.startswith("__"):
            return _root_name(node) not in ("self", "cls")
        node = node.value
    return False


def patches_in(source: str) -> list[str]:
    """What a module does to the guarded libraries' internals, one line per finding."""
    tree = ast.parse(source)
    guarded = _guarded_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and _root_name(target) in guarded:
                found.append(f"line {node.lineno}: assigns {ast.unparse(target)}")
            elif isinstance(target, ast.Attribute) and _reaches_private(target):
                found.append(
                    f"line {node.lineno}: assigns through a private attribute: {ast.unparse(target)}"
                )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            if node.args and _root_name(node.args[0]) in guarded:
                found.append(f"line {node.lineno}: setattr on {ast.unparse(node.args[0])}")
        if isinstance(node, ast.ClassDef) and any(_root_name(base) in guarded for base in node.bases):
            private = [
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef)
                and item.name.startswith("_")
                and not (item.name.startswith("__") and item.name.endswith("__"))
            ]
            if private:
                found.append(f"line {node.lineno}: class {node.name} overrides {', '.join(private)}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_patches_the_mail_libraries(path: Path):
    # No assignment into email/mail-parser/IMAP/SMTP modules, no private overrides in subclasses.
    assert patches_in(path.read_text("utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import email.feedparser\nemail.feedparser.NLCRE_crack = None\n",
        "from email import feedparser as fp\nfp.BufferedSubFile.push = lambda s, d: None\n",
        "from mailparser import MailParser\nclass Lean(MailParser):\n    def _make_mail(self): ...\n",
        "import imapclient\nsetattr(imapclient.IMAPClient, 'x', 1)\n",
        "from imapclient import IMAPClient\nc = IMAPClient('h')\nc._imap.debug = 0\n",
    ],
)
def test_the_check_finds_each_kind_of_patch(source: str):
    # The check is not vacuous: each shape of patch the issue names is found.
    assert patches_in(source)
