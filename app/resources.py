"""Find Mutu's data folders (ontology, shapes, queries, demo) in a checkout or an installed copy."""

from pathlib import Path

# In a checkout the folders sit beside app/; an installed copy puts them beside app/ in
# site-packages too (pyproject.toml ships them as package data), so one rule serves both.
ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("ontology", "shapes", "queries", "demo")


def folder(name: str) -> Path:
    """Return the path of one of Mutu's data folders, failing loudly if it is missing."""
    if name not in FOLDERS:
        raise ValueError(f"unknown data folder {name!r}")
    path = ROOT / name
    if not path.is_dir():
        raise FileNotFoundError(f"Mutu's {name}/ folder is missing (looked in {path})")
    return path


def files(name: str, pattern: str) -> list[Path]:
    """Sorted files of a data folder matching a glob pattern."""
    return sorted(folder(name).glob(pattern))
