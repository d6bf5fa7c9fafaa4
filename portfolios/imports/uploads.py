"""Checks on an uploaded import file before it is parsed: name, size, first bytes."""

from __future__ import annotations

import os
from typing import IO

from portfolios.imports.csv_rows import (
    ALLOWED_SUFFIXES,
    MAX_FILE_BYTES,
    FileError,
    check_head,
    shown,
)

HEAD_BYTES = 64 * 1024
_MB = 1024 * 1024


def upload_problem(upload: IO[bytes], name: str, size: int) -> str | None:
    """Why an upload cannot be an import file (a sentence for a form), or None.

    Refused: names not ending in .csv / .txt, more than 20 MB, and content that
    is not UTF-8 text (spreadsheets, PDFs, binaries), judged on the first
    64 KB. The file is rewound; the import still checks every byte.
    """
    base = os.path.basename(name or "")
    if not base.lower().endswith(ALLOWED_SUFFIXES):
        return f"Choose a .csv or .txt file; {shown(base)} is neither."
    if size > MAX_FILE_BYTES:
        return (
            f"The file is {size / _MB:.1f} MB; the limit is {MAX_FILE_BYTES // _MB} MB. "
            "Split it into smaller files."
        )
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    try:
        check_head(head if isinstance(head, bytes) else head.encode("utf-8"))
    except FileError as exc:
        return f"The {exc}."  # "The file looks like a PDF document, not CSV."
    return None


def count_lines(upload: IO[bytes], chunk_size: int = 1024 * 1024) -> int:
    """Lines in the file (newlines, plus a last line without one), read in chunks; rewound."""
    lines, last = 0, b"\n"
    upload.seek(0)
    while chunk := upload.read(chunk_size):
        data = chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
        lines += data.count(b"\n")
        last = data[-1:]
    upload.seek(0)
    return lines + (last != b"\n")
