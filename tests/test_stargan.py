"""StarGAN: label vectors from slider values, both published checkpoint layouts, face framing, a tiny training
run of the family, and `gan-demo edit` on files and folders."""

from __future__ import annotations

import json
import math

import pytest
import torch
from PIL import Image

from gan_demo.cli import main as cli_main
from gan_demo.entries import ModelEntry, WeightSource
from gan_demo.faces import FaceNotFound, crop_square, frame_face, paste_square
from gan_demo.hub import WeightsInvalid, load_network
from gan_demo.models import StarGANDiscriminator, StarGANGenerator
from gan_demo.registry import Registry
from gan_demo.specs import AttributeOptions
from gan_demo.tasks.attributes import AttributeSpace, Framed, edit_images, label_vector, move_slider, strip_vectors
from gan_demo.training.datasets import named_folders
from gan_demo.training.family import train
from gan_demo.training.stargan import FAMILY, StarGANConfig

CPU = torch.device("cpu")
CELEBA = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
HAIR = AttributeOptions(exclusive=False, groups=("Black_Hair|Blond_Hair|Brown_Hair",), low=-0.5, high=1.5)
TINY_G = {"c_dim": 5, "conv_dim": 4, "repeat_num": 2}
TINY_RUN = {  # a residual StarGAN small enough to train 2 steps in a test, LSGAN, one critic step
    "size": 16,
    "conv_dim": 4,
    "repeat_num": 1,
    "residual": True,
    "disc_conv_dim": 4,
    "disc_repeat_num": 2,
    "batch_size": 3,
    "n_critic": 1,
    "gan_mode": "lsgan",
    "lambda_gp": 0,
}


def test_names_not_given_are_zero_for_domains_and_keep_the_start_for_attributes():
    domains = AttributeSpace.of(("modern", "flat", "high-contrast"), AttributeOptions())
    assert label_vector(domains, {"flat": 1}) == [0.0, 1.0, 0.0]
    faces = AttributeSpace.of(CELEBA, HAIR)
    assert label_vector(faces, {"Male": 0.25}, start=[1, 0, 0, 0, 1]) == [1, 0, 0, 0.25, 1]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Bald": 1}, "unknown attribute 'Bald'; this model has: Black_Hair, Blond_Hair"),
        ({"Male": 2}, r"Male=2 is outside the allowed range -0.5 … 1.5"),
        ({"Male": math.nan}, "Male: expected a finite number, got nan"),
        ({"Male": math.inf}, "expected a finite number"),
        ({"Male": "much"}, "Male: expected a number"),
    ],
)
def test_bad_values_are_refused_with_the_valid_names_or_the_range(values, message):
    with pytest.raises(ValueError, match=message):
        label_vector(AttributeSpace.of(CELEBA, HAIR), values)


def test_raising_one_hair_colour_lowers_the_others_and_lowering_changes_nothing_else():
    space = AttributeSpace.of(CELEBA, HAIR)
    raised = move_slider(space, [0.6, 0.0, 0.4, 1.0, 1.0], "Blond_Hair", 0.8)
    assert raised[1] == 0.8 and raised[0] == pytest.approx(0.12) and raised[2] == pytest.approx(0.08)
    assert raised[3:] == [1.0, 1.0]  # sex and age are not in the group
    assert move_slider(space, raised, "Blond_Hair", 1.5)[:3] == [0.0, 1.5, 0.0]  # extrapolation leaves nothing
    assert move_slider(space, raised, "Blond_Hair", 0.1) == [raised[0], 0.1, raised[2], 1.0, 1.0]


def test_a_domain_model_is_one_group_so_mixing_two_styles_sums_to_one():
    space = AttributeSpace.of(("modern", "flat", "high-contrast"), AttributeOptions())
    assert move_slider(space, [1.0, 0.0, 0.0], "flat", 0.3) == pytest.approx([0.7, 0.3, 0.0])


def test_groups_must_name_the_models_attributes():
    with pytest.raises(ValueError, match="Grey_Hair"):
        AttributeSpace.of(CELEBA, AttributeOptions(exclusive=False, groups=("Black_Hair|Grey_Hair",)))


def _entry(*, layout: str, wrapper_key: str | None = None) -> ModelEntry:
    source = WeightSource(hub_repo="someone/stargan", hub_file="g.pth.tar", layout=layout, wrapper_key=wrapper_key)
    return ModelEntry(
        key="celeba-test",
        task="attributes",
        title="t",
        description="d",
        architecture="stargan_generator",
        config=TINY_G,
        weights={"generator": source},
        image_size=32,
        licence="MIT",
        credit="test",
        attributes=CELEBA,
        options=HAIR,
    )


def _rekeyed(state: dict[str, torch.Tensor], blocks: int) -> dict[str, torch.Tensor]:
    """Lornatang/StarGAN-PyTorch's names for yunjey's `main.N` tensors, as its Hub files hold them."""
    parts = [
        ("first_layer", 0, 3),
        ("down_sampling", 3, 6),
        ("up_sampling", 9 + blocks, 6),
        ("last_layer", 15 + blocks, 1),
    ]
    renamed = {}
    for key, value in state.items():
        _, index, rest = key.split(".", 2)
        index = int(index)
        if 9 <= index < 9 + blocks:
            renamed[f"_orig_mod.trunk.{index - 9}.{rest}"] = value
            continue
        part, first = next((name, start) for name, start, count in parts if start <= index < start + count)
        renamed[f"_orig_mod.{part}.{index - first}.{rest}"] = value
    return renamed


def test_yunjey_and_rekeyed_hub_layouts_load_strictly_into_one_module(tmp_path):
    torch.manual_seed(0)
    original = StarGANGenerator(**TINY_G).eval()
    state = original.state_dict()
    old = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}  # PyTorch < 0.4.1 files
    torch.save(old, tmp_path / "200000-G.ckpt")
    torch.save({"state_dict": _rekeyed(state, 2)}, tmp_path / "g_128x128-celeba.pth.tar")
    image, labels = torch.rand(2, 3, 16, 16) * 2 - 1, torch.tensor([[1.0, 0, 0, 1, 0], [0, 0.5, 0.5, 0, 1]])
    expected = original(image, labels)
    for file, layout, wrapper in (
        ("200000-G.ckpt", "stargan", None),
        ("g_128x128-celeba.pth.tar", "stargan_rekeyed", "state_dict"),
    ):
        entry = _entry(layout=layout, wrapper_key=wrapper)
        loaded = load_network(entry, "generator", device=CPU, explicit=tmp_path / file)
        torch.testing.assert_close(loaded(image, labels), expected)


def test_a_layout_that_does_not_fit_is_refused_not_half_loaded(tmp_path):
    state = _rekeyed(StarGANGenerator(**TINY_G).state_dict(), 2)
    del state["_orig_mod.last_layer.0.weight"]
    torch.save({"state_dict": state}, tmp_path / "g.pth.tar")
    entry = _entry(layout="stargan_rekeyed", wrapper_key="state_dict")
    with pytest.raises(WeightsInvalid, match=r"Missing key\(s\) in state_dict: \"main\.\d+\.weight\""):
        load_network(entry, "generator", device=CPU, explicit=tmp_path / "g.pth.tar")


def test_instance_norm_ignores_running_statistics_so_eval_mode_equals_train_mode():
    generator = StarGANGenerator(**TINY_G)
    for name, buffer in generator.named_buffers():
        if name.endswith(("running_mean", "running_var")):
            buffer.fill_(7.0)  # as if the official model's never-used statistics were garbage
    image, labels = torch.rand(1, 3, 16, 16), torch.rand(1, 5)
    with torch.no_grad():
        torch.testing.assert_close(generator.eval()(image, labels), generator.train()(image, labels))


def test_the_discriminator_has_a_patch_head_and_a_domain_head():
    discriminator = StarGANDiscriminator(image_size=32, conv_dim=4, c_dim=3, repeat_num=3, max_channels=8)
    patches, classes = discriminator(torch.rand(2, 3, 32, 32))
    assert patches.shape == (2, 1, 4, 4) and classes.shape == (2, 3)
    with pytest.raises(ValueError, match="judges 32 px"):
        discriminator(torch.rand(1, 3, 64, 64))


def test_same_image_and_labels_give_the_same_edit_and_a_strip_ends_at_both_settings():
    torch.manual_seed(1)
    generator = StarGANGenerator(**TINY_G).eval()
    framed = Framed.of(Image.new("RGB", (40, 40), (200, 30, 30)), frame_faces=False)
    vectors = strip_vectors([1, 0, 0, 0, 0], [0, 1, 0, 1, 1], 4)
    assert vectors[0] == [1, 0, 0, 0, 0] and vectors[-1] == [0, 1, 0, 1, 1]
    first, again = (edit_images(generator, framed, vectors, size=16, device=CPU) for _ in range(2))
    assert [im.tobytes() for im in first] == [im.tobytes() for im in again]
    assert first[0].size == (40, 40) and first[0].tobytes() != first[-1].tobytes()
    with pytest.raises(ValueError, match="2 to 32 frames"):
        strip_vectors([0], [1], 33)


def test_a_face_is_framed_as_celeba_was_and_the_edit_is_pasted_back_with_a_soft_edge(face_photo):
    square = frame_face(face_photo)
    centre_x, centre_y = square.left + square.side / 2, square.top + square.side / 2
    assert 150 < centre_x < 300 and 100 < centre_y < 300 and 250 < square.side < 500  # around the 256 px face
    assert crop_square(face_photo, square).size == (square.side, square.side)  # padded where it leaves the photo
    pasted = paste_square(face_photo, Image.new("RGB", (128, 128), (0, 255, 0)), square)
    assert pasted.size == face_photo.size
    assert pasted.getpixel((round(centre_x), round(centre_y))) == (0, 255, 0)  # inside: the edit
    assert pasted.getpixel((510, 380)) == face_photo.getpixel((510, 380))  # outside: the photo


def test_no_face_is_said_plainly():
    with pytest.raises(FaceNotFound, match="no face found"):
        frame_face(Image.new("RGB", (300, 200), (120, 160, 90)))


def _domain_folders(root, n=6, size=16):
    """Three "styles" of the same n subjects: a square whose colour is the style, its place the subject."""
    folders = []
    for style, colour in (("red", (220, 40, 40)), ("green", (40, 200, 60)), ("blue", (40, 60, 220))):
        folder = root / f"style-{style}"
        folder.mkdir(parents=True)
        for index in range(n):
            image = Image.new("RGB", (size, size), "white")
            image.paste(colour, (index, index, index + 6, index + 6))
            image.save(folder / f"subject-{index}.png")
        folders.append(f"{style}={folder}")
    return folders


def test_domain_folders_are_named_by_name_equals_dir_or_their_folder(tmp_path):
    assert list(named_folders(["a=/x/one", "/x/two"])) == ["a", "two"]
    with pytest.raises(ValueError, match="two domains are called 'a'"):
        named_folders(["a=/x/one", "a=/x/two"])


def test_a_tiny_stargan_run_trains_d_every_step_and_g_every_n_critic_steps(tmp_path):
    config = StarGANConfig(
        size=16, conv_dim=4, repeat_num=1, disc_conv_dim=4, disc_repeat_num=2, batch_size=3, n_critic=2, lambda_paired=5
    )
    trainer, logs = train(FAMILY, config, {"domains": _domain_folders(tmp_path)}, steps=4, device=CPU)
    assert trainer.attributes == ("red", "green", "blue")
    before = {role: {k: v.clone() for k, v in net.state_dict().items()} for role, net in trainer.networks().items()}
    history = list(logs)
    assert set(history[0].losses) == {"D_real", "D_fake", "D_cls", "D_gp"}  # a critic step
    assert set(history[1].losses) == {"D_real", "D_fake", "D_cls", "D_gp", "G_gan", "G_cls", "G_rec", "G_paired"}
    assert all(math.isfinite(v) for log in history for v in log.losses.values())
    for role, network in trainer.networks().items():
        assert any(not torch.equal(before[role][k], v) for k, v in network.state_dict().items()), role


def test_target_weights_draw_targets_in_those_proportions_and_never_the_source(tmp_path):
    config = StarGANConfig(**TINY_RUN, target_weights="green=3, blue=0")
    trainer, _ = train(FAMILY, config, {"domains": _domain_folders(tmp_path)}, steps=1, device=CPU)
    batches = trainer.batches
    pairs = torch.cat([torch.stack(next(batches)[3:], dim=1) for _ in range(400)])  # (source, target) rows
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert not (pairs[:, 1] == 2).any()  # blue has weight 0: never a target
    from_blue = pairs[pairs[:, 0] == 2, 1]
    assert 0.68 < (from_blue == 1).float().mean() < 0.82  # green 3 : red 1 → 75 %
    assert (pairs[pairs[:, 0] == 1, 1] == 0).all()  # from green, red is all that is left


@pytest.mark.parametrize(
    "weights, message",
    [
        ("purple=2", "NAME one of red, green, blue"),
        ("green", "NAME=WEIGHT"),
        ("green=-1", "finite number ≥ 0"),
        ("green=nan", "finite number ≥ 0"),
        ("green=0,blue=0", "no target for red"),
    ],
)
def test_bad_target_weights_are_refused_with_the_domain_names(weights, message):
    with pytest.raises(ValueError, match=message):
        StarGANConfig(target_weights=weights).target_draw_weights(("red", "green", "blue"))


def test_the_resize_decoder_and_the_flat_domain_start_as_the_identity_and_paint_only_that_domain(tmp_path):
    config = StarGANConfig(**TINY_RUN, upsample="resize", flat_colours=3, flat_domain="green")
    trainer, logs = train(FAMILY, config, {"domains": _domain_folders(tmp_path)}, steps=2, device=CPU)
    generator = trainer.generator.eval()
    assert generator.flat_domain == 1 and not any(isinstance(m, torch.nn.ConvTranspose2d) for m in generator.modules())
    assert all(math.isfinite(v) for log in logs for v in log.losses.values())
    image = torch.rand(1, 3, 16, 16) * 2 - 1
    red, green, mix = (torch.tensor([labels]) for labels in ([1.0, 0, 0], [0, 1.0, 0], [0.5, 0.5, 0]))
    with torch.no_grad():
        plain, painted, half = generator(image, red), generator(image, green), generator(image, mix)
    colours = {tuple(pixel) for pixel in (painted[0] * 1e4).round().flatten(1).T.tolist()}
    assert len(colours) <= 3 < len({tuple(pixel) for pixel in plain[0].flatten(1).T.tolist()})
    between = (half - plain).abs().mean(), (half - painted).abs().mean()
    assert between[0] > 0 and between[1] > 0  # a mixed label blends, it does not jump
    with pytest.raises(ValueError, match="--flat-domain 'purple' is none of the domains red, green, blue"):
        train(
            FAMILY,
            StarGANConfig(size=16, flat_colours=3, flat_domain="purple"),
            {"domains": _domain_folders(tmp_path / "b")},
            steps=1,
            device=CPU,
        )


def test_the_paper_generator_hears_a_label_only_at_the_border_and_labelled_norms_carry_it_inside(tmp_path):
    plain = StarGANGenerator(c_dim=3, conv_dim=8, repeat_num=0).eval()
    first = plain.main[:2]  # the first convolution and its instance norm: what the rest of the network sees

    def label_effect(size: int) -> tuple[float, float]:
        """Mean change of the normalised features between labels 000 and 111: (middle half, border band)."""
        torch.manual_seed(size)
        picture = torch.rand(1, 3, size, size) * 2 - 1
        with torch.no_grad():
            a, b = (first(torch.cat([picture, torch.full((1, 3, size, size), v)], 1)) for v in (0.0, 1.0))
        change, q = (a - b).abs()[0].mean(0), size // 4
        return change[q:-q, q:-q].mean().item(), change[:3].mean().item()

    (middle_64, _), (middle_128, border_128) = label_effect(64), label_effect(128)
    assert middle_128 < 0.15 * border_128 and middle_128 < 0.7 * middle_64  # and it fades as the image grows

    image = torch.rand(1, 3, 32, 32) * 2 - 1
    labelled = StarGANGenerator(c_dim=3, conv_dim=4, repeat_num=1, residual=True, label_norms=True).eval()
    assert any("film" in key for key in labelled.state_dict()) and not any("film" in k for k in plain.state_dict())
    red, green = torch.tensor([[1.0, 0, 0]]), torch.tensor([[0, 1.0, 0]])
    with torch.no_grad():
        assert torch.equal(labelled(image, red), image)  # zero-initialised: the identity, whatever the label
        labelled.main[-1].weight.normal_(0, 0.1)  # the zero-initialised head, given something to say
        before = labelled(image, red)
        for module in labelled.modules():
            if hasattr(module, "film"):
                module.film.weight.normal_(0, 0.5)
        moved = (labelled(image, red) - before).abs()[0, :, 8:24, 8:24]
        apart = (labelled(image, red) - labelled(image, green)).abs()[0, :, 8:24, 8:24]
    assert moved.mean() > 0.01 and apart.mean() > 0.01  # the films act on the middle of the image, per label
    config = StarGANConfig(**TINY_RUN, label_norms=True)
    trainer, logs = train(FAMILY, config, {"domains": _domain_folders(tmp_path)}, steps=2, device=CPU)
    assert all(math.isfinite(v) for log in logs for v in log.losses.values())
    assert any(m.film.weight.abs().sum() > 0 for m in trainer.generator.modules() if hasattr(m, "film"))


def _tiny_run(tmp_path):
    from gan_demo.training.__main__ import main as train_main

    argv = ["stargan", "--domains", *_domain_folders(tmp_path / "data"), "--size", "16", "--conv-dim", "4"]
    argv += ["--repeat-num", "1", "--disc-conv-dim", "4", "--disc-repeat-num", "2", "--batch-size", "2"]
    argv += ["--n-critic", "1", "--steps", "2", "--title", "Tiny styles", "--licence", "MIT"]
    assert train_main([*argv, "--out", str(tmp_path / "tiny-styles")]) == 0
    return tmp_path / "tiny-styles"


def test_a_run_folder_is_an_attribute_model_with_both_roles(tmp_path):
    run = _tiny_run(tmp_path)
    model = json.loads((run / "run.json").read_text())["model"]
    assert model["attributes"] == ["red", "green", "blue"] and model["roles"] == ["generator", "discriminator"]
    entry = Registry(()).add_run(run)
    assert entry.task == "attributes" and entry.architecture_of("discriminator") == "stargan_discriminator"
    assert entry.summary()["attributes"][1] == {"name": "green", "min": 0.0, "max": 1.0}


def test_gan_demo_edit_writes_one_png_per_input_and_a_strip_on_request(tmp_path, capsys):
    run = _tiny_run(tmp_path)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for index in range(2):
        Image.new("RGB", (20, 20), (40 * index, 90, 200)).save(inputs / f"emoji-{index}.png")
    (inputs / "notes.txt").write_text("not an image")
    code = cli_main(
        ["edit", "--model", str(run), "--input", str(inputs), "--attr", "green=1", "--out", str(tmp_path / "o")]
    )
    assert code == 1  # the text file is skipped and named; the images are written
    assert "notes.txt" in capsys.readouterr().err
    assert Image.open(tmp_path / "o" / "emoji-0.png").size == (20, 20)
    single = inputs / "emoji-1.png"
    argv = ["edit", "--model", str(run), "--input", str(single), "--attr", "blue=1", "--strip", "5"]
    assert cli_main([*argv, "--out", str(tmp_path / "s")]) == 0
    assert Image.open(tmp_path / "s" / "emoji-1-strip.png").size == (5 * 16, 16)


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        (["purple=1"], "unknown attribute 'purple'; this model has: red, green, blue"),
        (["green=3"], "outside the allowed range 0 … 1"),
        (["green=inf"], "expected a finite number"),
        (["green"], "expected NAME=VALUE"),
        (["green=lots"], "is not a number"),
    ],
)
def test_gan_demo_edit_refuses_bad_attributes_with_one_line_and_exit_code_2(tmp_path, capsys, attr, message):
    run = _tiny_run(tmp_path)
    Image.new("RGB", (20, 20), "red").save(tmp_path / "in.png")
    argv = ["edit", "--model", str(run), "--input", str(tmp_path / "in.png"), "--out", str(tmp_path / "o")]
    assert cli_main([*argv, *(x for a in attr for x in ("--attr", a))]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "o").exists()
