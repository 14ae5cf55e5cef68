"""Sketch → image training extras: aligned augmentation, traced sketches, SSIM and perceptual terms."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file

from gan_demo.metrics import ssim
from gan_demo.models.efficientnet_lite import EfficientNetLite0
from gan_demo.training import pix2pix
from gan_demo.training.family import train
from gan_demo.training.losses import paired_reconstruction_terms, ssim_score
from gan_demo.training.perceptual import FeatureDistance
from gan_demo.training.pix2pix import Pix2PixConfig
from gan_demo.training.sketch_augment import affine_pairs, trace_targets
from tests.test_training import CPU, make_pairs


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def disc_pair(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """A black ring on white (sketch) and the same ring filled red (target), both [1, 3, size, size] in [-1, 1]."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    radius = ((ys - size / 2 + 3) ** 2 + (xs - size / 2 - 2) ** 2).float().sqrt()
    sketch = torch.where((radius > 7) & (radius < 9), -1.0, 1.0).expand(1, 3, size, size).clone()
    target = torch.ones(1, 3, size, size)
    target[:, 1:, radius < 9] = -1.0  # red inside: R stays +1, G and B go to −1
    return sketch, target


def test_affine_pairs_move_sketch_and_target_together():
    sketch, target = disc_pair()
    moved_sketch, moved_target = affine_pairs(sketch, target, seeded(3), degrees=20, shift=0.1)
    ring_centre = (moved_sketch[0, 0] < 0).nonzero().float().mean(0)
    fill_centre = (moved_target[0, 1] < 0).nonzero().float().mean(0)
    assert not torch.equal(moved_sketch, sketch)
    assert torch.allclose(ring_centre, fill_centre, atol=0.6)  # the fill stays inside its outline


def test_affine_pairs_are_reproducible_from_the_seed_and_fill_with_white():
    sketch, target = disc_pair()
    first = affine_pairs(sketch, target, seeded(7), scale=(0.7, 0.7))
    again = affine_pairs(sketch, target, seeded(7), scale=(0.7, 0.7))
    other = affine_pairs(sketch, target, seeded(8), scale=(0.7, 0.7))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], other[0])
    assert torch.allclose(first[1][..., 0, 0], torch.ones(3))  # zoomed out: the uncovered corner is white


def test_traced_sketches_replace_the_chosen_share_with_black_lines_on_white():
    sketch, target = disc_pair(64)
    sketches = ((sketch + 1) * 127.5).to(torch.uint8).repeat(4, 1, 1, 1) // 2 + 100  # grey marks "not traced"
    targets = ((target + 1) * 127.5).to(torch.uint8).repeat(4, 1, 1, 1)
    assert torch.equal(trace_targets(sketches, targets, seeded(0), fraction=0.0), sketches)
    traced = trace_targets(sketches, targets, seeded(0), fraction=1.0)
    assert set(traced.unique().tolist()) <= {0, 255} and (traced == 0).any(dim=(1, 2, 3)).all()
    assert torch.equal(traced, trace_targets(sketches, targets, seeded(0), fraction=1.0))
    with pytest.raises(ValueError, match="between 0 and 1"):
        trace_targets(sketches, targets, seeded(0), fraction=1.5)


def test_training_ssim_agrees_with_the_benchmark_ssim_and_passes_gradients():
    a, b = torch.rand(2, 3, 24, 24, requires_grad=True), torch.rand(2, 3, 24, 24)
    score = ssim_score(a, b)
    assert torch.allclose(score.double(), ssim(a.detach(), b), atol=1e-5)
    score.sum().backward()
    assert a.grad is not None and a.grad.abs().sum() > 0
    assert torch.allclose(ssim_score(b, b), torch.ones(2), atol=1e-5)


def test_feature_distance_is_frozen_stays_in_eval_and_lets_gradients_reach_the_image():
    distance = FeatureDistance(EfficientNetLite0(), layers=("stage1",)).train()
    assert not distance.network.training
    assert all(not p.requires_grad for p in distance.parameters())
    fake = torch.zeros(1, 3, 32, 32, requires_grad=True)
    value = distance(fake, torch.ones(1, 3, 32, 32))
    value.backward()
    assert value > 0 and fake.grad.abs().sum() > 0
    assert all(p.grad is None for p in distance.parameters())
    assert distance(fake, fake.detach()) == 0


def test_paired_terms_are_named_weighted_finite_and_left_out_at_zero_weight():
    fake, target = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    distance = FeatureDistance(EfficientNetLite0(), layers=("stage1",))
    terms = paired_reconstruction_terms(fake, target, lambda_ssim=2.0, perceptual=distance, lambda_perceptual=3.0)
    assert set(terms) == {"G_SSIM", "G_perceptual"} and all(torch.isfinite(v) for v in terms.values())
    ssim_term = 1 - ssim_score((fake + 1) / 2, (target + 1) / 2).mean()
    assert torch.isclose(terms["G_SSIM"], 2.0 * ssim_term)
    assert torch.isclose(terms["G_perceptual"], 3.0 * distance(fake, target))
    assert paired_reconstruction_terms(fake, target) == {}
    with pytest.raises(ValueError, match="perceptual distance"):
        paired_reconstruction_terms(fake, target, lambda_perceptual=1.0)


def test_a_run_without_discriminator_trains_the_generator_on_augmented_pairs(tmp_path):
    source, target = make_pairs(tmp_path, size=32)
    config = Pix2PixConfig(
        size=32, num_downs=5, base_channels=4, batch_size=2, lambda_gan=0.0, lambda_ssim=10.0, affine=True
    )
    config = dataclasses.replace(config, traced_fraction=0.5, dropout=False, bf16=True)
    trainer, logs = train(pix2pix.FAMILY, config, {"source": source, "target": target}, steps=2, device=CPU)
    discriminator = [p.clone() for p in trainer.discriminator.parameters()]
    history = list(logs)
    assert set(history[-1].losses) == {"G_L1", "G_SSIM"}
    assert all(torch.equal(a, b) for a, b in zip(discriminator, trainer.discriminator.parameters(), strict=True))
    assert not any(isinstance(m, torch.nn.Dropout) for m in trainer.generator.modules())


def test_the_training_command_can_start_from_a_saved_generator(tmp_path):
    from gan_demo.training.__main__ import main

    source, target = make_pairs(tmp_path, size=32)
    common = ["pix2pix", "--source", str(source), "--target", str(target), "--size", "32", "--num-downs", "5"]
    common += ["--base-channels", "4", "--batch-size", "2", "--lambda-gan", "0", "--lambda-ssim", "5", "--steps"]
    assert main([*common, "1", "--out", str(tmp_path / "first")]) == 0
    resumed = ["--out", str(tmp_path / "second"), "--init", str(tmp_path / "first"), "--lr", "0"]  # lr 0: no change
    assert main([*common, "1", *resumed]) == 0
    first = load_file(tmp_path / "first/generator/model.safetensors")
    second = load_file(tmp_path / "second/generator/model.safetensors")
    record = json.loads((tmp_path / "second/run.json").read_text())
    assert record["config"]["lambda_ssim"] == 5 and "--init" in record["command"]
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


def test_frozen_networks_keep_their_init_weights_while_the_discriminator_warms_up(tmp_path, capsys):
    from gan_demo.training.__main__ import main

    source, target = make_pairs(tmp_path, size=32)
    common = ["pix2pix", "--source", str(source), "--target", str(target), "--size", "32", "--num-downs", "5"]
    common += ["--base-channels", "4", "--batch-size", "2", "--steps", "2"]
    assert main([*common, "--out", str(tmp_path / "first")]) == 0
    assert (
        main([*common, "--out", str(tmp_path / "warm"), "--init", str(tmp_path / "first"), "--frozen", "generator"])
        == 0
    )
    for role, same in (("generator", True), ("discriminator", False)):
        first = load_file(tmp_path / f"first/{role}/model.safetensors")
        warm = load_file(tmp_path / f"warm/{role}/model.safetensors")
        assert all(torch.equal(first[k], warm[k]) for k in first) is same, role
    for extra, message in (
        (["--init", str(tmp_path / "first"), "--frozen", "critic"], "no network critic; this family has generator, d"),
        (["--frozen", "generator"], "give --init RUN_FOLDER"),
    ):
        with pytest.raises(SystemExit) as stopped:
            main([*common, "--out", str(tmp_path / "x"), *extra])
        assert stopped.value.code == 2
        line = capsys.readouterr().err.strip()
        assert line.startswith("python -m gan_demo.training pix2pix: --frozen") and message in line and "\n" not in line


def test_the_lite0_unet_starts_from_imagenet_trains_whole_and_its_run_folder_is_a_sketch_model(tmp_path):
    from gan_demo.entries import entry_from_run
    from gan_demo.hub import load_network
    from gan_demo.models.efficientnet_lite import load_efficientnet_lite0
    from gan_demo.training.__main__ import main

    source, target = make_pairs(tmp_path, size=32)
    argv = ["pix2pix", "--source", str(source), "--target", str(target), "--size", "32", "--generator", "lite0_unet"]
    argv += ["--base-channels", "2", "--batch-size", "2", "--lambda-gan", "0", "--steps", "2", "--lr", "1e-2"]
    config = Pix2PixConfig(size=32, generator="lite0_unet", base_channels=2, batch_size=2, lambda_gan=0.0)
    generator, _ = pix2pix.build_pix2pix(config)
    imagenet = load_efficientnet_lite0("cpu").state_dict()
    assert all(torch.equal(v, imagenet[k]) for k, v in generator.encoder.state_dict().items())
    assert not any(k.startswith(("encoder._fc", "encoder._conv_head")) for k in generator.state_dict())
    assert main([*argv, "--title", "Lite sketch", "--licence", "MIT", "--out", str(tmp_path / "lite")]) == 0

    entry = entry_from_run(tmp_path / "lite")
    assert entry.task == "sketch" and entry.architecture == "lite_unet_generator"
    trained = load_network(entry, "generator", device=CPU)
    assert any(
        not torch.equal(v.float(), imagenet[k]) for k, v in trained.encoder.state_dict().items() if "weight" in k
    )
    with torch.no_grad():
        out = trained(torch.rand(1, 3, 64, 64).to(next(trained.parameters()).dtype) * 2 - 1)
    assert out.shape == (1, 3, 64, 64) and out.abs().max() <= 1
    with pytest.raises(ValueError, match="multiples of 32"):
        trained(torch.zeros(1, 3, 48, 48, dtype=out.dtype))
    with pytest.raises(ValueError, match="unknown generator 'resnet'; choose one of unet, lite0_unet"):
        Pix2PixConfig(generator="resnet")
