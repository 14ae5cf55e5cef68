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
