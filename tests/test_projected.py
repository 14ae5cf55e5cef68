"""The Projected GAN discriminator: its shapes, its frozen feature network, and a tiny training run with it."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from gan_demo.models.projected import ProjectedDiscriminator
from gan_demo.training import gan
from gan_demo.training.family import train
from gan_demo.training.gan import GANConfig

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def disc() -> ProjectedDiscriminator:
    return ProjectedDiscriminator(projection_channels=8, base_channels=8, max_channels=16, pretrained=False)


def test_each_feature_scale_gives_a_4x4_map_of_logits(disc: ProjectedDiscriminator) -> None:
    images = torch.rand(2, 3, 64, 64) * 2 - 1  # resized to the feature size (128) inside
    features = disc.project(images)
    assert [tuple(f.shape[1:]) for f in features] == [(8, 32, 32), (16, 16, 16), (32, 8, 8), (64, 4, 4)]
    assert disc(images).shape == (2, 4 * 16)


def test_training_mode_and_gradients_never_reach_the_feature_network(disc: ProjectedDiscriminator) -> None:
    disc.train().requires_grad_(True)
    frozen = list(disc.projector.parameters())
    statistics = disc.projector.network._bn0.running_mean.clone()
    images = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_(True)
    disc(images).mean().backward()
    assert not disc.projector.training and not disc.projector.network.training
    assert all(not p.requires_grad and p.grad is None for p in frozen)
    assert all(p.grad is not None for p in disc.heads.parameters())
    assert images.grad is not None and images.grad.abs().sum() > 0  # G learns through the frozen features
    torch.testing.assert_close(disc.projector.network._bn0.running_mean, statistics, rtol=0, atol=0)


def test_same_seed_same_random_projections_and_another_seed_others() -> None:
    def projection(seed: int) -> torch.Tensor:
        d = ProjectedDiscriminator(projection_channels=8, base_channels=8, pretrained=False, projection_seed=seed)
        return d.projector.channel_mix[0].weight

    assert torch.equal(projection(3), projection(3)) and not torch.equal(projection(3), projection(4))


def test_feature_size_must_divide_into_the_four_scales() -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        ProjectedDiscriminator(feature_size=100, pretrained=False)


def _squares(folder, colour, box) -> object:
    """Four 64 px images in `folder`: a square `box` of colour(index) on white."""
    folder.mkdir()
    for index in range(4):
        image = Image.new("RGB", (64, 64), "white")
        image.paste(colour(index), box)
        image.save(folder / f"e{index}.png")
    return folder


def test_a_tiny_run_with_the_projected_discriminator_trains_only_its_heads_and_the_generator(tmp_path) -> None:
    folder = _squares(tmp_path / "emoji", lambda index: (200, 60 * index, 30), (16, 16, 48, 48))
    config = GANConfig(latent_dim=8, base_channels=2, disc_channels=4, batch_size=2, ema=0.9, discriminator="projected")
    trainer, logs = train(gan.FAMILY, config, {"images": folder}, steps=2, device=CPU)
    features = {k: v.clone() for k, v in trainer.discriminator.projector.state_dict().items()}
    heads = {k: v.clone() for k, v in trainer.discriminator.heads.state_dict().items()}
    generator = {k: v.clone() for k, v in trainer.generator.state_dict().items()}
    history = list(logs)
    assert set(history[-1].losses) == {"G_gan", "D_real", "D_fake"}
    assert all(torch.isfinite(torch.tensor(v)) for log in history for v in log.losses.values())
    assert all(torch.equal(v, trainer.discriminator.projector.state_dict()[k]) for k, v in features.items())
    assert any(not torch.equal(v, trainer.discriminator.heads.state_dict()[k]) for k, v in heads.items())
    assert any(not torch.equal(v, trainer.generator.state_dict()[k]) for k, v in generator.items())


def test_own_plus_projected_trains_both_discriminators_and_a_fine_tune_starts_the_own_one_warm(tmp_path) -> None:
    folder = _squares(tmp_path / "emoji", lambda index: (30, 60 * index, 200), (8, 8, 40, 40))
    base = dict(latent_dim=8, base_channels=2, disc_channels=4, batch_size=2, ema=0.9)
    single, _ = train(gan.FAMILY, GANConfig(**base), {"images": folder}, steps=1, device=CPU)
    single.discriminator.requires_grad_(False)
    warm = tmp_path / "warm"
    single.discriminator.save_pretrained(warm / "discriminator")

    config = GANConfig(**base, discriminator="own+projected", projected_weight=0.5)
    trainer, logs = train(gan.FAMILY, config, {"images": folder}, steps=2, device=CPU)
    assert set(trainer.networks()) == {"generator", "discriminator", "discriminator_projected"}
    assert not isinstance(trainer.discriminator, type(trainer.projected))
    trainer.load_networks(warm)  # a run folder without the projected D: the own D starts warm, the heads fresh
    torch.testing.assert_close(trainer.discriminator.state_dict(), single.discriminator.state_dict())
    own = {k: v.clone() for k, v in trainer.discriminator.state_dict().items()}
    heads = {k: v.clone() for k, v in trainer.projected.heads.state_dict().items()}
    history = list(logs)
    assert set(history[-1].losses) == {"G_gan", "G_projected", "D_real", "D_fake", "D_recon", "P_real", "P_fake"}
    assert all(torch.isfinite(torch.tensor(v)) for log in history for v in log.losses.values())
    assert any(not torch.equal(v, trainer.discriminator.state_dict()[k]) for k, v in own.items())
    assert any(not torch.equal(v, trainer.projected.heads.state_dict()[k]) for k, v in heads.items())
    assert set(trainer.training_state()["objects"]) >= {"discriminator", "projected", "opt_d", "opt_p"}


def test_gan_config_names_the_discriminators_it_knows() -> None:
    with pytest.raises(ValueError, match="own, projected, own\\+projected"):
        GANConfig(discriminator="stylegan")
