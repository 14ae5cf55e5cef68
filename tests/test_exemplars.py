"""Exemplar-guided sketch colouring: retrieval, the generator's bank and zero start, training with exemplars."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gan_demo.entries import entry_from_run
from gan_demo.hub import load_network
from gan_demo.models import LiteUnetGenerator
from gan_demo.models.exemplars import KEY_CHANNELS, enlarge, exemplar_keys, nearest, thumbnails
from gan_demo.tasks.sketch import colour_hint, sketch_to_image
from gan_demo.tensors import from_signed_unit
from tests.test_training import CPU

SMALL = [16, 8, 8, 4, 4]  # decoder widths: a fast model, the real encoder


def shapes(count: int, size: int = 64) -> torch.Tensor:
    """`count` different black outlines on white (a square, a disc, a cross, …) as [-1, 1] line art."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre = size / 2
    masks = [
        ((ys - centre).abs() < size / 3) & ((xs - centre).abs() < size / 3),
        (ys - centre) ** 2 + (xs - centre) ** 2 < (size / 3) ** 2,
        ((ys - centre).abs() < size / 10) | ((xs - centre).abs() < size / 10),
        ys > xs,
        (ys // 8 + xs // 8) % 2 == 0,
    ]
    images = torch.ones(count, 3, size, size)
    for index in range(count):
        images[index, :, masks[index % len(masks)]] = -1.0
    return images


def test_keys_are_unit_length_and_the_nearest_key_of_a_known_drawing_is_its_own():
    art = shapes(5)
    keys = exemplar_keys(art)
    assert keys.shape == (5, KEY_CHANNELS) and torch.allclose(keys.norm(dim=1), torch.ones(5), atol=1e-5)
    assert torch.equal(nearest(keys, keys), torch.arange(5))
    left_out = nearest(keys, keys, exclude_self=True)
    assert not (left_out == torch.arange(5)).any()
    with pytest.raises(ValueError, match="at least two"):
        nearest(keys[:1], keys[:1], exclude_self=True)


def test_thumbnails_keep_the_colours_and_enlarge_to_the_generators_range():
    images = torch.zeros(2, 3, 32, 32, dtype=torch.uint8)
    images[0, 0] = 200  # red
    images[1, 2] = 50  # dark blue
    small = thumbnails(images, 8)
    assert small.shape == (2, 3, 8, 8) and small.dtype == torch.uint8
    assert small[0, 0].eq(200).all() and small[1, 2].eq(50).all()
    big = enlarge(small, (32, 32))
    assert big.shape == (2, 3, 32, 32) and torch.allclose(big[0, 0], torch.full((32, 32), 200 / 127.5 - 1))


def test_a_model_without_exemplars_loads_into_one_with_them_and_computes_the_same():
    torch.manual_seed(0)
    plain = LiteUnetGenerator(decoder_channels=SMALL).eval()
    guided = LiteUnetGenerator(decoder_channels=SMALL, exemplar_side=8)
    guided.load_state_dict(plain.state_dict())  # strict; the exemplar path starts at zero
    guided.eval().set_exemplars(exemplar_keys(shapes(3)), torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8))
    art = shapes(2)
    with torch.no_grad():
        assert torch.allclose(guided(art), plain(art), atol=1e-6)
        assert torch.allclose(guided(art, torch.rand(2, 3, 64, 64) * 2 - 1), plain(art), atol=1e-6)
    with pytest.raises(RuntimeError, match="Missing key"):
        LiteUnetGenerator(decoder_channels=SMALL).load_state_dict({})  # still strict


def test_the_bank_travels_with_the_weights_at_any_size_and_bad_banks_are_refused(tmp_path):
    model = LiteUnetGenerator(decoder_channels=SMALL, exemplar_side=8)
    with pytest.raises(ValueError, match="exemplar bank is empty"):
        model(shapes(1))
    keys, thumbs = exemplar_keys(shapes(4)), torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    model.set_exemplars(keys, thumbs)
    model.half().save_pretrained(tmp_path)  # as bundled: fp16, the thumbnails stay uint8
    loaded = LiteUnetGenerator.from_pretrained(tmp_path)
    assert torch.equal(loaded.exemplar_images, thumbs) and torch.allclose(loaded.exemplar_keys, keys, atol=1e-3)
    for bad_keys, bad_images, message in (
        (keys[:, :10], thumbs, "keys \\[K, 192\\]"),
        (keys, thumbs[:, :, :4], "thumbnails \\[K, 3, 8, 8\\]"),
        (keys[:3], thumbs, "3 exemplar keys but 4 thumbnails"),
    ):
        with pytest.raises(ValueError, match=message):
            model.set_exemplars(bad_keys, bad_images)
    with pytest.raises(ValueError, match="no exemplar bank"):
        LiteUnetGenerator(decoder_channels=SMALL).set_exemplars(keys, thumbs)


def test_the_looked_up_exemplar_is_the_colour_image_of_the_most_similar_line_art():
    art = shapes(5)
    colours = torch.zeros(5, 3, 8, 8, dtype=torch.uint8)
    for index in range(5):
        colours[index, index % 3] = 40 * (index + 1)  # five different colours
    model = LiteUnetGenerator(decoder_channels=SMALL, exemplar_side=8)
    model.set_exemplars(exemplar_keys(art), colours)
    looked_up = model.look_up(art[[3, 1]])
    assert torch.allclose(looked_up, enlarge(colours[[3, 1]], (64, 64)))


def test_a_run_with_exemplars_shows_each_pair_another_pairs_colours_and_its_model_colours_sketches(tmp_path):
    from gan_demo.training.__main__ import main
    from gan_demo.training.pix2pix import Pix2PixConfig, training_exemplars

    line, colour = tmp_path / "line", tmp_path / "colour"
    line.mkdir(), colour.mkdir()
    art = ((shapes(5) + 1) * 127.5).to(torch.uint8)
    for index in range(5):
        Image.fromarray(art[index].permute(1, 2, 0).numpy()).save(line / f"e{index}.png")
        Image.new("RGB", (64, 64), (50 * index, 100, 200)).save(colour / f"e{index}.png")
    argv = ["pix2pix", "--source", str(line), "--target", str(colour), "--size", "64", "--generator", "lite0_unet"]
    argv += ["--base-channels", "2", "--batch-size", "2", "--lambda-gan", "0", "--steps", "2", "--exemplar-side", "8"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0

    sources = art
    targets = torch.stack(
        [torch.tensor([50 * i, 100, 200], dtype=torch.uint8)[:, None, None].expand(3, 64, 64) for i in range(5)]
    )
    exemplars = training_exemplars(sources, targets, side=8)
    own = exemplars.thumbnails
    assert all(not torch.equal(exemplars.neighbour_thumbnails[i], own[i]) for i in range(5))  # never its own

    entry = entry_from_run(tmp_path / "run")
    model = load_network(entry, "generator", device=CPU)
    assert len(model.exemplar_keys) == 5 and torch.equal(model.exemplar_images, own)
    framed, output = sketch_to_image(model, Image.fromarray(art[2].permute(1, 2, 0).numpy()), device=CPU, size=64)
    assert output.size == (64, 64)
    hint = np.asarray(colour_hint(model, framed, device=CPU))  # one of the bank's images, as the model sees it
    bank = [np.asarray(from_signed_unit(enlarge(own[[i]], (64, 64)))[0]) for i in range(5)]
    assert hint.shape == (64, 64, 3) and any(np.array_equal(hint, image) for image in bank)
    assert colour_hint(LiteUnetGenerator(decoder_channels=SMALL), framed, device=CPU) is None  # no bank: no hint
    with pytest.raises(ValueError, match="need the lite0_unet generator"):
        Pix2PixConfig(exemplar_side=8)

    # a fine-tune from that model on other pairs: the bank becomes the new run's pairs
    for index in range(3):
        Image.new("RGB", (64, 64), (10, 10, 10 + index)).save(colour / f"e{index}.png")
    for index in (3, 4):
        (line / f"e{index}.png").unlink()
        (colour / f"e{index}.png").unlink()
    assert main([*argv, "--init", str(tmp_path / "run"), "--out", str(tmp_path / "tuned")]) == 0
    tuned = load_network(entry_from_run(tmp_path / "tuned"), "generator", device=CPU)
    assert len(tuned.exemplar_keys) == 3 and tuned.exemplar_images[:, 0].max() == 10


def test_a_multi_process_run_with_exemplars_is_refused_before_training():
    from gan_demo.training.datasets import TrainingData
    from gan_demo.training.pix2pix import Pix2PixConfig, Pix2PixTrainer

    pairs = ((shapes(4) + 1) * 127.5).to(torch.uint8)
    share = TrainingData((pairs, pairs), {"pairs": 4, "processes": 2})
    config = Pix2PixConfig(size=64, generator="lite0_unet", base_channels=2, batch_size=2, exemplar_side=8)
    with pytest.raises(ValueError, match="every training pair in one process"):
        Pix2PixTrainer(config, share, total_steps=1, device=CPU)
