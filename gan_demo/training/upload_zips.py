"""Reading an uploaded .zip one member at a time, trusting nothing the archive says about itself.

Nothing is extracted: a member's bytes are read into memory (never more than one member's cap) only when
the caller asks for them, and handed to the safe image loader. Member names serve as labels and as the
stem for names of our own; they never become paths. Sizes are counted as they are read, because a zip
bomb's headers lie (the PKWARE APPNOTE makes the declared sizes advisory; Python's reader stops at the
declared size and then fails the CRC, which lands here as a damaged member).
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gan_demo.imaging import InvalidImage

# What reading a damaged, truncated or exotic member can raise (zlib, bz2, lzma and the zip reader itself).
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError)
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Skipped:
    """An uploaded file (or zip member) that was not used, and why, in words for the user."""

    name: str  # the name the user knows: "photo.png" or "set.zip/cats/photo.png"
    reason: str  # "not an image", "duplicate of a.png", "unsafe path in zip (..)", …
    group: str = ""  # which upload set it came from ("A", "B", "inputs", "targets"); "" for a single set

    def __str__(self) -> str:
        prefix = f"{self.group}: " if self.group else ""
        return f"{prefix}{self.name} ({self.reason})"


@dataclass(frozen=True)
class Member:
    """One candidate image: a label for messages, a stem for naming, and its bytes (or path) on demand."""

    label: str  # the name shown to the user
    stem: str  # the base name without extension, for output names and pairing by name
    read: Callable[[], bytes | Path]  # raises InvalidImage("<label>: <reason>") when the member is unusable


@dataclass
class ZipBudget:
    """Uncompressed bytes still allowed from all the zips of one upload set."""

    cap: int  # bytes, all zips together
    read: int = 0  # bytes read so far

    @property
    def left(self) -> int:
        return self.cap - self.read


def printable(name: str) -> str:
    """A member name fit to show: control characters (possible in hostile archives) become "?"."""
    return "".join(c if c.isprintable() else "?" for c in name)[:200]


def ignored(name: str) -> bool:
    """Folders, macOS resource forks (`__MACOSX/`, `._x`) and dot files: not content, skipped silently."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    hidden = any(part == "__MACOSX" or (part.startswith(".") and part != "..") for part in parts)
    return not parts or name.endswith(("/", "\\")) or hidden  # ".." is no dot file: it is listed as unsafe


def unsafe(info: zipfile.ZipInfo) -> str | None:
    """Why a member must not be read (a path that could escape a folder, a link), or None."""
    name = info.filename.replace("\\", "/")
    if stat.S_ISLNK(info.external_attr >> 16):
        return "unsafe path in zip (a symbolic link)"
    if name.startswith("/") or _DRIVE.match(name):
        return "unsafe path in zip (an absolute path)"
    if ".." in PurePosixPath(name).parts:
        return "unsafe path in zip (.. leads outside the archive)"
    return None


def zip_members(
    path: Path,
    *,
    max_members: int,  # files read from this archive at most
    max_member_bytes: int,  # uncompressed bytes of one member at most
    budget: ZipBudget,  # uncompressed bytes left for all zips of the set; spent as members are read
) -> Iterator[Member | Skipped]:
    """The archive's files in stored order, each a lazily read Member, or Skipped with a reason."""
    label = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (*_READ_ERRORS, zipfile.LargeZipFile):
        yield Skipped(label, "not a readable .zip")
        return
    with archive:
        files = [info for info in archive.infolist() if not ignored(info.filename)]
        for index, info in enumerate(files):
            if index == max_members:
                yield Skipped(label, f"{len(files) - index} more files not read (at most {max_members:,} per .zip)")
                return
            yield _member(archive, info, f"{label}/{printable(info.filename)}", max_member_bytes, budget)


def _member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, max_bytes: int, budget: ZipBudget
) -> Member | Skipped:
    reason = unsafe(info)
    name = PurePosixPath(info.filename.replace("\\", "/"))
    if reason is None and name.suffix.lower() == ".zip":
        reason = "a .zip inside a .zip (not opened; upload it on its own)"
    if reason is None and info.flag_bits & 0x1:
        reason = "encrypted (password-protected zips are not supported)"
    if reason is None and info.file_size > max_bytes:
        reason = f"larger than {_mb(max_bytes)} uncompressed"
    if reason is not None:
        return Skipped(label, reason)
    return Member(label, name.stem, lambda: _read(archive, info, label, max_bytes, budget))


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, max_bytes: int, budget: ZipBudget) -> bytes:
    """At most max_bytes (and what the budget allows) of one member, counted as decompressed."""
    if budget.left <= 0:
        raise InvalidImage(f"{label}: not read (the zips of this set reached {_mb(budget.cap)} uncompressed)")
    limit = min(max_bytes, budget.left)
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)  # the reader decompresses in bounded chunks up to this
    except _READ_ERRORS as error:
        raise InvalidImage(f"{label}: damaged inside the zip: {error}") from None
    budget.read += len(data)
    if len(data) > max_bytes:
        raise InvalidImage(f"{label}: larger than {_mb(max_bytes)} uncompressed")
    if len(data) > limit:
        raise InvalidImage(f"{label}: stopped at {_mb(budget.cap)} uncompressed, the cap for the zips of this set")
    return data


def _mb(size: int) -> str:
    return f"{size / 2**20:g} MB"
