"""Inference tasks: reproducible sampling, size-preserving translation."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from PIL import Image

from gan_demo.models import DCGANGenerator, ResnetGenerator
from gan_demo.tasks import latent_vectors, sample_images, translate_image
from gan_demo.tasks.translate import cycle_reconstruction, pad_to_multiple
from tests.conftest import TINY_DCGAN, TINY_RESNET

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def generator():
    torch.manual_seed(0)
    return DCGANGenerator(**TINY_DCGAN).eval()


def pixels(images):
    return np.stack([np.asarray(image) for image in images])


def test_same_seed_same_images(generator):
    a = sample_images(generator, n=5, seed=123, device=CPU)
    torch.manual_seed(999)  # the global RNG must not matter
    b = sample_images(generator, n=5, seed=123, device=CPU, batch_size=2)
    assert np.array_equal(pixels(a), pixels(b))


def test_different_seeds_differ(generator):
    assert not np.array_equal(
        pixels(sample_images(generator, n=2, seed=1, device=CPU)),
        pixels(sample_images(generator, n=2, seed=2, device=CPU)),
    )


def test_latents_do_not_touch_the_global_rng():
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    latent_vectors(10, 4, seed=77)
    assert torch.equal(torch.rand(1), expected)


def test_samples_are_rgb_at_the_requested_size(generator):
    images = sample_images(generator, n=3, seed=0, device=CPU, output_size=128)
    assert [image.size for image in images] == [(128, 128)] * 3 and images[0].mode == "RGB"


def test_progress_is_reported(generator):
    seen = []
    sample_images(generator, n=5, seed=0, device=CPU, batch_size=2, on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


@pytest.mark.parametrize(("n", "scale"), [(0, 1.0), (65, 1.0), (4, 0.0), (4, 3.0)])
def test_out_of_range_requests_are_refused(generator, n, scale):
    with pytest.raises(ValueError):
        sample_images(generator, n=n, seed=0, device=CPU, latent_scale=scale)


@pytest.fixture(scope="module")
def translator():
    torch.manual_seed(0)
    return ResnetGenerator(**TINY_RESNET).eval()


@pytest.mark.parametrize("size", [(37, 53), (64, 64), (8, 9), (101, 30)])
def test_translation_keeps_odd_sizes(translator, size):
    image = Image.effect_noise(size, 40).convert("RGB")
    assert translate_image(translator, image, device=CPU, max_side=None).size == size


def test_translation_downscales_to_max_side_keeping_aspect(translator):
    image = Image.new("RGB", (400, 200), (10, 200, 30))
    assert translate_image(translator, image, device=CPU, max_side=100).size == (100, 50)


def test_translation_is_deterministic(translator):
    image = Image.effect_noise((40, 40), 60).convert("RGB")
    a = translate_image(translator, image, device=CPU)
    b = translate_image(translator, image, device=CPU)
    assert np.array_equal(np.asarray(a), np.asarray(b))


def test_padding_reflects_and_falls_back_for_tiny_inputs():
    padded, original = pad_to_multiple(torch.arange(6.0).reshape(1, 1, 2, 3), 4, min_side=1)
    assert padded.shape == (1, 1, 4, 4) and original == (2, 3)
    assert padded[0, 0, 0, 3] == 2.0  # replicate: the pad (2 rows) is not smaller than the side (2)
    padded, _ = pad_to_multiple(torch.arange(25.0).reshape(1, 1, 5, 5), 4, min_side=1)
    assert padded[0, 0, 0, 5] == 3.0  # reflect: x[.., 5] mirrors x[.., 3]


def test_thin_inputs_are_padded_to_the_networks_minimum_side():
    padded, original = pad_to_multiple(torch.zeros(1, 3, 1, 512), 4)
    assert padded.shape == (1, 3, 32, 512) and original == (1, 512)
    padded, _ = pad_to_multiple(torch.zeros(1, 3, 33, 40), 4)
    assert padded.shape == (1, 3, 36, 40)


def test_bad_max_side_is_refused(translator):
    with pytest.raises(ValueError, match="max side"):
        translate_image(translator, Image.new("RGB", (20, 20)), device=CPU, max_side=5)


def test_cycle_reconstruction_of_identity_maps_has_zero_error():
    class Same(torch.nn.Module):
        def forward(self, x):
            return x

    image = Image.effect_noise((30, 22), 50).convert("RGB")
    translated, back, error = cycle_reconstruction(Same(), Same(), image, device=CPU, max_side=None)
    assert error < 1 / 255 and back.size == translated.size == (30, 22)


def test_cycle_reconstruction_error_grows_when_the_way_back_is_wrong(translator):
    image = Image.effect_noise((32, 32), 50).convert("RGB")
    *_, error = cycle_reconstruction(translator, translator, image, device=CPU, max_side=None)
    assert error > 0.05


@pytest.mark.slow
def test_compiled_generator_gives_the_same_images(translator):
    """Opt-in torch.compile path (about 30 s of compilation on 2 cores: run with -m slow)."""
    from gan_demo.optimise import prepare_for_inference

    compiled = prepare_for_inference(translator, compile=True)
    image = Image.effect_noise((36, 28), 50).convert("RGB")
    a = np.asarray(translate_image(compiled, image, device=CPU), dtype=int)
    b = np.asarray(translate_image(translator, image, device=CPU), dtype=int)
    assert np.abs(a - b).max() <= 1


def test_work_side_runs_small_and_returns_the_full_size(translator):
    seen = []

    class Spy(torch.nn.Module):
        size_multiple = 4

        def forward(self, x):
            seen.append(tuple(x.shape[-2:]))
            return translator(x)

    result = translate_image(
        Spy(), Image.new("RGB", (200, 100), (30, 90, 200)), device=CPU, max_side=None, work_side=64
    )
    assert result.size == (200, 100) and seen == [(32, 64)]


def test_bf16_autocast_runs_the_convolutions_in_bf16_and_stays_close_to_fp32(translator):
    from gan_demo.optimise import BFloat16Autocast, prepare_for_inference

    seen = []
    conv = next(m for m in translator.modules() if isinstance(m, torch.nn.Conv2d))
    handle = conv.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    fast = prepare_for_inference(copy.deepcopy(translator), bf16=True)
    handle.remove()
    assert isinstance(fast, BFloat16Autocast) and fast.size_multiple == translator.size_multiple
    image = Image.effect_noise((36, 28), 50).convert("RGB")
    a = np.asarray(translate_image(fast, image, device=CPU), dtype=int)
    b = np.asarray(translate_image(translator, image, device=CPU), dtype=int)
    assert torch.bfloat16 in seen  # the hook was copied with the network: its convolutions ran in bf16
    assert a.shape == b.shape and np.abs(a - b).mean() < 2 and np.abs(a - b).max() <= 16


def test_precision_auto_means_bf16_only_on_a_cpu_that_has_it(monkeypatch):
    from gan_demo import optimise

    monkeypatch.setattr(optimise, "cpu_has_native_bf16", lambda: True)
    assert optimise.resolve_precision("auto", torch.device("cpu")) == "bf16"
    assert optimise.resolve_precision("auto", torch.device("cuda")) == "fp32"
    assert optimise.resolve_precision("fp32", torch.device("cpu")) == "fp32"
    monkeypatch.setattr(optimise, "cpu_has_native_bf16", lambda: False)
    assert optimise.resolve_precision("auto", torch.device("cpu")) == "fp32"
    assert optimise.resolve_precision("bf16", torch.device("cpu")) == "bf16"  # asked for: emulated, but honoured
    with pytest.raises(ValueError, match="precision"):
        optimise.resolve_precision("fp8", torch.device("cpu"))
