"""Standard GAN quality metrics over image features, plus the one helper that turns images into features.

- FID: Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter, "GANs Trained by a Two Time-Scale Update Rule
  Converge to a Local Nash Equilibrium", NeurIPS 2017.
- KID: Bińkowski, Sutherland, Arbel & Gretton, "Demystifying MMD GANs", ICLR 2018.
- Precision and recall: Kynkäänniemi, Karras, Laine, Lehtinen & Aila, "Improved Precision and Recall Metric for
  Assessing Generative Models", NeurIPS 2019.
- Sliced Wasserstein distance on Laplacian-pyramid patches: Karras, Aila, Laine & Lehtinen, "Progressive
  Growing of GANs for Improved Quality, Stability, and Variation", ICLR 2018 (appendix D). Feature-free: it
  compares pixel neighbourhoods, so it cannot be flattered by a model trained against the feature network.

The features are the 1280-d pooled penultimate activations of EfficientNet-Lite0 (ImageNet), not the 2048-d
pool3 features of Inception-v3: the numbers compare runs of this project with each other, and are NOT
comparable to published, Inception-based FID / KID / precision / recall figures.

The metric functions are pure: [N, D] feature arrays (NumPy or torch) in, plain floats out, all in float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from gan_demo.models.efficientnet_lite import EfficientNetLite0
from gan_demo.tensors import to_unit

Features = np.ndarray | torch.Tensor
CHUNK = 1024  # rows per block of pairwise distances: bounds memory at CHUNK × N float64s


def to_unit_batch(images: Sequence[Image.Image], *, size: int, device: torch.device | str) -> torch.Tensor:
    """PIL images of any size and mode → [N, 3, size, size] RGB in [0, 1] (bilinear, antialiased, unpadded)."""
    tensors = []
    for image in images:
        tensor = to_unit(image, device)
        tensors.append(F.interpolate(tensor, size=(size, size), mode="bilinear", antialias=True, align_corners=False))
    return torch.cat(tensors).clamp(0.0, 1.0)  # antialiased bilinear can overshoot slightly


@torch.inference_mode()
def extract_features(
    images: Sequence[Image.Image],
    network: EfficientNetLite0,
    *,
    device: torch.device | str,
    size: int = 224,  # EfficientNet-Lite0's training resolution
    batch_size: int = 32,
) -> torch.Tensor:
    """Images → EfficientNet-Lite0 pooled features [N, 1280], float32 on the CPU, in the order given."""
    if not images:
        raise ValueError("no images to extract features from")
    chunks = [
        network.features(to_unit_batch(images[start : start + batch_size], size=size, device=device)).float().cpu()
        for start in range(0, len(images), batch_size)
    ]
    return torch.cat(chunks)


def kid(
    real: Features,
    fake: Features,
    *,
    subsets: int = 100,  # random subset pairs averaged over
    subset_size: int = 1000,  # samples per subset, capped at the smaller set
    seed: int = 0,  # picks the subsets: same seed, same result
) -> tuple[float, float]:
    """Kernel Inception Distance on EfficientNet-Lite0 features (not comparable to Inception-based KID).

    The unbiased MMD² estimate with the kernel k(x, y) = (xᵀy / d + 1)³, averaged over random subsets
    drawn without replacement. Returns (mean, standard deviation) over the subsets; ≈ 0 when both sets
    come from one distribution (it can be slightly negative).
    """
    x, y = _pair(real, fake)
    m = min(subset_size, len(x), len(y))
    if subsets < 1:
        raise ValueError(f"subsets must be at least 1, got {subsets}")
    rng = np.random.default_rng(seed)
    estimates = [
        _mmd2_unbiased(x[rng.choice(len(x), m, replace=False)], y[rng.choice(len(y), m, replace=False)])
        for _ in range(subsets)
    ]
    return float(np.mean(estimates)), float(np.std(estimates))


def _polynomial_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """k(a, b) = (aᵀb / d + 1)³, the KID paper's default (cubed by products: NumPy's ** 3 is ~20× slower)."""
    base = a @ b.T / a.shape[1] + 1.0
    return base * base * base


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Equal-sized samples; the diagonals of k(x, x) and k(y, y) are left out, which removes the bias."""
    m = len(x)
    k_xx, k_yy = _polynomial_kernel(x, x), _polynomial_kernel(y, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * _polynomial_kernel(x, y).mean())


def fid(real: Features, fake: Features) -> float:
    """Fréchet distance between Gaussians fitted to EfficientNet-Lite0 features (not Inception-based FID).

    ‖μ_r - μ_f‖² + tr(Σ_r + Σ_f - 2 (Σ_r Σ_f)^½); 0 for identical sets. Use thousands of samples: with
    fewer samples than feature dimensions (1280) the covariances are singular and FID is biased upwards.
    """
    x, y = _pair(real, fake)
    mean_gap = x.mean(axis=0) - y.mean(axis=0)
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    distance = mean_gap @ mean_gap + np.trace(cov_x) + np.trace(cov_y) - 2.0 * _trace_sqrt_product(cov_x, cov_y)
    return float(max(distance, 0.0))  # rounding can dip a hair below zero


def _trace_sqrt_product(a: np.ndarray, b: np.ndarray) -> float:
    """tr (A B)^½ for symmetric PSD A, B, as tr (A^½ B A^½)^½: a symmetric matrix, so eigh suffices (no scipy)."""
    root_a = _psd_sqrt(a)
    inner = root_a @ b @ root_a
    eigenvalues = np.linalg.eigvalsh((inner + inner.T) / 2.0)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    eigenvalues, eigenvectors = np.linalg.eigh(a)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def precision_recall(real: Features, fake: Features, *, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall on EfficientNet-Lite0 features (not comparable to the Inception-based figures).

    Each set's manifold is the union of balls reaching every sample's k-th nearest neighbour in that set.
    Precision: the share of fake samples inside the real manifold (fidelity). Recall: the share of real
    samples inside the fake manifold (coverage). Both in [0, 1]; (1, 1) for identical sets.
    """
    x, y = _pair(real, fake)
    if not 1 <= k < min(len(x), len(y)):
        raise ValueError(f"k must be in [1, {min(len(x), len(y)) - 1}] for {len(x)} real and {len(y)} fake samples")
    precision = _share_inside(y, centres=x, radii=_knn_radii(x, k))
    recall = _share_inside(x, centres=y, radii=_knn_radii(y, k))
    return precision, recall


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


def _knn_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Squared distance from every point to its k-th nearest other point."""
    radii = []
    for start in range(0, len(points), CHUNK):
        block = _squared_distances(points[start : start + CHUNK], points)
        rows = np.arange(len(block))
        block[rows, start + rows] = np.inf  # a point is not its own neighbour
        radii.append(np.partition(block, k - 1, axis=1)[:, k - 1])
    return np.concatenate(radii)


def _share_inside(queries: np.ndarray, *, centres: np.ndarray, radii: np.ndarray) -> float:
    inside = [
        (_squared_distances(queries[start : start + CHUNK], centres) <= radii[None, :]).any(axis=1)
        for start in range(0, len(queries), CHUNK)
    ]
    return float(np.concatenate(inside).mean())


def _pair(real: Features, fake: Features) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_features(real, "real"), _as_features(fake, "fake")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"real and fake features differ in width: {x.shape[1]} vs {y.shape[1]}")
    return x, y


def _as_features(values: Features, name: str) -> np.ndarray:
    """[N, D] NumPy array or tensor → float64 array; at least two finite rows."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or len(array) < 2:
        raise ValueError(f"{name} features must be [N, D] with N ≥ 2, got shape {tuple(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} features contain NaN or infinite values")
    return array


def _gaussian_band(length: int, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """[length − size + 1, length] float64: row i holds the normalised 1-D Gaussian at columns i … i + size − 1.

    `band @ x` is a valid-region 1-D Gaussian blur along x's second-to-last axis; the 2-D window is the
    outer product of two of these, so `rows @ x @ cols.T` is the 11×11 blur as two small matrix products
    (a float64 grouped convolution is some 30× slower on a CPU, for the same numbers).
    """
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    band = torch.zeros(length - size + 1, length, dtype=torch.float64)
    for row in range(band.shape[0]):
        band[row, row : row + size] = kernel
    return band


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) per image, channels averaged.

    a, b: [N, C, H, W] in [0, 1]; 11×11 Gaussian window (σ = 1.5), K1 = 0.01, K2 = 0.03, valid region only.
    Returns [N] in [-1, 1] (1 = identical).
    """
    if a.shape != b.shape or a.dim() != 4:
        raise ValueError(f"ssim needs two [N, C, H, W] tensors of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if min(a.shape[-2:]) < 11:
        raise ValueError(f"ssim needs images of at least 11×11 px (its window), got {tuple(a.shape[-2:])}")
    a, b = a.double(), b.double()
    rows = _gaussian_band(a.shape[-2]).to(a.device)
    cols = _gaussian_band(a.shape[-1]).to(a.device).T

    def blur(x: torch.Tensor) -> torch.Tensor:
        return rows @ x @ cols

    c1, c2 = 0.01**2, 0.03**2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    score = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return score.mean(dim=(1, 2, 3))


def _binomial_blur(images: torch.Tensor) -> torch.Tensor:
    """5×5 binomial low-pass ([1, 4, 6, 4, 1] / 16, outer product), per channel, edges reflected."""
    taps = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=images.dtype, device=images.device) / 16.0
    channels = images.shape[1]
    kernel = (taps[:, None] * taps[None, :]).expand(channels, 1, 5, 5)
    return F.conv2d(F.pad(images, [2, 2, 2, 2], mode="reflect"), kernel, groups=channels)


def laplacian_pyramid(images: torch.Tensor, *, levels: int) -> list[torch.Tensor]:
    """[N, C, H, W] → `levels` band-pass images, finest first (H, H/2, …); the last is the low-pass rest.

    Collapsing it gives the input back: upsample the rest (nearest, then the same blur), add the next finer band.
    """
    bands, current = [], images
    for _ in range(levels - 1):
        smaller = _binomial_blur(current)[..., ::2, ::2]
        bands.append(current - _binomial_blur(F.interpolate(smaller, size=current.shape[-2:], mode="nearest")))
        current = smaller
    return [*bands, current]


def _patch_descriptors(band: torch.Tensor, *, per_image: int, side: int, generator: torch.Generator) -> torch.Tensor:
    """`per_image` random side×side patches of every image → [N · per_image, C · side²], normalised per channel."""
    n, c, h, w = band.shape
    top = torch.randint(0, h - side + 1, (n, per_image), generator=generator)
    left = torch.randint(0, w - side + 1, (n, per_image), generator=generator)
    offsets = torch.arange(side)
    rows = (top[..., None, None] + offsets[:, None]).expand(n, per_image, side, side)
    cols = (left[..., None, None] + offsets[None, :]).expand(n, per_image, side, side)
    index = (rows * w + cols).reshape(n, 1, -1).expand(n, c, -1)
    patches = band.flatten(2).gather(2, index).reshape(n, c, per_image, side * side)
    mean = patches.mean(dim=(0, 2, 3), keepdim=True)
    std = patches.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-8)
    return ((patches - mean) / std).permute(0, 2, 1, 3).reshape(n * per_image, c * side * side)


def sliced_wasserstein(
    a: torch.Tensor, b: torch.Tensor, *, directions: int, points: int, generator: torch.Generator
) -> float:
    """Mean 1-D Wasserstein-1 distance between the point sets [Na, D] and [Nb, D] along random unit directions.

    Both sets are subsampled to one size (at most `points`), so the sorted projections pair up one to one.
    NumPy sorts: about 4× faster than torch.sort on a CPU.
    """
    n = min(len(a), len(b), points)
    a = a[torch.randperm(len(a), generator=generator)[:n]]
    b = b[torch.randperm(len(b), generator=generator)[:n]]
    unit = torch.randn(a.shape[1], directions, generator=generator, dtype=a.dtype)
    unit = unit / unit.norm(dim=0, keepdim=True)
    projected_a, projected_b = (np.sort((unit.T @ x.T).numpy(), axis=1) for x in (a, b))
    return float(np.abs(projected_a - projected_b).mean())


def swd(
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    levels: int = 4,  # pyramid levels: 128 px images → 128, 64, 32, 16
    patches_per_image: int = 128,  # ProGAN's choice
    patch_size: int = 7,
    directions: int = 512,  # per repeat
    repeats: int = 4,
    points: int = 8192,  # patches per set and repeat (ProGAN: all 2²¹; sorting is the cost)
    seed: int = 0,
) -> list[float]:
    """ProGAN's sliced Wasserstein distance ×10³ per Laplacian-pyramid level, finest first (lower is better).

    real, fake: [N, 3, H, W] in [0, 1], any N. Each level's 7×7 patches are normalised per colour channel
    within each set, then compared along `directions` × `repeats` random directions. ≈ 0 for two samples
    of one distribution; the finest level measures sharpness and texture, the coarsest colour and layout.
    """
    generator = torch.Generator().manual_seed(seed)
    result = []
    pyramids = [laplacian_pyramid(images.float(), levels=levels) for images in (real, fake)]
    for real_band, fake_band in zip(*pyramids, strict=True):
        a, b = (
            _patch_descriptors(band, per_image=patches_per_image, side=patch_size, generator=generator)
            for band in (real_band, fake_band)
        )
        distances = [
            sliced_wasserstein(a, b, directions=directions, points=points, generator=generator) for _ in range(repeats)
        ]
        result.append(1e3 * float(np.mean(distances)))
    return result
