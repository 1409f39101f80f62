"""Where the default rules, templates and migrations are.

The top-level `rules/`, `templates/` and `db/migrations/` of the repository are the
only copies. A wheel carries them inside the package as `intake/data/<name>`
(pyproject.toml maps each directory there), so an installed intake finds them
beside its code; a clone (or an editable install) has no `intake/data` and uses the
top-level directories. Operators override rules and templates with `rules_dir` and
`templates_dir` in the config.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
_IN_REPO = {"rules": "rules", "templates": "templates", "migrations": "db/migrations"}


def default_dir(name: str) -> Path:
    """The shipped directory `rules`, `templates` or `migrations`."""
    packaged = PACKAGE_DIR / "data" / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / _IN_REPO[name]
