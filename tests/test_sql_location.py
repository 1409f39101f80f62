"""SQL lives only in the store and query modules (docs/design.md, "Persistence").

Everything else calls named functions of intake/queries*.py or methods of Store that
return typed rows. This test reads every module of intake/ and fails on SQL text or a
raw-SQL call anywhere else, naming the file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

INTAKE = Path(__file__).resolve().parent.parent / "intake"

# where SQL may be written
ALLOWED = {"store.py", "queries.py"}
ALLOWED_PREFIX = "queries_"  # intake/queries_<noun>.py
# Not query SQL: the online backup copies and checks a database file on connections of its
# own (sqlite3's backup API, PRAGMAs on the copy) and never reads or writes intake's rows.
EXEMPT = {"backup.py"}

SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\"?\w+\"?\s+SET\b"
    r"|\bDELETE\s+FROM\b|\bCREATE\s+(TABLE|INDEX|TRIGGER)\b|\bPRAGMA\s+\w+|\bjson_each\("
)
# Store's and sqlite3's calls that take SQL text
SQL_CALLS = {"execute", "executemany", "executescript", "query", "one", "row", "scalar", "dicts"}


def _allowed(path: Path) -> bool:
    rel = path.relative_to(INTAKE)
    top = rel.parts[0]
    return (
        str(rel) in ALLOWED or (len(rel.parts) == 1 and rel.name.startswith(ALLOWED_PREFIX)) or top in EXEMPT
    )


def _findings(path: Path) -> list[str]:
    """Each place in one file where SQL is written, sent, or the raw connection is used."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = {id(d) for d in map(_docstring, ast.walk(tree)) if d is not None}
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue  # prose may name SQL ("the database (PRAGMA quick_check)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append(f"{path}:{node.lineno}: SQL text {node.value[:60]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SQL_CALLS and _receiver(node.func) in ("store", "conn"):
                found.append(f"{path}:{node.lineno}: SQL sent with .{node.func.attr}()")
        elif isinstance(node, ast.Attribute) and node.attr in ("conn", "db") and _receiver(node) == "store":
            found.append(f"{path}:{node.lineno}: the raw connection .{node.attr}")
    return found


def _docstring(node: ast.AST) -> ast.Constant | None:
    """The docstring node of a module, class or function."""
    if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            return first.value
    return None


def _receiver(node: ast.Attribute) -> str:
    """The name an attribute is taken from: "store" for store.x, env.store.x, self.store.x."""
    value = node.value
    if isinstance(value, ast.Attribute):
        return value.attr
    return value.id if isinstance(value, ast.Name) else ""


def test_no_sql_outside_the_store_and_query_modules() -> None:
    # SQL text, raw SQL calls and the raw connection appear only in the allowed modules
    found = [f for path in sorted(INTAKE.rglob("*.py")) if not _allowed(path) for f in _findings(path)]
    assert not found, "SQL outside intake/store.py and intake/queries*.py:\n" + "\n".join(found)


def test_the_check_sees_sql(tmp_path: Path) -> None:
    # the check itself finds each kind of SQL it looks for (it could otherwise pass by seeing nothing)
    sample = tmp_path / "sample.py"
    sample.write_text(
        'store.one("SELECT id FROM requests WHERE id=?", (1,))\n'
        'x = "UPDATE outbox SET status=? WHERE id=?"\n'
        "env.store.conn.in_transaction\n"
        'f"DELETE FROM {table} WHERE id=?"\n'
        "store.query(sql, ())\n",
        encoding="utf-8",
    )
    found = _findings(sample)
    assert len([f for f in found if "SQL text" in f]) == 3
    assert len([f for f in found if "SQL sent" in f]) == 2
    assert any("raw connection .conn" in f for f in found)
    # a docstring that mentions IMAP's SELECT is no SQL, nor is a query of something else
    prose = tmp_path / "prose.py"
    prose.write_text(
        '"""The IMAP SELECT answered, or None; from the server."""\nresolver.query("a")\n'
        'def f():\n    """Checks the database (PRAGMA quick_check)."""\n'
    )
    assert _findings(prose) == []
