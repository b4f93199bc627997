"""An installed copy ships the ontology, shapes, queries and demo data the app looks for."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_carries_every_data_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                             "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    wheel = next(tmp_path.glob("mutu-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in [("ontology", ".ttl"), ("shapes", ".ttl"), ("queries", ".rq"), ("demo", ".ttl")]:
        shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob(f"*{pattern}")}
        assert shipped and shipped <= names, f"{folder}/ files missing from the wheel"
    assert "demo/events.json" in names
    assert "app/cli.py" in names and "app/store/embedded.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "mutu = app.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_data_folders_resolve_beside_the_app():
    from app.resources import files, folder

    assert folder("shapes").is_dir()
    assert files("ontology", "*.ttl") and files("queries", "*.rq")
