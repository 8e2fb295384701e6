"""Safe zip opening: traversal, links, bombs, too many members, damaged archives."""
from __future__ import annotations

import stat
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from geo.errors import NotGeodataError, UploadTooLargeError  # noqa: E402
from geo.io.archives import (  # noqa: E402
    ArchiveTooLargeError, UnsafeArchiveError, ZipLimits, check_zip, extract_zip, extracted_zip,
)
from tests.fixtures import codab as fx  # noqa: E402


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_good_zip_extracts_all_files_below_destination(tmp_path):
    archive = _zip(tmp_path / "ok.zip", {"a/x.geojson": b"{}", "a/y.txt": b"hello", "a/": b""})
    out = extract_zip(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in out) == ["a/x.geojson", "a/y.txt"]
    assert (tmp_path / "out" / "a" / "y.txt").read_bytes() == b"hello"


def test_extracted_zip_removes_its_folder(tmp_path):
    archive = _zip(tmp_path / "ok.zip", {"x.txt": b"1"})
    with extracted_zip(archive) as folder:
        assert (folder / "x.txt").exists()
    assert not folder.exists()


@pytest.mark.parametrize("member", ["../evil.txt", "a/../../evil.txt", "..\\evil.txt", "/tmp/evil.txt", "C:/evil.txt"])
def test_path_traversal_is_refused_and_nothing_is_written(tmp_path, member):
    archive = _zip(tmp_path / "bad.zip", {"ok.txt": b"fine", member: b"evil"})
    dest = tmp_path / "deep" / "out"
    with pytest.raises(UnsafeArchiveError) as err:
        extract_zip(archive, dest)
    assert "bad.zip" in str(err.value) and member in str(err.value)
    assert not (tmp_path / "deep" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert not dest.exists()  # refused before anything was unpacked


def test_traversal_fixture_is_refused(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="path traversal"):
        check_zip(fx.write_traversal_zip(tmp_path))


def test_symlink_member_is_refused(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        extract_zip(fx.write_symlink_zip(tmp_path), tmp_path / "out")


def test_zip_bomb_is_refused_by_ratio(tmp_path):
    bomb = fx.write_zip_bomb(tmp_path, megabytes=24)
    with pytest.raises(ArchiveTooLargeError) as err:
        extract_zip(bomb, tmp_path / "out")
    message = str(err.value)
    assert "bomb.zip" in message and "zip bomb" in message and "times" in message
    assert isinstance(err.value, UploadTooLargeError) and isinstance(err.value, NotGeodataError)
    assert not (tmp_path / "out").exists()


def test_total_uncompressed_size_limit(tmp_path):
    data = bytes(range(256)) * 4096  # 1 MiB of poorly compressible bytes
    archive = _zip(tmp_path / "big.zip", {f"f{i}.bin": data for i in range(3)})
    limits = ZipLimits(max_total_bytes=2 * 1024**2)
    with pytest.raises(ArchiveTooLargeError, match="unpack to more than 2.0 MiB"):
        extract_zip(archive, tmp_path / "out", limits)
    assert len(extract_zip(archive, tmp_path / "ok")) == 3  # within the default limits


def test_lying_header_is_caught_while_extracting(tmp_path):
    """A member whose central-directory size understates its content is stopped by the byte count."""
    payload = b"\0" * (3 * 1024**2)
    archive = _zip(tmp_path / "liar.zip", {"x.bin": payload})
    raw = bytearray(archive.read_bytes())
    # Patch the sizes of the only member in the central directory to 1 KiB: check_zip then
    # sees nothing suspicious, and zipfile reads only that much — no bomb can get through.
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (1024).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    try:
        out = extract_zip(archive, tmp_path / "out")
    except NotGeodataError as exc:  # damaged (CRC) or refused: both acceptable
        assert "liar.zip" in str(exc)
    else:
        assert sum(p.stat().st_size for p in out) <= 1024


def test_too_many_members(tmp_path):
    archive = fx.write_many_members_zip(tmp_path, 30)
    with pytest.raises(UnsafeArchiveError, match="30 members, more than the 20 accepted"):
        check_zip(archive, ZipLimits(max_members=20))
    assert len(check_zip(archive)) == 30


def test_encrypted_member_is_refused(tmp_path):
    archive = _zip(tmp_path / "enc.zip", {"secret.geojson": b"{}"}, zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())  # set the "encrypted" flag bit in both headers
    raw[6] |= 0x1
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 8] |= 0x1
    archive.write_bytes(bytes(raw))
    with pytest.raises(UnsafeArchiveError, match="encrypted"):
        check_zip(archive)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"this is not a zip at all", "not a zip"),
    (b"PK\x03\x04" + b"\0" * 40, "not a zip"),
])
def test_not_a_zip(tmp_path, content, message):
    path = tmp_path / "x.zip"
    path.write_bytes(content)
    with pytest.raises(NotGeodataError, match=message):
        check_zip(path)


def test_display_name_is_used_in_messages(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="upload-from-user.zip"):
        check_zip(fx.write_symlink_zip(tmp_path), display_name="upload-from-user.zip")


def test_regular_file_mode_is_not_mistaken_for_link(tmp_path):
    info = zipfile.ZipInfo("plain.txt")
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    archive = tmp_path / "plain.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(info, b"ok")
    assert [i.filename for i in check_zip(archive)] == ["plain.txt"]
