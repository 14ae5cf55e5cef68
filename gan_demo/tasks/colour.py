"""Colour preservation for style transfer: Gatys, Bethge, Hertzmann & Shechtman, "Preserving Color in
Neural Artistic Style Transfer", arXiv:1606.05897 (2016).

Two ways, as in the paper: transfer on luminance only and put the content's chroma back (YIQ), or first
give the style image the content's colour statistics (mean and covariance, a linear map of its pixels).
Tensors are RGB [N, 3, H, W] in [0, 1].
"""

from __future__ import annotations

import torch

_RGB_TO_YIQ = torch.tensor(  # NTSC 1953 primaries, the transform the paper uses
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]]
)


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """RGB [N, 3, H, W] → YIQ (Y in [0, 1]: luminance; I, Q: chroma)."""
    return torch.einsum("ij,njhw->nihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """YIQ [N, 3, H, W] → RGB (unclamped)."""
    return torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def luminance(image: torch.Tensor) -> torch.Tensor:
    """RGB → grey RGB of the same luminance ([N, 3, H, W]: the network still sees three channels)."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Grey style image with the content's luminance mean and spread (the paper's luminance matching)."""
    style_y, content_y = rgb_to_yiq(style)[:, :1], rgb_to_yiq(content)[:, :1]
    matched = (style_y - style_y.mean()) / style_y.std().clamp_min(1e-6) * content_y.std() + content_y.mean()
    return matched.clamp(0.0, 1.0).expand(-1, 3, -1, -1).contiguous()


def with_chroma_of(result: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The result's luminance with the content's chroma (I, Q), back in RGB, clamped to [0, 1]."""
    y = rgb_to_yiq(result)[:, :1]
    chroma = rgb_to_yiq(content)[:, 1:]
    return yiq_to_rgb(torch.cat([y, chroma], dim=1)).clamp(0.0, 1.0)


def match_colour_statistics(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The style image recoloured so its pixel mean and covariance equal the content's (the paper's
    "colour histogram matching"): x' = Σc^½ Σs^-½ (x - μs) + μc, symmetric square roots."""
    s, c = style.flatten(2)[0].double(), content.flatten(2)[0].double()  # [3, pixels]
    mu_s, mu_c = s.mean(1, keepdim=True), c.mean(1, keepdim=True)
    eye = 1e-5 * torch.eye(3, dtype=s.dtype, device=s.device)  # a flat-colour image has a singular covariance
    cov_s, cov_c = torch.cov(s) + eye, torch.cov(c) + eye
    transform = _sym_power(cov_c, 0.5) @ _sym_power(cov_s, -0.5)
    matched = transform @ (s - mu_s) + mu_c
    return matched.view_as(style[0]).unsqueeze(0).to(style.dtype).clamp(0.0, 1.0)


def _sym_power(matrix: torch.Tensor, power: float) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp_min(1e-12).pow(power)) @ vectors.T
