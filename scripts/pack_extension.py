"""`make extension`: the extension as a versioned zip for a floor (docs/deploy.md).

    python scripts/pack_extension.py [--out dist/operator-coach-<version>.zip] [--sites "https://chat.example.com …"]

The zip holds extension/ as it is — the manifest with the pinned `key`, so the extension keeps its id
(lkcbkpejmflonblecnbdlljomkbmiopm) wherever it is unpacked — after checking that every file the manifest and the
adapter index name is there. `--sites` makes a floor build: those consoles go into the manifest's
`host_permissions`, which Chromium grants when the extension is installed by policy (optional permissions would
still ask every operator once). The zip is byte-for-byte the same for the same files (sorted entries, fixed
times); its SHA-256 is written beside it.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "extension"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


class PackError(Exception):
    pass


def extension_id(key: str) -> str:
    """The id Chromium gives an extension with this public key: the first 128 bits of its SHA-256, in a–p."""
    digest = hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def site_pattern(site: str) -> str:
    parts = urlsplit(site.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
        raise PackError(f"--sites: {site!r} is not a console's origin (e.g. https://chat.example.com)")
    return f"{parts.scheme}://{parts.hostname}/*"


def referenced(manifest: dict) -> list[str]:
    """Every file the manifest names (scripts, pages, icons, the policy schema) and every adapter index entry."""
    names = [manifest["background"]["service_worker"], manifest["action"]["default_popup"],
             manifest["options_ui"]["page"], manifest["storage"]["managed_schema"],
             *manifest["icons"].values(), *manifest["action"]["default_icon"].values()]
    for script in manifest.get("content_scripts", []):
        names += script.get("js", []) + script.get("css", [])
    index = json.loads((EXTENSION / "adapters" / "index.json").read_text(encoding="utf-8"))
    names += [f"adapters/{name}" for name in index["adapters"]]
    return names


def pack(out: Path | None, sites: list[str]) -> tuple[Path, dict]:
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))
    missing = [n for n in referenced(manifest) if not (EXTENSION / n).is_file()]
    if missing:
        raise PackError(f"the manifest or adapters/index.json names files that are not there: {', '.join(missing)}")
    if "key" not in manifest:
        raise PackError("manifest.json has no `key`: the extension would get another id on every machine")
    if sites:
        patterns = [site_pattern(s) for s in sites]
        manifest["host_permissions"] = sorted({*manifest["host_permissions"], *patterns})
    version = manifest["version"]
    out = out or ROOT / "dist" / f"operator-coach-{version}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in EXTENSION.rglob("*") if p.is_file() and not any(part.startswith(".") for part in
                                                                                p.relative_to(EXTENSION).parts))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in files:
            name = path.relative_to(EXTENSION).as_posix()
            data = path.read_bytes()
            if name == "manifest.json":
                data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n", encoding="utf-8")
    return out, {"version": version, "id": extension_id(manifest["key"]), "files": len(files), "sha256": digest,
                 "bytes": out.stat().st_size, "host_permissions": manifest["host_permissions"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="the zip to write (default: dist/operator-coach-<version>.zip)")
    parser.add_argument("--sites", default="", help="console origins to grant at install (space or comma separated)")
    args = parser.parse_args(argv)
    sites = [s for s in args.sites.replace(",", " ").split() if s]
    try:
        out, info = pack(args.out, sites)
    except (PackError, OSError, KeyError, ValueError) as exc:
        print(f"pack_extension: {exc}", file=sys.stderr)
        return 2
    print(f"{out}  version {info['version']}, id {info['id']}, {info['files']} files, {info['bytes']} bytes")
    print(f"sha256 {info['sha256']}")
    if sites:
        print(f"host permissions granted at install: {', '.join(info['host_permissions'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
