"""Uploads become training folders: every file through the safe loader, hostile zips contained, caps kept."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_demo.training.datasets import DOMAINS, IMAGES, PAIRS, UNPAIRED
from gan_demo.training.upload_pairs import pairs_from_named, pairs_from_photos, pairs_from_side_by_side
from gan_demo.training.uploads import (
    UploadLimits,
    domains_from_uploads,
    images_from_uploads,
    preview_paths,
    unique_name,
    unpaired_from_uploads,
)

SMALL = UploadLimits(work_size=32)


def noise(seed: int, size: tuple[int, int] = (16, 16)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def read_png(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.copy()


def write_images(folder: Path, names: list[str], *, first_seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed, name in enumerate(names, start=first_seed):
        path = folder / name
        noise(seed).save(path)
        paths.append(path)
    return paths


def make_zip(path: Path, members: dict[str, bytes], *, symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return path


def patch_headers(path: Path, *, uncompressed: int | None = None, flags: int | None = None) -> None:
    """Rewrite what every local and central header of a zip claims (sizes and flags are only claims)."""
    data = bytearray(path.read_bytes())
    for signature, size_at, flags_at in ((b"PK\x03\x04", 22, 6), (b"PK\x01\x02", 24, 8)):
        start = data.find(signature)
        while start != -1:
            if uncompressed is not None:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", uncompressed)
            if flags is not None:
                data[start + flags_at : start + flags_at + 2] = struct.pack("<H", flags)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def reasons(report) -> dict[str, str]:
    return {entry.name: entry.reason for entry in report.skipped}


def test_images_become_rgb_pngs_within_the_working_size_that_the_loader_reads(tmp_path):
    uploads = write_images(tmp_path / "in", [f"{i}.png" for i in range(7)])
    big = tmp_path / "in" / "wide.jpg"
    noise(99, (120, 60)).convert("L").save(big)
    report = images_from_uploads([*uploads, big], tmp_path / "work", limits=SMALL)
    assert report.ready and report.count == 8 and not report.skipped
    written = [read_png(path) for path in report.files["images"]]
    assert all(image.mode == "RGB" and max(image.size) <= 32 for image in written)
    assert read_png(report.folders["images"] / "wide.png").size == (32, 16)
    data = IMAGES.load(report.folders, size=16, split=None, min_count=8)
    assert tuple(data.sets[0].shape) == (8, 3, 16, 16)


def test_a_thin_strip_is_stored_no_thinner_than_the_loader_accepts(tmp_path):
    noise(0, (1000, 10)).save(tmp_path / "strip.png")
    report = images_from_uploads([tmp_path / "strip.png"], tmp_path / "w", limits=SMALL, min_count=1)
    assert read_png(report.files["images"][0]).size == (800, 8)  # not 32×0.32: training reads it back
    assert tuple(IMAGES.load(report.folders, size=16, split=None, min_count=1).sets[0].shape) == (1, 3, 16, 16)


def test_non_images_and_damaged_files_are_listed_by_name_and_skipped(tmp_path):
    good = write_images(tmp_path, ["good.png"])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "cut.png").write_bytes(png_bytes(noise(1, (64, 64)))[:200])
    noise(2, (4, 4)).save(tmp_path / "tiny.png")
    bad = [tmp_path / name for name in ("notes.txt", "cut.png", "tiny.png")]
    report = images_from_uploads([*good, *bad], tmp_path / "w", limits=SMALL)
    assert report.accepted == ("good.png",)
    why = reasons(report)
    assert "not a supported image" in why["notes.txt"]
    assert "damaged or truncated" in why["cut.png"]
    assert why["tiny.png"].startswith("4×4 is too small")
    assert "notes.txt (not a supported image" in report.summary()


def test_zip_members_with_unsafe_paths_are_listed_and_nothing_lands_outside(tmp_path):
    image = png_bytes(noise(3))
    names = ["../evil.png", "/abs.png", "C:/drive.png", "a\\..\\..\\back.png", "link.png", "ok/fine.png"]
    archive = make_zip(tmp_path / "up.zip", dict.fromkeys(names, image), symlinks=("link.png",))
    before = set(tmp_path.rglob("*"))
    report = images_from_uploads([archive], tmp_path / "deep" / "work", limits=SMALL)
    after = set(tmp_path.rglob("*")) - before
    assert report.accepted == ("up.zip/ok/fine.png",)
    assert {path.name for path in after if path.is_file()} == {"fine.png"}
    why = reasons(report)
    assert all("unsafe path in zip" in why[f"up.zip/{name}"] for name in names[:5])
    assert "symbolic link" in why["up.zip/link.png"] and "absolute" in why["up.zip//abs.png"]


def test_a_member_over_the_size_cap_is_refused_by_its_declared_size(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {"zeros.png": bytes(1_000_000), "ok.png": png_bytes(noise(0))})
    limits = UploadLimits(work_size=32, max_member_bytes=64 * 1024)
    report = images_from_uploads([archive], tmp_path / "w", limits=limits)
    assert reasons(report)["bomb.zip/zeros.png"] == "larger than 0.0625 MB uncompressed"
    assert report.bytes_read < 2_000 and report.accepted == ("bomb.zip/ok.png",)


def test_a_bomb_whose_header_lies_about_its_size_is_stopped_by_what_is_read(tmp_path):
    archive = make_zip(tmp_path / "liar.zip", {"zeros.png": bytes(8_000_000)})
    patch_headers(archive, uncompressed=1_000)
    limits = UploadLimits(work_size=32, max_member_bytes=64 * 1024)
    report = images_from_uploads([archive], tmp_path / "w", limits=limits)
    assert "damaged inside the zip" in reasons(report)["liar.zip/zeros.png"]
    assert report.bytes_read <= 1_001


def test_the_zips_of_a_set_stop_at_the_cap_on_uncompressed_bytes(tmp_path):
    first = make_zip(tmp_path / "one.zip", {"a.bin": bytes(40_000), "b.bin": bytes(40_000)})
    second = make_zip(tmp_path / "two.zip", {"c.bin": bytes(40_000), "d.bin": bytes(40_000)})
    limits = UploadLimits(work_size=32, max_zip_bytes=100_000)
    report = images_from_uploads([first, second], tmp_path / "w", limits=limits)
    why = reasons(report)
    assert "not a supported image" in why["one.zip/a.bin"] and "not a supported image" in why["one.zip/b.bin"]
    assert why["two.zip/c.bin"].startswith("stopped at 0.0953674 MB uncompressed")
    assert why["two.zip/d.bin"].startswith("not read")
    assert report.bytes_read <= 100_001


def test_a_zip_with_too_many_members_is_read_up_to_the_cap(tmp_path):
    members = {f"{i}.png": png_bytes(noise(i)) for i in range(5)}
    archive = make_zip(tmp_path / "many.zip", members)
    report = images_from_uploads([archive], tmp_path / "w", limits=UploadLimits(work_size=32, max_zip_members=3))
    assert report.count == 3
    assert reasons(report)["many.zip"] == "2 more files not read (at most 3 per .zip)"


def test_nested_encrypted_hidden_and_folder_members(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"x.png": png_bytes(noise(0))}).read_bytes()
    members = {"dir/": b"", "__MACOSX/._a.png": b"junk", ".DS_Store": b"junk", "inner.zip": inner}
    report = images_from_uploads([make_zip(tmp_path / "n.zip", members)], tmp_path / "w", limits=SMALL)
    assert list(reasons(report)) == ["n.zip/inner.zip"] and "inside a .zip" in report.skipped[0].reason
    locked = make_zip(tmp_path / "locked.zip", {"a.png": png_bytes(noise(1))})
    patch_headers(locked, flags=0x1)
    report = images_from_uploads([locked, tmp_path / "missing.zip"], tmp_path / "w2", limits=SMALL)
    assert "encrypted" in reasons(report)["locked.zip/a.png"]
    assert reasons(report)["missing.zip"] == "not a readable .zip"


def test_caps_on_image_count_and_decoded_pixels(tmp_path):
    uploads = write_images(tmp_path / "in", [f"{i}.png" for i in range(4)])
    report = images_from_uploads(uploads, tmp_path / "a", limits=UploadLimits(work_size=32, max_images=2))
    assert report.count == 2
    assert [entry.reason for entry in report.skipped] == ["not read: over the cap of 2 images per set"] * 2
    report = images_from_uploads(uploads, tmp_path / "b", limits=UploadLimits(work_size=32, max_pixels=600))
    assert report.count == 2 and report.pixels == 3 * 256
    assert [entry.reason for entry in report.skipped] == [
        "over the cap of 0.0006 megapixels per set",
        "not read: over the cap of 0.0006 megapixels per set",
    ]


def test_duplicates_are_found_by_decoded_pixels_after_orientation(tmp_path):
    original = noise(5, (16, 24))
    original.save(tmp_path / "a.png")
    original.save(tmp_path / "same.bmp")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": stored turned the other way
    original.rotate(90, expand=True).save(tmp_path / "turned.png", exif=exif)
    files = [tmp_path / name for name in ("a.png", "same.bmp", "turned.png")]
    report = images_from_uploads(files, tmp_path / "w", limits=SMALL)
    assert report.accepted == ("a.png",)
    assert reasons(report) == {"same.bmp": "duplicate of a.png", "turned.png": "duplicate of a.png"}


def test_output_names_are_sanitised_and_unique(tmp_path):
    members = {"x/cat photo*.png": png_bytes(noise(0)), "y/cat photo*.png": png_bytes(noise(1))}
    report = images_from_uploads([make_zip(tmp_path / "z.zip", members)], tmp_path / "w", limits=SMALL)
    assert [path.name for path in report.files["images"]] == ["cat_photo.png", "cat_photo-2.png"]
    assert unique_name("../../..", set()) == "image.png" and unique_name("A", {"a.png"}) == "A-2.png"


def test_too_few_images_are_refused_with_a_clear_message(tmp_path):
    report = images_from_uploads(write_images(tmp_path / "in", ["a.png", "b.png", "c.png"]), tmp_path / "w")
    assert not report.ready
    assert report.problem == "fine-tuning needs at least 8 images; got 3"
    assert report.summary() == "3 images accepted. Not enough to train: fine-tuning needs at least 8 images; got 3."


def test_unpaired_sets_are_collected_separately_and_named_in_messages(tmp_path):
    a = write_images(tmp_path / "a", ["1.png", "2.png"])
    b = write_images(tmp_path / "b", ["1.png"], first_seed=10)
    (tmp_path / "b" / "x.txt").write_text("no")
    report = unpaired_from_uploads(a, [*b, tmp_path / "b" / "x.txt"], tmp_path / "w", limits=SMALL, min_count=2)
    assert [len(report.files[key]) for key in ("domain_a", "domain_b")] == [2, 1]
    assert report.problem == "fine-tuning needs at least 2 images in each of A and B; got 2 and 1"
    assert str(report.skipped[0]).startswith("B: x.txt (not a supported image")
    assert tuple(len(s) for s in UNPAIRED.load(report.folders, size=8, split=None, min_count=1).sets) == (2, 1)
    assert [folder.name for folder in report.folders.values()] == ["A", "B"]  # a scratch model's "A → B"
    assert report.contents() == "2 images in A and 1 in B"


def test_domains_are_the_folders_of_a_zip_in_the_base_models_order(tmp_path):
    members = {
        f"set/{domain}/{n}.png": png_bytes(noise(i))
        for i, (domain, n) in enumerate(
            [
                ("Flat", "smile"),
                ("Flat", "heart"),
                ("modern", "smile"),
                ("modern", "cat"),
                ("faces", "x"),
                ("faces", "y"),
            ]
        )
    }
    archive = make_zip(tmp_path / "set.zip", {**members, "loose.png": png_bytes(noise(9))})
    report = domains_from_uploads([archive], tmp_path / "w", domains=["modern", "flat"], limits=SMALL, min_count=2)
    assert report.kind == "domains" and list(report.folders["domains"]) == ["modern", "flat"]  # the base's order
    assert [path.name for path in report.files["flat"]] == ["smile.png", "heart.png"]  # names kept: same subject
    assert reasons(report) == {
        "set.zip/set/faces/ (2 files)": "not in a domain folder: modern/, flat/",
        "set.zip/ (1 file)": "not in a domain folder: modern/, flat/",
    }
    data = DOMAINS.load(report.folders, size=8, split=None, min_count=1)
    assert data.summary["domains"] == ["modern", "flat"] and data.names == (("cat", "smile"), ("heart", "smile"))
    assert report.ready and report.summary().startswith("accepted: 2 images in modern, 2 images in flat; 2 skipped")


def test_one_zip_per_domain_and_the_missing_domains_are_named(tmp_path):
    flat = make_zip(tmp_path / "flat.zip", {f"{n}.png": png_bytes(noise(n)) for n in range(3)})
    report = domains_from_uploads([flat], tmp_path / "w", domains=["modern", "flat"], limits=SMALL, min_count=2)
    assert report.problem == "fine-tuning needs at least 2 images in each domain; got 0 in modern, 3 in flat"
    alone = domains_from_uploads([flat], tmp_path / "w2", limits=SMALL, min_count=2)  # from scratch: any names
    assert alone.problem == "a multi-domain model needs at least two domain folders (found only flat)"
    modern = write_images(tmp_path / "up" / "modern", ["a.png", "b.png"])  # a folder given on the command line
    both = domains_from_uploads([flat, tmp_path / "up"], tmp_path / "w3", limits=SMALL, min_count=2)
    assert both.ready and list(both.folders["domains"]) == ["flat", "modern"] and len(modern) == 2


def test_pairs_by_name_match_stems_ignoring_case_and_extension(tmp_path):
    inputs = write_images(tmp_path / "in", ["a.png", "B.png", "c.png"])
    targets = write_images(tmp_path / "out", ["A.jpg", "b.png", "d.png"], first_seed=10)
    report = pairs_from_named(inputs, targets, tmp_path / "w", limits=SMALL, min_count=2)
    assert report.ready and report.accepted == ("a.png", "B.png")
    names = [[path.name for path in report.files[key]] for key in ("source", "target")]
    assert names == [["a.png", "B.png"], ["a.png", "B.png"]]
    assert [str(entry) for entry in report.skipped] == [
        "inputs: c.png (no target with the same name)",
        "targets: d.png (no input with the same name)",
    ]
    assert sorted(path.name for path in (tmp_path / "w").iterdir()) == ["source", "target"]
    assert tuple(PAIRS.load(report.folders, size=8, split=None, min_count=2).sets[1].shape) == (2, 3, 8, 8)


def test_a_pair_of_two_shapes_is_skipped_and_one_of_two_sizes_kept(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    pairs = [("same", (20, 20), (20, 20)), ("bigger", (20, 10), (80, 40)), ("odd", (20, 20), (40, 20))]
    for seed, (name, given, wanted) in enumerate(pairs):
        noise(seed, given).save(tmp_path / "in" / f"{name}.png")
        noise(seed + 10, wanted).save(tmp_path / "out" / f"{name}.png")
    report = pairs_from_named([tmp_path / "in"], [tmp_path / "out"], tmp_path / "w", limits=SMALL, min_count=1)
    assert sorted(report.accepted) == ["bigger.png", "same.png"]
    assert reasons(report)["odd.png"] == "another shape than its target odd.png (20×20 against 32×16)"


def test_side_by_side_images_split_into_inputs_and_targets(tmp_path):
    both = Image.new("RGB", (64, 32), (255, 0, 0))
    both.paste((0, 0, 255), (32, 0, 64, 32))
    both.save(tmp_path / "ab.png")
    noise(0, (32, 32)).save(tmp_path / "square.png")
    uploads = [tmp_path / "ab.png", tmp_path / "square.png"]
    report = pairs_from_side_by_side(uploads, tmp_path / "l", limits=SMALL, min_count=1)
    source, target = (read_png(report.files[key][0]) for key in ("source", "target"))
    assert source.getpixel((5, 5)) == (255, 0, 0) and target.getpixel((5, 5)) == (0, 0, 255)
    assert source.size == target.size == (32, 32)
    assert reasons(report)["square.png"].startswith("not side by side")
    swapped = pairs_from_side_by_side(uploads, tmp_path / "r", input_side="right", limits=SMALL, min_count=1)
    assert read_png(swapped.files["source"][0]).getpixel((5, 5)) == (0, 0, 255)


def test_photos_become_targets_with_traced_sketch_inputs(tmp_path):
    photo = Image.new("RGB", (48, 48), (250, 240, 200))
    photo.paste((20, 40, 160), (12, 12, 36, 36))
    photo.save(tmp_path / "shape.png")
    Image.new("RGB", (48, 48), (90, 90, 90)).save(tmp_path / "flat.png")
    uploads = [tmp_path / "shape.png", tmp_path / "flat.png"]
    report = pairs_from_photos(uploads, tmp_path / "w", method="canny", limits=SMALL, min_count=1)
    sketch = np.asarray(read_png(report.files["source"][0]))
    assert set(np.unique(sketch)) == {0, 255}  # black lines on white
    assert np.asarray(read_png(report.files["target"][0])).shape == (32, 32, 3)
    assert reasons(report)["flat.png"].startswith("no lines to trace")
    with pytest.raises(ValueError, match="unknown edge method 'pencil'"):
        pairs_from_photos(uploads, tmp_path / "x", method="pencil")


def test_preview_paths_and_a_used_work_folder(tmp_path):
    uploads = write_images(tmp_path / "in", [f"{i}.png" for i in range(5)])
    report = images_from_uploads(uploads, tmp_path / "w", limits=SMALL)
    assert preview_paths(report, 3) == {"images": list(report.files["images"][:3])}
    with pytest.raises(ValueError, match="already holds files"):
        images_from_uploads(uploads, tmp_path / "w", limits=SMALL)
