"""Loss terms of the GAN families, each named and weighted where it is defined.

Every function returns a dict of already-weighted scalar terms; a training step sums a dict and logs
its items. Names follow the papers: G maps A → B, F maps B → A (CycleGAN), D judges real vs fake.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

GAN_MODES = ("bce", "lsgan", "wgan", "hinge")
Terms = dict[str, torch.Tensor]


def adversarial(logits: torch.Tensor, *, target_real: bool, mode: str, for_generator: bool = False) -> torch.Tensor:
    """How far D's logits are from saying "real" (target_real) or "fake".

    bce:   the original minimax loss in its non-saturating form (Goodfellow et al. 2014);
    lsgan: least squares on the raw outputs, real → 1, fake → 0 (Mao et al. 2017; CycleGAN's choice);
    wgan:  the critic's mean score, negated for "real" (Arjovsky et al. 2017; pair with a gradient penalty);
    hinge: D pays only for logits on the wrong side of ±1, G raises the mean logit of its fakes
           (Lim & Ye 2017, Miyato et al. 2018; FastGAN's choice). Only this loss needs `for_generator`.
    """
    if mode == "bce":
        target = torch.ones_like(logits) if target_real else torch.zeros_like(logits)
        return F.binary_cross_entropy_with_logits(logits, target)
    if mode == "lsgan":
        return F.mse_loss(logits, torch.full_like(logits, 1.0 if target_real else 0.0))
    if mode == "wgan":
        return -logits.mean() if target_real else logits.mean()
    if mode == "hinge":
        if for_generator:
            return -logits.mean()
        return F.relu(1.0 - logits).mean() if target_real else F.relu(1.0 + logits).mean()
    raise ValueError(f"unknown GAN loss {mode!r}; choose one of {', '.join(GAN_MODES)}")


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor, *, weight: float = 10.0
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): weight · E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates x̂."""
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def discriminator_terms(real_logits: torch.Tensor, fake_logits: torch.Tensor, *, mode: str, name: str = "D") -> Terms:
    """D's objective; halved as in pix2pix/CycleGAN so D learns more slowly than G."""
    return {
        f"{name}_real": 0.5 * adversarial(real_logits, target_real=True, mode=mode),
        f"{name}_fake": 0.5 * adversarial(fake_logits, target_real=False, mode=mode),
    }


def pix2pix_generator_terms(
    fake_logits: torch.Tensor,
    fake: torch.Tensor,
    target: torch.Tensor,
    *,
    mode: str = "bce",
    lambda_l1: float = 100.0,  # the paper's λ
) -> Terms:
    """pix2pix eq. (4): G* = arg min_G max_D L_cGAN(G, D) + λ L_L1(G)."""
    return {
        "G_gan": adversarial(fake_logits, target_real=True, mode=mode, for_generator=True),
        "G_L1": lambda_l1 * F.l1_loss(fake, target),
    }


def cyclegan_generator_terms(
    *,
    real_a: torch.Tensor,
    real_b: torch.Tensor,
    fake_b: torch.Tensor,  # G(a)
    fake_a: torch.Tensor,  # F(b)
    rec_a: torch.Tensor,  # F(G(a))
    rec_b: torch.Tensor,  # G(F(b))
    same_b: torch.Tensor | None,  # G(b), for the identity loss
    same_a: torch.Tensor | None,  # F(a)
    logits_fake_b: torch.Tensor,  # D_B(G(a))
    logits_fake_a: torch.Tensor,  # D_A(F(b))
    mode: str = "lsgan",
    lambda_cycle: float = 10.0,  # the paper's λ
    lambda_identity: float = 0.5,  # identity weight as a fraction of λ (0.5 λ in the paper's paintings)
) -> Terms:
    """CycleGAN eq. (3) plus the identity mapping loss of section 5.2."""
    terms = {
        "G_gan": adversarial(logits_fake_b, target_real=True, mode=mode, for_generator=True),
        "F_gan": adversarial(logits_fake_a, target_real=True, mode=mode, for_generator=True),
        "cycle_a": lambda_cycle * F.l1_loss(rec_a, real_a),  # ‖F(G(a)) − a‖₁
        "cycle_b": lambda_cycle * F.l1_loss(rec_b, real_b),  # ‖G(F(b)) − b‖₁
    }
    if lambda_identity > 0 and same_a is not None and same_b is not None:
        terms["identity_b"] = lambda_identity * lambda_cycle * F.l1_loss(same_b, real_b)  # ‖G(b) − b‖₁
        terms["identity_a"] = lambda_identity * lambda_cycle * F.l1_loss(same_a, real_a)  # ‖F(a) − a‖₁
    return terms


def _gaussian_blur(x: torch.Tensor, *, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Separable Gaussian blur of every channel, valid region only (as SSIM's window)."""
    offsets = torch.arange(size, dtype=x.dtype, device=x.device) - (size - 1) / 2
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    x = F.conv2d(x, kernel.view(1, 1, 1, size).expand(channels, 1, 1, size), groups=channels)
    return F.conv2d(x, kernel.view(1, 1, size, 1).expand(channels, 1, size, 1), groups=channels)


def ssim_score(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Differentiable SSIM (Wang et al. 2004) of [N, C, H, W] images in [0, 1], per image: [N].

    The same definition as gan_demo.metrics.ssim (11×11 Gaussian, σ = 1.5, K1 = 0.01, K2 = 0.03, valid
    region) in the input's dtype with a separable window: fast enough to train on.
    """
    channels = a.shape[1]
    mu_a, mu_b, aa, bb, ab = _gaussian_blur(torch.cat([a, b, a * a, b * b, a * b], 1)).split(channels, 1)
    var_a, var_b, cov = aa - mu_a**2, bb - mu_b**2, ab - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    score = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return score.mean(dim=(1, 2, 3))


def paired_reconstruction_terms(
    fake: torch.Tensor,  # G(sketch), [N, 3, H, W] in [-1, 1]
    target: torch.Tensor,  # the paired true image, same shape and range
    *,
    lambda_ssim: float = 0.0,  # weight of 1 − SSIM (Zhao, Gallo, Frosio & Kautz 2017 pair it with L1)
    perceptual: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,  # e.g. FeatureDistance
    lambda_perceptual: float = 0.0,  # weight of the perceptual distance (Johnson et al. 2016)
) -> Terms:
    """Terms beside pix2pix's L1 that compare G's output with its paired target; a zero weight leaves a term out."""
    terms: Terms = {}
    if lambda_ssim > 0:
        terms["G_SSIM"] = lambda_ssim * (1 - ssim_score((fake + 1) / 2, (target + 1) / 2).mean())
    if lambda_perceptual > 0:
        if perceptual is None:
            raise ValueError("lambda_perceptual > 0 needs a perceptual distance (e.g. FeatureDistance)")
        terms["G_perceptual"] = lambda_perceptual * perceptual(fake, target)
    return terms


def stargan_discriminator_terms(
    *,
    real_logits: torch.Tensor,  # D_src(x)
    fake_logits: torch.Tensor,  # D_src(G(x, c))
    real_class_logits: torch.Tensor,  # D_cls(x), [N, domains]
    source_domains: torch.Tensor,  # c', the domain of each real image: [N] indices
    gradient_penalty: torch.Tensor | None,  # λ_gp-weighted, or None without one
    mode: str = "wgan",
    lambda_cls: float = 1.0,  # the paper's λ_cls
) -> Terms:
    """StarGAN eq. (5), L_D = −L_adv + λ_cls L_cls^r, with WGAN-GP's adversarial term (eq. 8) by default."""
    terms = {
        "D_real": adversarial(real_logits, target_real=True, mode=mode),
        "D_fake": adversarial(fake_logits, target_real=False, mode=mode),
        "D_cls": lambda_cls * F.cross_entropy(real_class_logits, source_domains),  # domain of a real image
    }
    if gradient_penalty is not None:
        terms["D_gp"] = gradient_penalty
    return terms


def stargan_generator_terms(
    *,
    real: torch.Tensor,  # x
    fake_logits: torch.Tensor,  # D_src(G(x, c))
    fake_class_logits: torch.Tensor,  # D_cls(G(x, c))
    target_domains: torch.Tensor,  # c: [N] indices
    reconstruction: torch.Tensor,  # G(G(x, c), c')
    mode: str = "wgan",
    lambda_cls: float = 1.0,  # the paper's λ_cls
    lambda_rec: float = 10.0,  # the paper's λ_rec
) -> Terms:
    """StarGAN eq. (6), L_G = L_adv + λ_cls L_cls^f + λ_rec L_rec (eq. 4: ‖x − G(G(x, c), c')‖₁)."""
    return {
        "G_gan": adversarial(fake_logits, target_real=True, mode=mode, for_generator=True),
        "G_cls": lambda_cls * F.cross_entropy(fake_class_logits, target_domains),
        "G_rec": lambda_rec * F.l1_loss(reconstruction, real),
    }


def masked_l1(fake: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean ‖fake − target‖₁ over the images where mask ([N] bool) is true; 0 where none is."""
    if not mask.any():
        return fake.sum() * 0.0  # keeps the graph (and the term's name in the log)
    return F.l1_loss(fake[mask], target[mask])
