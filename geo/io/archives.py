"""Opening zip archives from uploads safely.

A zip from a user is checked before anything is written to disk and refused, with a
message naming the archive and the member, when it

* has a member whose path leaves the extraction folder (``../x``, ``/etc/x``, ``C:\\x``)
  or a symbolic link (path traversal);
* has more members than :data:`MAX_MEMBERS`;
* would unpack to more than :data:`MAX_TOTAL_BYTES` in all, or has a member that
  expands more than :data:`MAX_RATIO` times (a zip bomb);
* is encrypted, corrupt or not a zip at all.

The size limits are enforced a second time while extracting, on the bytes actually
written, so an archive whose headers lie about sizes is refused too.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo.errors import NotGeodataError, UploadTooLargeError

#: Most members accepted (a file geodatabase holds a few dozen files per layer set).
MAX_MEMBERS = 2000
#: Most bytes all members may unpack to.
MAX_TOTAL_BYTES = 2 * 1024**3
#: Largest expansion (uncompressed / compressed size) accepted for a member ...
MAX_RATIO = 200.0
#: ... once it is larger than this (small members may compress very well).
RATIO_MIN_BYTES = 1024**2

_CHUNK = 1024**2


class UnsafeArchiveError(NotGeodataError):
    """The archive is refused because unpacking it could harm the server."""


class ArchiveTooLargeError(UnsafeArchiveError, UploadTooLargeError):
    """The archive unpacks to too much data (or is a zip bomb)."""


@dataclass(frozen=True)
class ZipLimits:
    """Limits applied to one archive; defaults are the module constants."""

    max_members: int = MAX_MEMBERS
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_ratio: float = MAX_RATIO
    ratio_min_bytes: int = RATIO_MIN_BYTES


def _mib(n: float) -> str:
    """A byte count for people: KiB below 1 MiB, MiB below 1 GiB, else GiB."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1024:,.1f} KiB"


def _safe_member_path(name: str, archive: str) -> PurePosixPath | None:
    """The member's relative path, or :class:`UnsafeArchiveError` if it escapes.

    Returns None for directory entries.
    """
    if "\x00" in name:
        raise UnsafeArchiveError(key="err.zip.nul_name", archive=archive)
    normalised = name.replace("\\", "/")
    path = PurePosixPath(normalised)
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        raise UnsafeArchiveError(key="err.zip.absolute_path", archive=archive, member=name)
    if any(part == ".." for part in path.parts):
        raise UnsafeArchiveError(key="err.zip.traversal", archive=archive, member=name)
    if normalised.endswith("/"):
        return None
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts:
        return None
    return PurePosixPath(*parts)


def check_zip(path: str | os.PathLike, limits: ZipLimits | None = None, display_name: str | None = None) -> list[zipfile.ZipInfo]:
    """Check an archive's directory against the rules above; return its file members.

    Raises :class:`NotGeodataError` when it is not a readable zip and
    :class:`UnsafeArchiveError` / :class:`ArchiveTooLargeError` when it is refused.
    Nothing is extracted.
    """
    limits = limits or ZipLimits()
    path = Path(path)
    archive = display_name or path.name
    if not path.is_file():
        raise NotGeodataError(key="err.io.not_a_file", name=archive)
    if path.stat().st_size == 0:
        raise NotGeodataError(key="err.io.empty_file", name=archive)
    if not zipfile.is_zipfile(path):
        raise NotGeodataError(key="err.not_zip", name=str(archive))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise NotGeodataError(key="err.zip.unreadable", archive=archive, detail=str(exc)) from exc
    if len(infos) > limits.max_members:
        raise UnsafeArchiveError(key="err.zip.too_many_members", archive=archive, count=len(infos),
                                 limit=limits.max_members)
    files: list[zipfile.ZipInfo] = []
    total = 0
    seen: set[str] = set()
    for info in infos:
        rel = _safe_member_path(info.filename, archive)
        mode = (info.external_attr >> 16) & 0xFFFF
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(key="err.zip.symlink", archive=archive, member=info.filename)
        if rel is None or info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(key="err.zip.encrypted", archive=archive, member=info.filename)
        key = str(rel).lower()
        if key in seen:
            raise UnsafeArchiveError(key="err.zip.duplicate_member", archive=archive, member=info.filename)
        seen.add(key)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveTooLargeError(key="err.zip.too_large", archive=archive, limit=_mib(limits.max_total_bytes))
        if info.file_size > limits.ratio_min_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ArchiveTooLargeError(key="err.zip.bomb", archive=archive, member=info.filename,
                                           ratio=round(ratio), packed=_mib(info.compress_size),
                                           unpacked=_mib(info.file_size), limit=round(limits.max_ratio))
        files.append(info)
    return files


def extract_zip(path: str | os.PathLike, dest: str | os.PathLike, limits: ZipLimits | None = None,
                display_name: str | None = None) -> list[Path]:
    """Check an archive with :func:`check_zip` and extract its files into ``dest``.

    Members are written only below ``dest`` (never through links), counting the bytes
    actually written against the limits. Returns the extracted file paths.
    """
    limits = limits or ZipLimits()
    archive = display_name or Path(path).name
    infos = check_zip(path, limits, display_name=archive)
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    written_total = 0
    out: list[Path] = []
    try:
        with zipfile.ZipFile(path) as zf:
            for info in infos:
                rel = _safe_member_path(info.filename, archive)
                target = (dest / rel).resolve()
                if dest not in target.parents:
                    raise UnsafeArchiveError(key="err.zip.outside_folder", archive=archive, member=info.filename)
                target.parent.mkdir(parents=True, exist_ok=True)
                written = 0
                with zf.open(info) as src, open(target, "xb") as dst:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        written_total += len(chunk)
                        if written_total > limits.max_total_bytes:
                            raise ArchiveTooLargeError(key="err.zip.unpacks_too_large", archive=archive,
                                                       limit=_mib(limits.max_total_bytes))
                        if written > limits.ratio_min_bytes and written / max(info.compress_size, 1) > limits.max_ratio:
                            raise ArchiveTooLargeError(key="err.zip.bomb_written", archive=archive, member=info.filename,
                                                       limit=round(limits.max_ratio))
                        dst.write(chunk)
                out.append(target)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise NotGeodataError(key="err.zip.damaged", archive=archive, detail=str(exc)) from exc
    except FileExistsError as exc:
        raise UnsafeArchiveError(key="err.zip.same_target", archive=archive, target=str(exc.filename)) from exc
    return out


@contextmanager
def extracted_zip(path: str | os.PathLike, limits: ZipLimits | None = None,
                  display_name: str | None = None) -> Iterator[Path]:
    """Extract a checked archive into a temporary folder, removed when the block ends."""
    tmp = Path(tempfile.mkdtemp(prefix="aimak-zip-"))
    try:
        extract_zip(path, tmp, limits, display_name=display_name)
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
