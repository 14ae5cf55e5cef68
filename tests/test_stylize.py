"""Style transfer core: loss terms against hand-computed values, validation messages, colour preservation,
and the optimiser (a few steps of a tiny random network, so every test runs in well under a second)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from gan_demo.tasks.colour import match_colour_statistics, rgb_to_yiq
from gan_demo.tasks.style_losses import (
    FeatureLayers,
    LossWeights,
    blended_grams,
    gram_matrix,
    loss_terms,
    relative_error,
    total_variation,
)
from gan_demo.tasks.stylize import StyleRun, StyleSettings, stylize, to_unit_tensor

LAYERS = FeatureLayers("b", ("a", "b"))


class TinyFeatures(nn.Module):
    """Two random convolutions with named outputs: the interface of the real feature networks."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        for conv in (self.a, self.b):
            conv.weight.data = torch.randn(conv.weight.shape, generator=generator) * 0.5
        self.requires_grad_(False)

    def feature_maps(self, image: torch.Tensor, layers) -> dict[str, torch.Tensor]:
        a = torch.relu(self.a(image))
        return {"a": a, "b": torch.relu(self.b(a))}


def picture(seed: int, side: int = 32) -> Image.Image:
    rng = np.random.default_rng(seed)
    gradient = np.linspace(40, 210, side)[None, :, None] * np.ones((side, 1, 3))
    return Image.fromarray(np.clip(gradient + rng.normal(0, 30, (side, side, 3)), 0, 255).astype(np.uint8))


def settings(**changes) -> StyleSettings:
    base = {"weights": LossWeights(layers=(1.0, 1.0)), "steps": 3, "size": 64, "coarse_to_fine": False}
    return StyleSettings(**{**base, **changes})


def test_gram_matrix_averages_channel_products_over_positions_and_channels():
    features = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # [1, 2 channels, 1, 2 positions]
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4  # F Fᵀ / (C·H·W)
    torch.testing.assert_close(gram_matrix(features), expected)


def test_loss_terms_match_hand_computed_values():
    image = torch.tensor([[[[0.0, 1.0], [1.0, 1.0]]]])
    assert total_variation(image).item() == pytest.approx(1.0)  # dx² mean 0.5 + dy² mean 0.5
    assert relative_error(torch.zeros(3), torch.ones(3)).item() == pytest.approx(1.0)
    assert relative_error(torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])).item() == pytest.approx(1.0)
    maps = {"a": torch.ones(1, 1, 2, 2), "b": torch.ones(1, 1, 2, 2)}
    targets = {"a": torch.full((1, 1, 1), 2.0), "b": torch.full((1, 1, 1), 3.0)}  # Gram of the maps: 1
    terms = loss_terms(
        maps,
        image,
        content_target=torch.full((1, 1, 2, 2), 2.0),
        style_targets=targets,
        layers=LAYERS,
        weights=LossWeights(content=2.0, style=10.0, tv=3.0, layers=(1.0, 3.0)),
    )
    style = (1.0 * (1 - 2) ** 2 / 2**2 + 3.0 * (1 - 3) ** 2 / 3**2) / (1 + 3)  # layer weights 1 and 3
    assert terms["content"].item() == pytest.approx(2.0 * 0.25)  # ‖1 - 2‖² / ‖2‖² = 4 / 16
    assert terms["style"].item() == pytest.approx(10.0 * style)
    assert terms["tv"].item() == pytest.approx(3.0)


def test_several_styles_blend_their_gram_targets_by_weight():
    first, second = {"a": torch.zeros(1, 2, 2)}, {"a": torch.ones(1, 2, 2)}
    torch.testing.assert_close(blended_grams([first, second], [1.0, 3.0])["a"], torch.full((1, 2, 2), 0.75))


@pytest.mark.parametrize(
    ("styles", "change", "message"),
    [
        ([1.0, -1.0], {}, "style-image weights must not be negative"),
        ([0.0, 0.0], {}, "style-image weights are all 0"),
        ([math.nan], {}, "style-image weights must be finite"),
        ([], {}, "no usable style image"),
        ([1.0], {"size": 32}, "between 64 and 1024 px, got 32"),
        ([1.0], {"size": 4096}, "between 64 and 1024 px, got 4096"),
        ([1.0], {"weights": LossWeights(layers=(1.0, 1.0, 1.0))}, "expected 2 style-layer weights"),
        ([1.0], {"weights": LossWeights(style=math.inf, layers=(1.0, 1.0))}, "must be finite"),
        ([1.0], {"weights": LossWeights(content=0.0, style=0.0, layers=(1.0, 1.0))}, "both 0"),
        ([1.0], {"weights": LossWeights(layers=(0.0, 0.0))}, "style-layer weights are all 0"),
        ([1.0], {"optimiser": "sgd"}, "unknown optimiser 'sgd'; choose one of lbfgs, adam"),
    ],
)
def test_unusable_settings_are_refused_with_a_clear_message(styles, change, message):
    pairs = [(picture(i), weight) for i, weight in enumerate(styles)] + [(None, 5.0)]  # an empty slot is skipped
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        StyleRun(TinyFeatures(), picture(9), pairs, settings(**change), layers=LAYERS, device="cpu")


@pytest.mark.parametrize("optimiser", ["lbfgs", "adam"])
def test_three_steps_lower_the_total_loss(optimiser):
    run = StyleRun(
        TinyFeatures(), picture(0), [(picture(1), 1.0)], settings(optimiser=optimiser), layers=LAYERS, device="cpu"
    )
    history = list(run.steps())
    assert [step.step for step in history] == [1, 2, 3]  # a step is one loss + gradient evaluation
    assert history[-1].terms["total"] < history[0].terms["total"]
    assert run.result().size == (64, 64)


def test_stop_returns_the_best_image_evaluated_so_far():
    run = StyleRun(TinyFeatures(), picture(0), [(picture(1), 1.0)], settings(steps=50), layers=LAYERS, device="cpu")
    previews, losses = [to_unit_tensor(picture(0), (64, 64), "cpu")], []
    for step in run.steps(stop=lambda: len(losses) == 4):
        losses.append(step.terms["total"])
        previews.append(to_unit_tensor(run.preview(), (64, 64), "cpu"))  # the pixels the next step evaluates
    assert run.stopped and len(run.history) == 4
    best = int(np.argmin(losses))
    result = to_unit_tensor(run.result(), (64, 64), "cpu")
    torch.testing.assert_close(result, previews[best], atol=1 / 255, rtol=0)
    assert not torch.equal(result, previews[-1])  # not the latest pixels, which were never evaluated


def test_stylize_calls_back_every_step_and_honours_a_stop_flag():
    seen = []
    image = stylize(
        TinyFeatures(),
        picture(0),
        [(picture(1), 1.0), (picture(2), 2.0)],
        settings(steps=20, init="noise"),
        layers=LAYERS,
        device="cpu",
        on_step=lambda step, run: seen.append(step.step),
        stop=lambda: len(seen) >= 2,
    )
    assert seen == [1, 2] and image.size == (64, 64)


def test_luminance_transfer_keeps_the_content_chroma():
    content = picture(3)
    image = stylize(
        TinyFeatures(), content, [(picture(4), 1.0)], settings(preserve_colour="luminance"), layers=LAYERS, device="cpu"
    )
    chroma = rgb_to_yiq(to_unit_tensor(image, (64, 64), "cpu"))[:, 1:]
    original = rgb_to_yiq(to_unit_tensor(content, (64, 64), "cpu"))[:, 1:]
    assert (chroma - original).abs().mean() < 0.01  # only rounding to 8 bits and clamping differ


def test_histogram_matching_gives_the_style_the_content_colour_statistics():
    style, content = torch.rand(1, 3, 16, 16) * 0.3, torch.rand(1, 3, 16, 16) * 0.5 + 0.25
    matched = match_colour_statistics(style, content)
    torch.testing.assert_close(matched.mean((2, 3)), content.mean((2, 3)), atol=1e-4, rtol=0)
    torch.testing.assert_close(torch.cov(matched.flatten(2)[0]), torch.cov(content.flatten(2)[0]), atol=1e-4, rtol=0)


def test_coarse_to_fine_spends_half_the_steps_at_half_the_size():
    run = StyleRun(
        TinyFeatures(),
        picture(0, 64),
        [(picture(1), 1.0)],
        settings(size=256, steps=4, coarse_to_fine=True),
        layers=LAYERS,
        device="cpu",
    )
    assert [step.size for step in run.steps()] == [(128, 128)] * 2 + [(256, 256)] * 2
    assert run.result().size == (256, 256)
    single = StyleRun(
        TinyFeatures(), picture(0, 64), [(picture(1), 1.0)], settings(size=256, steps=1, coarse_to_fine=True),
        layers=LAYERS, device="cpu",
    )  # fmt: skip
    assert [step.size for step in single.steps()] == [(256, 256)]
