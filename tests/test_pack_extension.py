"""`make extension` (scripts/pack_extension.py): a versioned zip of extension/ with the pinned key, the same bytes
for the same files, its SHA-256 beside it; a floor build grants its consoles at install."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import zipfile
from pathlib import Path

import pytest

from coach_server.service.guard import EXTENSION_ID

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("pack_extension", ROOT / "scripts" / "pack_extension.py")
assert spec and spec.loader
pack_extension = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pack_extension)


def manifest_of(zipped: Path) -> dict:
    with zipfile.ZipFile(zipped) as z:
        return json.loads(z.read("manifest.json"))


def test_the_zip_is_versioned_pinned_complete_and_reproducible(tmp_path, capsys):
    version = json.loads((ROOT / "extension" / "manifest.json").read_text(encoding="utf-8"))["version"]
    assert pack_extension.main(["--out", str(tmp_path / "a.zip")]) == 0
    out = capsys.readouterr().out
    assert f"version {version}, id {EXTENSION_ID}" in out
    manifest = manifest_of(tmp_path / "a.zip")
    assert pack_extension.extension_id(manifest["key"]) == EXTENSION_ID
    assert manifest["host_permissions"] == ["http://127.0.0.1/*", "http://localhost/*"]
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        names = set(z.namelist())
    shipped = {p.relative_to(ROOT / "extension").as_posix() for p in (ROOT / "extension").rglob("*") if p.is_file()}
    assert names == shipped and "managed_schema.json" in names and "content/picker.js" in names
    digest = hashlib.sha256((tmp_path / "a.zip").read_bytes()).hexdigest()
    assert (tmp_path / "a.zip.sha256").read_text(encoding="utf-8") == f"{digest}  a.zip\n"
    assert pack_extension.main(["--out", str(tmp_path / "b.zip")]) == 0
    assert (tmp_path / "b.zip").read_bytes() == (tmp_path / "a.zip").read_bytes()


def test_a_floor_build_grants_its_consoles(tmp_path, capsys):
    assert pack_extension.main(["--out", str(tmp_path / "floor.zip"),
                                "--sites", "https://chat.example.com, http://desk.example.org:8080"]) == 0
    assert manifest_of(tmp_path / "floor.zip")["host_permissions"] == [
        "http://127.0.0.1/*", "http://desk.example.org/*", "http://localhost/*", "https://chat.example.com/*"]
    # the repository's manifest is left as it is
    assert json.loads((ROOT / "extension" / "manifest.json").read_text(encoding="utf-8"))["host_permissions"] == [
        "http://127.0.0.1/*", "http://localhost/*"]


@pytest.mark.parametrize("site", ["chat.example.com", "ftp://chat.example.com", "https://chat.example.com/app"])
def test_a_site_that_is_not_an_origin_is_refused(tmp_path, capsys, site):
    assert pack_extension.main(["--out", str(tmp_path / "x.zip"), "--sites", site]) == 2
    assert "is not a console's origin" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
