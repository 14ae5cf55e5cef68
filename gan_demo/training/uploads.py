"""Training folders from uploads: files and .zip archives in, folders of PNGs the DataKind loaders read out.

Every file goes through the one safe loader (`gan_demo.imaging.load_image`); what cannot be used is listed by
name with a reason, never silently dropped and never fatal. Accepted images are written as RGB PNGs no larger
than the working size, under names of our own. Caps bound the work one upload can cause: images and decoded
pixels per set, files and uncompressed bytes per zip. Pairs for pix2pix are built in `upload_pairs`; the
domains of a multi-domain model (StarGAN) are the folders of the upload (`domains_from_uploads`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from PIL import Image

from gan_demo.imaging import LIMITS_TEXT, MAX_FILE_BYTES, MIN_SIDE, InvalidImage, load_image
from gan_demo.training.upload_zips import Member, Skipped, ZipBudget, ignored, zip_members

__all__ = ["Skipped"]  # re-exported: reports list it

MAX_IMAGES = 2_000  # accepted images per set
MAX_TOTAL_PIXELS = 500_000_000  # decoded pixels per set: ~40 phone photos of 12 MP, ~0.5 s of CPU each
MAX_ZIP_MEMBERS = 2_000  # files read from one .zip
MAX_ZIP_BYTES = 500 * 2**20  # uncompressed bytes read from all the zips of one set
WORK_SIZE = 256  # longer side (px) of the PNGs written; training resizes further
MIN_IMAGES = 8  # fewer images (or pairs, or images per domain) than this are refused for fine-tuning
SUMMARY_ITEMS = 12  # skipped entries named in the one-paragraph summary; the report keeps them all

Upload = str | Path


@dataclass(frozen=True, kw_only=True)
class UploadLimits:
    max_images: int = MAX_IMAGES  # accepted images per set
    max_pixels: int = MAX_TOTAL_PIXELS  # decoded pixels per set
    max_zip_members: int = MAX_ZIP_MEMBERS  # files read from one .zip
    max_member_bytes: int = MAX_FILE_BYTES  # uncompressed bytes of one zip member
    max_zip_bytes: int = MAX_ZIP_BYTES  # uncompressed bytes from all the zips of one set
    work_size: int = WORK_SIZE  # longer side (px) of the PNGs written

    def text(self) -> str:
        """One sentence for the UI and the CLI help."""
        return (
            f"Up to {self.max_images:,} images and {self.max_pixels / 1e6:,.0f} megapixels per set ({LIMITS_TEXT} "
            f"each); a .zip may hold up to {self.max_zip_members:,} files and {self.max_zip_bytes / 2**20:,.0f} MB "
            f"uncompressed. Images are stored at most {self.work_size} px on the longer side."
        )


UPLOAD_LIMITS_TEXT = UploadLimits().text()


@dataclass(frozen=True)
class Accepted:
    name: str  # the upload name the user knows
    key: str  # the base name's stem, case-folded: what pairing by name matches on
    file: str  # the output file name (without folder) given to it


@dataclass
class Collected:
    """What one upload set gave: accepted images in upload order, skipped entries, totals."""

    accepted: list[Accepted] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    pixels: int = 0  # pixels decoded: accepted images, duplicates and the image that passed the cap
    bytes_read: int = 0  # uncompressed bytes read from zips


# Writes one accepted image under the given file name; returns None, or why the image cannot be used.
Writer = Callable[[Image.Image, str], str | None]


@dataclass(frozen=True)
class UploadReport:
    """The result of turning uploads into training folders; `folders` is what `DataKind.load` takes."""

    kind: str  # "images", "pairs", "unpaired" or "domains": the DataKind the folders are for
    folders: dict[str, Path | dict[str, Path]]  # DataKind folder name -> folder of PNGs (domains: name -> folder)
    files: dict[str, tuple[Path, ...]]  # the same keys -> PNGs written, in upload order (paired by position)
    accepted: tuple[str, ...]  # upload names used (for pairs, the input's name)
    skipped: tuple[Skipped, ...]  # everything not used, by name, with the reason
    pixels: int  # pixels decoded (see Collected.pixels), all sets
    bytes_read: int  # uncompressed bytes read from zips, all sets
    min_count: int  # the least `count` that can be trained on

    @property
    def count(self) -> int:
        """Images (one set), pairs, or the smallest of the unpaired domains or of the named domains."""
        return min((len(files) for files in self.files.values()), default=0)

    @property
    def problem(self) -> str:
        """Why these folders cannot be trained on yet ("" when they can)."""
        if self.kind == "domains" and len(self.files) < 2:
            found = f" (found only {', '.join(self.files)})" if self.files else ""
            return f"a multi-domain model needs at least two domain folders{found}"
        if self.count >= self.min_count:
            return ""
        got = " and ".join(str(len(files)) for files in self.files.values())
        units = {"pairs": "pairs", "unpaired": "images in each of A and B", "domains": "images in each domain"}
        if self.kind == "domains":
            got = ", ".join(f"{len(files)} in {name}" for name, files in self.files.items()) or "no domain folders"
        return f"fine-tuning needs at least {self.min_count} {units.get(self.kind, 'images')}; got {got}"

    @property
    def ready(self) -> bool:
        return not self.problem

    def contents(self) -> str:
        """What the folders hold, in a few words ("12 pairs", "9 images in A and 7 in B"): for a model card."""
        sizes = {key: len(files) for key, files in self.files.items()}
        if self.kind == "pairs":
            return _plural(sizes["source"], "pair")
        if self.kind == "unpaired":
            return f"{_plural(sizes['domain_a'], 'image')} in A and {sizes['domain_b']} in B"
        if self.kind == "domains":
            return ", ".join(f"{_plural(n, 'image')} in {name}" for name, n in sizes.items()) or "no images"
        return _plural(sum(sizes.values()), "image")

    def summary(self, *, items: int = SUMMARY_ITEMS) -> str:
        """One paragraph for the UI: what was accepted, what was skipped and why, and any shortfall."""
        text = f"accepted: {self.contents()}" if self.kind == "domains" else f"{self.contents()} accepted"
        if self.skipped:
            named = ", ".join(str(entry) for entry in self.skipped[:items])
            more = len(self.skipped) - items
            text += f"; {len(self.skipped)} skipped: {named}" + (f", and {more} more" if more > 0 else "")
        return text + "." + (f" Not enough to train: {self.problem}." if self.problem else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def images_from_uploads(
    uploads: Sequence[Upload], work_dir: Path, *, limits: UploadLimits = UploadLimits(), min_count: int = MIN_IMAGES
) -> UploadReport:
    """One set (for sampling GANs): `work_dir/images/` of PNGs, for the IMAGES data kind."""
    folder = fresh_folder(Path(work_dir) / "images")
    got = collect(uploads, limits=limits, write=png_writer(folder, limits.work_size))
    return report_from("images", {"images": (folder, got)}, got, min_count=min_count)


def unpaired_from_uploads(
    uploads_a: Sequence[Upload],
    uploads_b: Sequence[Upload],
    work_dir: Path,
    *,
    limits: UploadLimits = UploadLimits(),  # applied to each domain on its own
    min_count: int = MIN_IMAGES,  # per domain
) -> UploadReport:
    """Two domains (for CycleGAN): `work_dir/A/` and `work_dir/B/` (the folder names become the model's
    direction names, "A → B"), as the UNPAIRED data kind's `domain_a` and `domain_b`."""
    sets = {}
    for key, uploads, label in (("domain_a", uploads_a, "A"), ("domain_b", uploads_b, "B")):
        folder = fresh_folder(Path(work_dir) / label)
        sets[key] = (folder, collect(uploads, limits=limits, write=png_writer(folder, limits.work_size), group=label))
    both = merge(*(got for _, got in sets.values()))
    return report_from("unpaired", sets, both, min_count=min_count)


def domains_from_uploads(
    uploads: Sequence[Upload],
    work_dir: Path,
    *,
    domains: Sequence[str] | None = None,  # the names a base model knows, in its label order; None: any
    limits: UploadLimits = UploadLimits(),  # applied to each domain on its own
    min_count: int = MIN_IMAGES,  # per domain
) -> UploadReport:
    """One folder per domain (for StarGAN), named by the folder that holds each image in the upload.

    `modern/smile.png` and `flat/smile.png` (in a .zip, or under a folder given on the command line) are
    the same subject in two domains; a wrapping folder (`set/modern/smile.png`) does not matter, and the
    images at the top of `flat.zip` are in `flat`. A loose image, or one in a folder that is not one of
    `domains`, is skipped with the reason. The report's one folder entry maps each domain to its folder,
    in `domains`' order (else sorted); a domain of `domains` that the upload lacks is there, empty.
    """
    known = {name.casefold(): name for name in domains or ()}
    where = ", ".join(f"{name}/" for name in known.values())
    budget = ZipBudget(limits.max_zip_bytes)  # all the zips of the upload together
    sets: dict[str, tuple[Path, _Collector]] = {}
    skipped: list[Skipped] = []

    def domain_set(name: str) -> tuple[Path, _Collector]:
        if name not in sets:
            folder = fresh_folder(Path(work_dir) / "domains" / unique_name(name, set(), suffix=""))
            sets[name] = folder, _Collector(limits, png_writer(folder, limits.work_size))
        return sets[name]

    outside: dict[str, int] = {}  # folder (or loose file) → files in no domain folder, listed once each
    for entry in _entries(uploads, limits, budget):
        if isinstance(entry, Skipped):
            skipped.append(entry)
            continue
        name = _domain_of(entry.label)
        if known and name:
            name = known.get(name.casefold(), "")
        if not name:
            place = str(PurePosixPath(entry.label).parent) + "/" if "/" in entry.label else entry.label
            outside[place] = outside.get(place, 0) + 1
            continue
        collector = domain_set(name)[1]
        outcome = collector.accept(entry)
        if isinstance(outcome, Accepted):
            collector.got.accepted.append(outcome)
        else:
            collector.got.skipped.append(Skipped(entry.label, outcome, name))
    for name in known.values():
        domain_set(name)
    reason = f"not in a domain folder: {where or 'put each domain in a folder named after it'}"
    for place, count in outside.items():
        skipped.append(Skipped(f"{place} ({_plural(count, 'file')})" if place.endswith("/") else place, reason))
    ordered = {name: (sets[name][0], sets[name][1].got) for name in (list(known.values()) or sorted(sets))}
    totals = merge(Collected(skipped=skipped, bytes_read=budget.read), *(got for _, got in ordered.values()))
    report = report_from("domains", ordered, totals, min_count=min_count)
    return replace(report, folders={"domains": {name: folder for name, (folder, _) in ordered.items()}})


def _domain_of(label: str) -> str:
    """The domain an upload's image is in: its folder (`set.zip/x/modern/a.png`, or `modern/a.png` under a
    folder given on the command line), or the zip's name for an image at its top (`flat.zip/a.png`)."""
    parts = PurePosixPath(label.replace("\\", "/")).parts
    if len(parts) < 2:
        return ""  # a loose file
    folder = parts[-2]
    return folder[: -len(".zip")] if len(parts) == 2 and folder.lower().endswith(".zip") else folder


def preview_paths(report: UploadReport, n: int = 8) -> dict[str, list[Path]]:
    """The first n PNGs written to each folder (for pairs, the same n pairs in both), for a preview grid."""
    return {key: list(files[:n]) for key, files in report.files.items()}


def collect(uploads: Sequence[Upload], *, limits: UploadLimits, write: Writer, group: str = "") -> Collected:
    """Load every upload through the safe loader, skip what cannot be used, hand the rest to `write`."""
    collector, budget = _Collector(limits, write), ZipBudget(limits.max_zip_bytes)
    got = collector.got
    for entry in _entries(uploads, limits, budget):
        outcome = replace(entry, group=group) if isinstance(entry, Skipped) else collector.accept(entry)
        if isinstance(outcome, Accepted):
            got.accepted.append(outcome)
        else:
            got.skipped.append(outcome if isinstance(outcome, Skipped) else Skipped(entry.label, outcome, group))
    got.bytes_read = budget.read
    return got


@dataclass
class _Collector:
    limits: UploadLimits
    write: Writer
    got: Collected = field(default_factory=Collected)
    first_with: dict[str, str] = field(default_factory=dict)  # pixel hash -> name of the first such image
    taken: set[str] = field(default_factory=set)  # output names given so far, case-folded
    full: str = ""  # the cap reached, once one is: nothing more is read

    def accept(self, entry: Member) -> Accepted | str:
        """Load, check and write one candidate: its record, or why it was skipped."""
        if not self.full and len(self.got.accepted) >= self.limits.max_images:
            self.full = f"{self.limits.max_images:,} images"
        if self.full:
            return f"not read: over the cap of {self.full} per set"
        try:
            image = load_image(entry.read(), name=entry.label)
        except InvalidImage as error:
            return str(error).removeprefix(f"{entry.label}: ")
        self.got.pixels += image.width * image.height  # decoding is the work the cap bounds, duplicates too
        if self.got.pixels > self.limits.max_pixels:
            self.full = f"{self.limits.max_pixels / 1e6:.4g} megapixels"
            return f"over the cap of {self.full} per set"
        digest = hashlib.sha256(f"{image.size}".encode() + image.tobytes()).hexdigest()
        if digest in self.first_with:
            return f"duplicate of {self.first_with[digest]}"
        file = unique_name(entry.stem, self.taken)
        reason = self.write(image, file)
        if reason is not None:
            return reason
        self.first_with[digest] = entry.label
        self.taken.add(file.casefold())
        return Accepted(entry.label, entry.stem.casefold(), file)


def _entries(uploads: Sequence[Upload], limits: UploadLimits, budget: ZipBudget) -> Iterator[Member | Skipped]:
    """Each upload as candidate images: a file, every member of a .zip, every file under a folder (CLI)."""
    for upload in uploads:
        path = Path(upload)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not ignored(str(p.relative_to(path))))
            yield from (_file(p, str(p.relative_to(path))) for p in files)
        elif path.suffix.lower() == ".zip":
            yield from zip_members(
                path, max_members=limits.max_zip_members, max_member_bytes=limits.max_member_bytes, budget=budget
            )
        elif not ignored(path.name):
            yield _file(path, path.name)


def _file(path: Path, label: str) -> Member:
    return Member(label, path.stem, lambda: path)


def unique_name(stem: str, taken: set[str], *, suffix: str = ".png") -> str:
    """A safe file name from an untrusted stem (letters, digits, `._-` only), unlike any in `taken`."""
    base = re.sub(r"[^\w.-]+", "_", stem).strip("._-")[:80] or "image"
    name, number = f"{base}{suffix}", 1
    while name.casefold() in taken:
        number += 1
        name = f"{base}-{number}{suffix}"
    return name


def fresh_folder(folder: Path) -> Path:
    """Create `folder`; refuse one that already holds files, so that no earlier upload mixes in."""
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"{folder} already holds files; build each upload in a fresh work folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def png_writer(folder: Path, work_size: int) -> Writer:
    """A Writer that saves the image, scaled to at most work_size on its longer side, as an RGB PNG."""

    def write(image: Image.Image, file: str) -> None:
        shrink(image, work_size).save(folder / file, format="PNG")

    return write


def shrink(image: Image.Image, max_side: int) -> Image.Image:
    """Downscale so the longer side is at most max_side (never upscale, nor below MIN_SIDE), keeping the aspect.

    Like `imaging.fit_within`, but a box reduction first (Pillow's `reducing_gap`) makes a 12 MP photo
    about 9× faster to shrink to 256 px, within 2 grey levels of a plain Lanczos resize.
    """
    if max(image.size) <= max_side:
        return image
    # a 1000×10 strip stays 800×8: shrunk further, the stored file would be refused when training reads it
    scale = max(max_side / max(image.size), min(1.0, MIN_SIDE / min(image.size)))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def merge(*sets: Collected) -> Collected:
    """The skipped entries and totals of several sets together (accepted lists are kept per set)."""
    return Collected(
        skipped=[entry for got in sets for entry in got.skipped],
        pixels=sum(got.pixels for got in sets),
        bytes_read=sum(got.bytes_read for got in sets),
    )


def report_from(
    kind: str, sets: dict[str, tuple[Path, Collected]], totals: Collected, *, min_count: int
) -> UploadReport:
    """The report for folders whose accepted images are listed per folder in `sets` (paired by position)."""
    accepted = [a.name for _, got in sets.values() for a in got.accepted]
    if kind == "pairs":  # a pair is named by its input
        accepted = [a.name for a in next(iter(sets.values()))[1].accepted]
    return UploadReport(
        kind=kind,
        folders={key: folder for key, (folder, _) in sets.items()},
        files={key: tuple(folder / a.file for a in got.accepted) for key, (folder, got) in sets.items()},
        accepted=tuple(accepted),
        skipped=tuple(totals.skipped),
        pixels=totals.pixels,
        bytes_read=totals.bytes_read,
        min_count=min_count,
    )
