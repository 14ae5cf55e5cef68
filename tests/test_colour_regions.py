"""Flat colour regions: the quantising output stage of generators into flat styles."""

from __future__ import annotations

import pytest
import torch

from gan_demo.hub import WeightsInvalid, load_network
from gan_demo.models.colour_regions import (
    FlatParts,
    flat_colour_regions,
    flat_parts,
    median_cut_labels,
    paint_regions,
    part_labels,
    region_medians,
)
from gan_demo.models.resnet import ResnetGenerator
from tests.conftest import generator_entry, l1_before_and_after_fitting


def blocks_with_shading() -> torch.Tensor:
    """Two images [2, 3, 16, 16]: four coloured quadrants, each with a soft left-to-right shading."""
    palette = torch.tensor([[0.9, -0.8, -0.8], [-0.8, 0.7, -0.6], [-0.7, -0.7, 0.9], [1.0, 1.0, 1.0]])
    image = torch.empty(3, 16, 16)
    for index, (top, left) in enumerate(((0, 0), (0, 8), (8, 0), (8, 8))):
        image[:, top : top + 8, left : left + 8] = palette[index].view(3, 1, 1)
    shading = torch.linspace(-0.05, 0.05, 16).view(1, 1, 16)
    return torch.stack([image + shading, (image + shading).flip(-1)])


def distinct_colours(image: torch.Tensor) -> int:
    return len(torch.unique(image.flatten(1).T, dim=0))


def test_median_cut_splits_the_widest_box_and_stops_when_every_box_is_one_colour():
    colours = torch.tensor([[[0.0, 0, 0], [0.0, 0, 0], [1.0, 0, 0], [1.0, 0.5, 0]]])
    assert median_cut_labels(colours, 2)[0].tolist() == [0, 0, 1, 1]  # red spans most: split there first
    labels = median_cut_labels(colours, 8)  # three colours: only two splits can happen
    assert len(torch.unique(labels)) == 3
    assert labels[0, 0] == labels[0, 1]


def test_flat_regions_remove_shading_keep_each_region_at_its_mean_and_keep_shape():
    images = blocks_with_shading()
    painted = flat_colour_regions(images, 4)
    assert painted.shape == images.shape
    for image, flat in zip(images, painted, strict=True):
        assert distinct_colours(flat) == 4  # one colour per quadrant: the shading is gone
        top_left = image[:, :8, :8].mean(dim=(1, 2))
        assert torch.allclose(flat[:, 0, 0], top_left, atol=1e-6)  # the region's mean, not a palette entry
    assert (painted - images).abs().max() <= 0.06  # no pixel moved further than its shading
    odd = torch.rand(1, 3, 7, 13) * 2 - 1
    assert flat_colour_regions(odd, 5).shape == odd.shape
    assert distinct_colours(flat_colour_regions(odd, 5)[0]) <= 5


def test_gradients_reach_every_pixel_through_its_region_mean():
    images = blocks_with_shading().requires_grad_(True)
    target = torch.zeros_like(images)
    target[:, :, :8, :8] = 1.0  # ask only the top-left region to change
    ((flat_colour_regions(images, 4) - target) ** 2).mean().backward()
    grad = images.grad[0]
    assert torch.all(grad[:, :8, :8] != 0)  # every pixel of a region is pulled, not only one
    assert torch.allclose(grad[:, :8, :8], grad[:, :1, :1].expand(3, 8, 8))  # and all by the same amount


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_generator_with_flat_colours_paints_at_most_that_many_and_trains(seed):
    torch.manual_seed(seed)
    generator = ResnetGenerator(base_channels=4, n_blocks=1, upsample="resize", residual=True, flat_colours=6)
    images = torch.rand(2, 3, 12, 20) * 2 - 1
    out = generator(images)
    assert out.shape == images.shape
    assert all(distinct_colours(image) <= 6 for image in out)
    target = images * 0.5 + 0.3  # a change of colour, which region means can follow
    before, after = l1_before_and_after_fitting(generator, images, target, steps=10)
    assert after < 0.9 * before
    assert "flat_colours" not in str(generator.state_dict().keys())  # no weights: config only
    with pytest.raises(ValueError, match="flat_colours"):
        ResnetGenerator(flat_colours=1)


@pytest.mark.slow
def test_a_compiled_flat_colour_generator_paints_like_the_eager_one():
    """The painting stage runs eagerly inside the compiled graph (about 30 s of compilation: -m slow)."""
    import copy

    from gan_demo.optimise import prepare_for_inference

    eager = ResnetGenerator(base_channels=4, n_blocks=1, norm="instance", flat_colours=4).eval()
    compiled = prepare_for_inference(copy.deepcopy(eager), compile=True)
    image = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(compiled(image), eager(image), atol=1e-5, rtol=0)
        assert distinct_colours(compiled(image)[0]) <= 4


def shaded_disc_on_white(size: int = 32) -> torch.Tensor:
    """[1, 3, size, size] in [0, 1]: a yellow disc shaded dark-to-light top to bottom, a dark outline, white."""
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    radius = ((ys - size / 2) ** 2 + (xs - size / 2) ** 2).sqrt()
    image = torch.ones(3, size, size)
    shade = 0.55 + 0.4 * ys / size  # a strong but smooth gradient: neighbours differ by about 1 ΔE
    image[:, radius < 12] = torch.stack([shade, shade * 0.8, shade * 0.1])[:, radius < 12]
    image[:, (radius >= 12) & (radius < 14)] = 0.1
    return image[None]


def test_flat_parts_paint_a_smoothly_shaded_part_one_colour_where_median_cut_bands_it():
    image = shaded_disc_on_white()
    inside = torch.zeros(32, 32, dtype=torch.bool)
    ys, xs = torch.meshgrid(torch.arange(32).float(), torch.arange(32).float(), indexing="ij")
    inside[((ys - 16) ** 2 + (xs - 16) ** 2).sqrt() < 10] = True
    parts = flat_parts(image, edge=6.0)
    banded = (flat_colour_regions(image * 2 - 1, 4) + 1) / 2
    assert distinct_colours(parts[0][:, inside]) == 1 < distinct_colours(banded[0][:, inside])
    torch.testing.assert_close(parts[0][:, inside][:, 0], image[0][:, inside].mean(1))  # the part's mean colour
    assert torch.equal(parts[0][:, 0, 0], image[0][:, 0, 0])  # the white background is its own part
    labels = part_labels(image, edge=6.0)
    assert labels[0, 16, 16] != labels[0, 0, 0] and len(torch.unique(labels)) >= 3  # disc, outline, background

    colours = image.clone().requires_grad_(True)
    flat_parts(colours, edge=6.0)[0, 0, 16, 16].backward()
    assert (colours.grad[0, 0][inside] > 0).all() and colours.grad[0, 0, 0, 0] == 0  # only its own part


def test_a_generator_takes_one_flat_stage_or_the_other_never_both():
    painted = ResnetGenerator(base_channels=4, n_blocks=1, residual=True, flat_parts=6.0).eval()
    image = shaded_disc_on_white() * 2 - 1
    with torch.no_grad():
        out = painted(image)  # zero-initialised residual: the input, painted
    torch.testing.assert_close(out, flat_parts((image + 1) / 2, 6.0) * 2 - 1)
    with pytest.raises(ValueError, match="not both"):
        ResnetGenerator(base_channels=4, n_blocks=1, flat_colours=4, flat_parts=6.0)
    with pytest.raises(ValueError, match="ΔE > 0"):
        ResnetGenerator(base_channels=4, n_blocks=1, flat_parts=-1.0)


def test_region_medians_are_torch_medians_per_region_and_pass_gradients_to_the_picked_pixel_only():
    generator = torch.Generator().manual_seed(0)
    colours = torch.rand(2, 300, 3, generator=generator, dtype=torch.float64).requires_grad_(True)
    labels = torch.randint(0, 5, (2, 300), generator=generator)
    labels[1][labels[1] == 2] = 3  # region 2 of the second image is empty
    medians = region_medians(colours, labels, 6)  # region 5 is empty everywhere
    for image in range(2):
        for region in range(6):
            inside = colours[image][labels[image] == region]
            expected = inside.median(dim=0).values if len(inside) else torch.zeros(3, dtype=torch.float64)
            assert torch.equal(medians[image, region], expected.detach()), (image, region)
    medians[0, 1].sum().backward()
    picked = colours.grad[0] != 0
    assert picked.sum(dim=0).tolist() == [1, 1, 1] and (labels[0][picked.any(dim=1)] == 1).all()


def test_median_painting_keeps_a_regions_dominant_colour_where_the_mean_is_pulled_by_a_highlight():
    image = torch.tensor([0.9, 0.5, 0.1]).view(1, 3, 1, 1).repeat(1, 1, 10, 10)  # one orange region …
    image[:, :, 2:5, 2:7] = 1.0  # … with a white highlight on 15 % of it
    labels = torch.ones(1, 100, dtype=torch.long)
    labels[0, :10] = 0  # the first row keeps its own colours
    median = paint_regions(image, labels, 2, keep=0, colour="median")
    mean = paint_regions(image, labels, 2, keep=0)
    torch.testing.assert_close(median[0, :, 1:].flatten(1), torch.tensor([[0.9], [0.5], [0.1]]).expand(3, 90))
    assert torch.equal(median[0, :, 0], image[0, :, 0]) and torch.equal(mean[0, :, 0], image[0, :, 0])
    torch.testing.assert_close(mean[0, :, 5, 5], image[0, :, 1:].flatten(1).mean(1))  # tinted towards white
    with pytest.raises(ValueError, match="unknown part colour"):
        paint_regions(image, labels, 2, colour="mode")


def test_a_generator_paints_part_medians_when_its_config_says_so():
    image = shaded_disc_on_white() * 2 - 1
    painted = ResnetGenerator(base_channels=4, n_blocks=1, residual=True, flat_parts=6.0, part_colour="median")
    with torch.no_grad():
        out = painted.eval()(image)
    torch.testing.assert_close(out, flat_parts((image + 1) / 2, 6.0, colour="median") * 2 - 1)
    with pytest.raises(ValueError, match="unknown part colour 'mode'; choose one of mean, median"):
        ResnetGenerator(base_channels=4, n_blocks=1, flat_parts=6.0, part_colour="mode")
    with pytest.raises(ValueError, match="need the flat_parts stage"):
        ResnetGenerator(base_channels=4, n_blocks=1, part_colour="median")


def test_thin_edges_leave_one_boundary_pixel_per_step_and_still_keep_the_parts_apart():
    image = torch.ones(1, 3, 8, 8)
    image[:, :, :, 4:] = torch.tensor([0.9, 0.1, 0.1]).view(1, 3, 1, 1)  # white | red, a step between columns 3, 4
    image[:, :, 6:, :] = torch.tensor([0.1, 0.1, 0.9]).view(1, 3, 1, 1)  # a blue band below, a step between rows 5, 6
    thick, thin = part_labels(image, 10.0), part_labels(image, 10.0, thin_edges=True)
    assert (thick[0, :5, 3:5] == 0).all() and (thin[0, :5, 4] == 0).all() and (thin[0, :5, 3] != 0).all()
    assert (thin[0, 6] == 0).all() and (thin[0, 5, :3] != 0).all() and (thick[0, 5] == 0).all()
    parts = {int(thin[0, 0, 0]), int(thin[0, 0, 7]), int(thin[0, 7, 0])}
    assert 0 not in parts and len(parts) == 3  # white, red and blue stay three parts
    assert (thin > 0).sum() > (thick > 0).sum()


def test_an_unfitted_learned_head_paints_medians_and_a_fitted_one_moves_only_parts_and_the_edges_beside_them():
    image = shaded_disc_on_white() * 2 - 1
    learned, median = FlatParts(6.0, "learned", thin_edges=True), FlatParts(6.0, "median", thin_edges=True)
    assert sum(p.numel() for p in median.parameters()) == 0 < sum(p.numel() for p in learned.parameters())
    with torch.no_grad():
        torch.testing.assert_close(learned(image), median(image))  # the head's last layer starts at zero
        learned.head.net[-1].bias.copy_(torch.tensor([0.0, 0.0, -0.2]))  # every part 0.2 less blue
        out = learned(image)
    labels = learned.labels(image)[0]
    change = ((out - median(image)) / 2)[0]  # in [0, 1] units
    inside = labels > 0
    painted_blue = (median(image)[0, 2] + 1) / 2 - 0.2
    torch.testing.assert_close(change[2][inside], (painted_blue.clamp(min=0) - (median(image)[0, 2] + 1) / 2)[inside])
    assert change[:2].abs().max() < 1e-6  # red and green untouched
    edge = ~inside
    assert (change[2][edge] < 0).all()  # boundary pixels shift with the parts around them …
    assert change[2][edge].min() >= -0.2 - 1e-6  # … by at most the parts' change
    with pytest.raises(ValueError, match="part-colour head"):
        paint_regions(image, labels.flatten()[None], int(labels.max()) + 1, colour="learned")


def test_a_generator_with_a_learned_head_loads_strictly_through_the_registry_and_paints_the_same(tmp_path):
    generator = ResnetGenerator(base_channels=4, n_blocks=1, residual=True, flat_parts=6.0, part_colour="learned")
    torch.nn.init.normal_(generator.paint.head.net[-1].weight, std=0.1)
    generator.eval().save_pretrained(tmp_path / "run" / "generator")
    entry = generator_entry("resnet_generator", "translate", bundled="run/generator")
    loaded = load_network(entry, "generator", device=torch.device("cpu"), checkpoints_dir=tmp_path)
    assert isinstance(loaded.paint, FlatParts) and loaded.paint.head is not None
    image = shaded_disc_on_white() * 2 - 1
    median = ResnetGenerator(base_channels=4, n_blocks=1, residual=True, flat_parts=6.0, part_colour="median")
    with torch.no_grad():
        torch.testing.assert_close(loaded(image), generator(image))
        assert not torch.allclose(loaded(image), median.eval()(image))
    del generator.paint.head  # weights saved without the head do not load into a config that asks for one
    generator.save_pretrained(tmp_path / "run" / "generator")
    with pytest.raises(WeightsInvalid, match=r"paint\.head"):
        load_network(entry, "generator", device=torch.device("cpu"), checkpoints_dir=tmp_path)
