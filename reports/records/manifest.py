"""The MANIFEST of an export folder: one line per file, ``<sha256>  <relative path>`` (the
format ``sha256sum -c`` reads), sorted by path, the manifest itself left out."""

from __future__ import annotations

import hashlib
from pathlib import Path

MANIFEST = "MANIFEST"
CHUNK = 1 << 16


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def files_of(folder: Path) -> list[str]:
    """Every file below ``folder`` but the manifest, as sorted POSIX relative paths."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST
    )


def write_manifest(folder: Path) -> Path:
    lines = [f"{file_sha256(folder / name)}  {name}" for name in files_of(folder)]
    path = folder / MANIFEST
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> dict[str, str]:
    """path → sha256 as listed; ValueError naming the line for a malformed one."""
    listed: dict[str, str] = {}
    text = (folder / MANIFEST).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"{MANIFEST} line {number} is not '<sha256>  <path>': {line!r}")
        listed[name] = digest
    return listed


def check_manifest(folder: Path) -> list[str]:
    """Each problem with the folder against its manifest, naming the file: changed, missing,
    or not listed. An empty list: every file is as listed."""
    if not (folder / MANIFEST).is_file():
        return [f"{MANIFEST} is missing"]
    try:
        listed = read_manifest(folder)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    present = set(files_of(folder))
    for name, digest in sorted(listed.items()):
        if name not in present:
            problems.append(f"{name}: missing")
        elif file_sha256(folder / name) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    problems += [f"{name}: not in the manifest" for name in sorted(present - set(listed))]
    return problems
