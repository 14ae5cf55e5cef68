"""Architectures: shapes, ranges, receptive field, and the foreign layouts they must load."""

from __future__ import annotations

import pytest
import torch

from gan_demo.hub import WeightsInvalid, load_network
from gan_demo.models import ARCHITECTURES, DCGANDiscriminator, DCGANGenerator, PatchDiscriminator, build_module
from gan_demo.models.resnet import ResnetGenerator
from tests.conftest import TINY_RESNET, l1_before_and_after_fitting, tiny_entry


def test_dcgan_generator_makes_64px_images_in_signed_unit_range():
    generator = DCGANGenerator(latent_dim=8, base_channels=4).eval()
    images = generator(torch.randn(3, 8))
    assert images.shape == (3, 3, 64, 64)
    assert images.min() >= -1 and images.max() <= 1


def test_dcgan_discriminator_gives_one_logit_per_image():
    assert DCGANDiscriminator(base_channels=4)(torch.zeros(5, 3, 64, 64)).shape == (5,)


@pytest.mark.parametrize("size", [(32, 32), (36, 52), (64, 20)])
@pytest.mark.parametrize("norm", ["instance", "instance_affine", "batch"])
def test_resnet_generator_keeps_the_shape(size, norm):
    generator = ResnetGenerator(base_channels=4, n_blocks=2, norm=norm).eval()
    assert generator(torch.zeros(1, 3, *size)).shape == (1, 3, *size)


def test_resnet_generator_with_dropout_has_the_reference_layout():
    keys = ResnetGenerator(base_channels=4, n_blocks=1, dropout=True).state_dict()
    assert "model.10.conv_block.6.weight" in keys  # Dropout shifts the second conv from 5 to 6


def test_patch_discriminator_sees_70x70_patches():
    disc = PatchDiscriminator(base_channels=2, norm="batch").eval()  # instance norm would mix globally
    image = torch.zeros(1, 3, 256, 256, requires_grad=True)
    logits = disc(image)
    assert logits.shape == (1, 1, 30, 30)
    logits[0, 0, 15, 15].backward()
    rows = image.grad.abs().sum(dim=(0, 1, 3)).nonzero()
    assert rows.max() - rows.min() + 1 == 70


def test_unknown_architecture_names_the_choices():
    with pytest.raises(ValueError, match="resnet_generator"):
        build_module("resnet_999", {})
    with pytest.raises(ValueError, match="bad config"):
        build_module("resnet_generator", {"blocks": 3})
    assert set(ARCHITECTURES) >= {"dcgan_generator", "resnet_generator", "patch_discriminator"}


def _reference(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.clone() for key, value in model.state_dict().items()}


def test_junyanz_reference_layout_loads_strictly(tmp_path):
    """A `latest_net_G.pth` as the reference project writes it, including pre-0.4 InstanceNorm buffers."""
    source = ResnetGenerator(**TINY_RESNET)
    state = {f"module.{key}": value for key, value in _reference(source).items()}
    state["module.model.2.running_mean"] = torch.zeros(4)  # old files carry these; modern IN has none
    state["module.model.2.running_var"] = torch.ones(4)
    torch.save(state, tmp_path / "latest_net_G.pth")
    entry = tiny_entry(layout="junyanz")
    loaded = load_network(entry, "a2b", device=torch.device("cpu"), explicit=tmp_path / "latest_net_G.pth")
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(loaded(x), source.eval()(x))


def test_vintagify_layout_loads_strictly(tmp_path):
    source = ResnetGenerator(**{**TINY_RESNET, "norm": "instance_affine"})
    state = {key.replace(".conv_block.", ".block."): value for key, value in _reference(source).items()}
    torch.save(state, tmp_path / "G.pth")
    entry = tiny_entry(layout="vintagify")
    entry = type(entry)(**{**entry.__dict__, "config": {**TINY_RESNET, "norm": "instance_affine"}})
    loaded = load_network(entry, "a2b", device=torch.device("cpu"), explicit=tmp_path / "G.pth")
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(loaded(x), source.eval()(x))


def test_dcgan_tutorial_checkpoint_with_wrapper_key_loads(tmp_path):
    source = DCGANGenerator(latent_dim=8, base_channels=4)
    torch.save({"netG_state_dict": _reference(source), "epoch": 3}, tmp_path / "weights.tar")
    entry = tiny_entry(task="sample", layout="dcgan_tutorial", wrapper_key="netG_state_dict")
    loaded = load_network(entry, "generator", device=torch.device("cpu"), explicit=tmp_path / "weights.tar")
    z = torch.randn(2, 8)
    torch.testing.assert_close(loaded(z), source.eval()(z))


def test_a_mismatched_layout_is_reported_not_half_loaded(tmp_path):
    state = _reference(ResnetGenerator(**TINY_RESNET))
    state = {key.replace(".conv_block.", ".block."): value for key, value in state.items()}
    torch.save(state, tmp_path / "G.pth")
    with pytest.raises(WeightsInvalid, match="Missing key"):
        load_network(tiny_entry(layout="junyanz"), "a2b", device=torch.device("cpu"), explicit=tmp_path / "G.pth")


def test_resize_convolution_decoder_has_the_same_size_and_no_transposed_convolutions():
    transpose = ResnetGenerator(base_channels=4, n_blocks=1)
    resize = ResnetGenerator(base_channels=4, n_blocks=1, upsample="resize").eval()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(transpose) == count(resize)
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in resize.modules())
    assert resize(torch.zeros(1, 3, 20, 36)).shape == (1, 3, 20, 36)
    with pytest.raises(ValueError, match="upsample"):
        ResnetGenerator(upsample="pixelshuffle")


def test_residual_generator_starts_as_the_identity_and_learns_a_change():
    generator = ResnetGenerator(base_channels=4, n_blocks=1, upsample="resize", residual=True)
    image = torch.rand(2, 3, 12, 20) * 2 - 1
    assert torch.equal(generator(image), image)  # zero-initialised head: untrained, it changes nothing
    before, after = l1_before_and_after_fitting(generator, image, image.flip(-1), steps=5)
    assert after < before  # the gradient reaches past the zero head
    out = generator(image)
    assert out.min() >= -1 and out.max() <= 1
    assert not any(isinstance(m, torch.nn.Tanh) for m in generator.modules())
    with pytest.raises(ValueError, match="residual"):
        ResnetGenerator(out_channels=1, residual=True)
