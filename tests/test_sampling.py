"""Unconditional generators and everything the Sample tab does with them: truncation, walks, GIFs, speed-ups."""

from __future__ import annotations

import copy
import io

import numpy as np
import pytest
import torch
from PIL import Image

from gan_demo.hub import load_network
from gan_demo.models import DCGANGenerator, FastGANDiscriminator, FastGANGenerator
from gan_demo.optimise import fold_batch_norm, prepare_for_inference
from gan_demo.tasks.sample import (
    animation_bytes,
    latent_vectors,
    render_latents,
    sample_images,
    slerp,
    walk_latents,
)
from tests.conftest import COMMIT, TINY_DCGAN, generator_entry, hub_snapshot

CPU = torch.device("cpu")
TINY_FASTGAN = {"latent_dim": 16, "image_size": 64, "base_channels": 4, "max_channels": 16}


def randomise_batch_norm(module: torch.nn.Module) -> torch.nn.Module:
    """Give every batch norm non-trivial statistics, so that folding it is really tested."""
    generator = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator))
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.randn(m.num_features, generator=generator))
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator))
    return module.eval()


@pytest.mark.parametrize("size", [64, 128])
def test_fastgan_generator_shapes_range_and_determinism(size):
    torch.manual_seed(0)
    generator = FastGANGenerator(**{**TINY_FASTGAN, "image_size": size}).eval()
    z = torch.randn(3, 16)
    images = generator(z)
    assert images.shape == (3, 3, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert torch.equal(images, generator(z))
    assert not torch.equal(images[0], images[1])
    assert set(generator.excite) == {str(r) for r in (32, 64, 128) if r <= size}  # SLE 4→32, 8→64, 16→128


def test_fastgan_discriminator_gives_a_logit_map_and_a_reconstruction():
    disc = FastGANDiscriminator(image_size=64, base_channels=4, max_channels=16)
    logits, recon = disc(torch.zeros(2, 3, 64, 64), reconstruct=True)
    assert logits.shape == (2, 25) and recon.shape == (2, 3, 32, 32)
    assert disc(torch.zeros(2, 3, 64, 64)).shape == (2, 25)


def test_fastgan_rejects_an_unsupported_size():
    with pytest.raises(ValueError, match="image_size"):
        FastGANGenerator(image_size=96)


def test_default_emoji_generator_fits_the_size_budget():
    parameters = sum(p.numel() for p in FastGANGenerator().parameters())
    assert parameters * 2 < 10 * 2**20  # fp16 bytes under 10 MB


@pytest.mark.parametrize("cls, config", [(FastGANGenerator, TINY_FASTGAN), (DCGANGenerator, TINY_DCGAN)])
def test_hub_format_round_trip(tmp_path, cls, config):
    model = randomise_batch_norm(cls(**config))
    model.save_pretrained(tmp_path / "g")
    assert {p.name for p in (tmp_path / "g").iterdir()} >= {"config.json", "model.safetensors"}
    loaded = cls.from_pretrained(tmp_path / "g").eval()
    z = torch.randn(2, config["latent_dim"])
    torch.testing.assert_close(loaded(z), model(z))


@pytest.mark.parametrize("cls, config", [(FastGANGenerator, TINY_FASTGAN), (DCGANGenerator, TINY_DCGAN)])
def test_inference_preparation_is_exact(cls, config):
    model = randomise_batch_norm(cls(**config))
    prepared = prepare_for_inference(copy.deepcopy(model), channels_last=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in prepared.modules())
    z = torch.randn(4, config["latent_dim"])
    torch.testing.assert_close(prepared(z), model(z), atol=1e-5, rtol=1e-4)


def test_batch_norm_in_training_mode_is_not_folded():
    model = DCGANGenerator(**TINY_DCGAN).train()
    assert fold_batch_norm(model) == 0


def test_truncation_bounds_every_component_and_keeps_images_per_seed():
    z = latent_vectors(64, 8, seed=5, truncation=0.5)
    assert z.abs().max() <= 0.5
    assert torch.equal(latent_vectors(64, 3, seed=5, truncation=0.5), z[:3])  # image i does not depend on n
    assert torch.equal(latent_vectors(64, 1, seed=5), latent_vectors(64, 4, seed=5)[:1])
    with pytest.raises(ValueError, match="positive"):
        latent_vectors(8, 1, seed=0, truncation=0.0)


def test_slerp_keeps_the_norm_of_equal_norm_vectors_and_hits_both_ends():
    a, b = torch.randn(128), torch.randn(128)
    b = b / b.norm() * a.norm()
    path = slerp(a, b, torch.linspace(0, 1, 9))
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path.norm(dim=1), torch.full((9,), float(a.norm())))
    straight = (a + b) / 2
    assert straight.norm() < path[4].norm()  # the straight line dips towards the origin


def test_a_walk_starts_and_ends_at_the_first_image_of_each_seed():
    generator = DCGANGenerator(**TINY_DCGAN).eval()
    z = walk_latents(8, 3, 4, frames=5)
    assert z.shape == (5, 8)
    frames = render_latents(generator, z, device=CPU)
    first = sample_images(generator, n=2, seed=3, device=CPU)[0]
    last = sample_images(generator, n=1, seed=4, device=CPU)[0]
    assert np.array_equal(np.asarray(frames[0]), np.asarray(first))
    assert np.array_equal(np.asarray(frames[-1]), np.asarray(last))
    linear = walk_latents(8, 3, 4, frames=5, interpolation="linear")
    assert torch.allclose(linear[2], (linear[0] + linear[-1]) / 2, atol=1e-6)
    with pytest.raises(ValueError, match="frames"):
        walk_latents(8, 3, 4, frames=1)
    with pytest.raises(ValueError, match="interpolation"):
        walk_latents(8, 3, 4, frames=3, interpolation="cubic")


def test_animation_is_a_looping_gif_that_plays_forward_and_back():
    frames = [Image.new("RGB", (16, 16), (40 * i, 0, 0)) for i in range(5)]
    gif = Image.open(io.BytesIO(animation_bytes(frames, fps=10)))
    assert gif.format == "GIF" and gif.n_frames == 8 and gif.info["loop"] == 0
    assert gif.info["duration"] == 100
    with pytest.raises(ValueError):
        animation_bytes([])


def test_huggan_dcgan_checkpoint_loads_from_a_prefilled_hub_cache(hub_cache):
    """The HugGAN sprint layout (`model.N`), as `huggan/dcgan-mnist` stores it, loads strictly offline."""
    model = randomise_batch_norm(DCGANGenerator(**TINY_DCGAN))
    state = {key.replace("main.", "model.", 1): value for key, value in model.state_dict().items()}
    torch.save(state, hub_snapshot(hub_cache, "someone/dcgan") / "pytorch_model.bin")
    entry = generator_entry(
        "dcgan_generator",
        "sample",
        config=TINY_DCGAN,
        hub_repo="someone/dcgan",
        hub_file="pytorch_model.bin",
        hub_revision=COMMIT,
        layout="huggan_dcgan",
    )
    loaded = load_network(entry, "generator", device=CPU)
    z = torch.randn(2, 8)
    torch.testing.assert_close(loaded(z), model(z))
