"""Training core: loss terms as the papers define them, the history buffer, LR decay, tiny real runs."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import shlex
from pathlib import Path

import pytest
import torch
from PIL import Image

from gan_demo.hub import load_network
from gan_demo.models import PatchDiscriminator
from gan_demo.training import cyclegan, gan, pix2pix
from gan_demo.training.augment import diff_augment
from gan_demo.training.cyclegan import CycleGANConfig
from gan_demo.training.data import image_names, read_split, vary_strokes
from gan_demo.training.family import train
from gan_demo.training.gan import GANConfig
from gan_demo.training.loop import NonFiniteLoss, fit, save_run
from gan_demo.training.losses import adversarial, cyclegan_generator_terms, gradient_penalty, pix2pix_generator_terms
from gan_demo.training.pix2pix import Pix2PixConfig
from gan_demo.training.schedule import ImageHistory, adam, linear_decay
from gan_demo.training.stargan import StarGANConfig
from tests.conftest import generator_entry

CPU = torch.device("cpu")


def test_adversarial_losses_match_their_definitions():
    logits = torch.tensor([0.0, 2.0])
    assert adversarial(logits, target_real=True, mode="lsgan") == pytest.approx(((0 - 1) ** 2 + (2 - 1) ** 2) / 2)
    assert adversarial(logits, target_real=False, mode="lsgan") == pytest.approx((0 + 4) / 2)
    assert adversarial(torch.tensor([0.0]), target_real=True, mode="bce") == pytest.approx(0.693147, abs=1e-5)
    assert adversarial(logits, target_real=True, mode="wgan") == pytest.approx(-1.0)
    hinge = torch.tensor([-0.5, 0.5, 3.0])
    assert adversarial(hinge, target_real=True, mode="hinge") == pytest.approx((1.5 + 0.5 + 0) / 3)
    assert adversarial(hinge, target_real=False, mode="hinge") == pytest.approx((0.5 + 1.5 + 4.0) / 3)
    assert adversarial(hinge, target_real=True, mode="hinge", for_generator=True) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="bce, lsgan, wgan, hinge"):
        adversarial(logits, target_real=True, mode="softplus")


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    def critic(x):
        return x.flatten(1)[:, :1].sum(1)  # gradient (1, 0, 0, …): norm exactly 1

    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    assert gradient_penalty(critic, real, fake) == pytest.approx(0.0, abs=1e-6)
    assert gradient_penalty(lambda x: 3 * critic(x), real, fake) == pytest.approx(10 * 4.0)


def test_pix2pix_terms_weight_l1_by_lambda():
    target = torch.zeros(1, 3, 4, 4)
    terms = pix2pix_generator_terms(torch.zeros(1, 1, 2, 2), torch.full_like(target, 0.5), target, lambda_l1=100)
    assert terms["G_L1"] == pytest.approx(50.0)


def test_cyclegan_terms_follow_the_paper_weights():
    a, b = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    terms = cyclegan_generator_terms(
        real_a=a,
        real_b=b,
        fake_b=b,
        fake_a=a,
        rec_a=a + 0.1,
        rec_b=b,
        same_b=b - 0.2,
        same_a=a,
        logits_fake_b=torch.ones(1, 1, 2, 2),
        logits_fake_a=torch.ones(1, 1, 2, 2),
    )
    assert terms["cycle_a"] == pytest.approx(10 * 0.1) and terms["cycle_b"] == pytest.approx(0.0)
    assert terms["identity_b"] == pytest.approx(0.5 * 10 * 0.2) and terms["G_gan"] == pytest.approx(0.0)


def test_history_buffer_fills_then_mixes_old_and_new():
    history = ImageHistory(4, rng=random.Random(0))
    first = history(torch.arange(4.0).view(4, 1))
    assert torch.equal(first, torch.arange(4.0).view(4, 1))  # while filling, returns what it got
    later = history(torch.full((50, 1), 9.0))
    assert (later == 9.0).any() and (later < 4).any()  # some stored fakes came back, some new ones passed


def test_linear_decay_holds_then_falls_to_zero():
    optimizer = adam([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = linear_decay(optimizer, total_steps=10, decay_steps=4)
    rates = []
    for _ in range(10):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[:7] == [1.0] * 7 and rates[7:] == pytest.approx([0.75, 0.5, 0.25])
    assert optimizer.param_groups[0]["lr"] == 0.0


def test_fit_stops_on_non_finite_losses():
    with pytest.raises(NonFiniteLoss, match="step 2"):
        list(fit(lambda i: {"loss": float("nan") if i == 1 else 1.0}, steps=5))


def test_split_files_keep_validation_images_out(tmp_path):
    folder = tmp_path / "style"
    folder.mkdir()
    for name in ("a", "b", "c"):
        Image.new("RGB", (8, 8)).save(folder / f"{name}.png")
    split = tmp_path / "val.txt"
    split.write_text("# held out\nstyle/b\nother/c\n")
    assert image_names(folder, exclude=read_split(split)) == ["a", "c"]


def test_stroke_variation_changes_thickness_only_of_dark_lines():
    sketch = torch.ones(1, 3, 9, 9)
    sketch[..., 4, :] = -1.0  # one dark line
    generator = torch.Generator().manual_seed(0)
    widths = {int((vary_strokes(sketch, generator)[0, 0] < 0).sum(0).max()) for _ in range(12)}
    assert widths == {0, 1, 3}  # erased, unchanged, or three pixels wide


def make_pairs(root, n=6, size=16):
    for style, colour in (("line", (0, 0, 0)), ("colour", (220, 80, 30))):
        (root / style).mkdir(parents=True)
        for index in range(n):
            image = Image.new("RGB", (size, size), "white")
            image.paste(colour, (index, index, index + 6, index + 6))
            image.save(root / style / f"emoji-{index}.png")
    return root / "line", root / "colour"


def test_a_tiny_pix2pix_run_changes_weights_keeps_losses_finite_and_saves(tmp_path):
    source, target = make_pairs(tmp_path)
    config = Pix2PixConfig(size=32, num_downs=5, base_channels=4, disc_channels=4, batch_size=2)
    trainer, logs = train(pix2pix.FAMILY, config, {"source": source, "target": target}, steps=3, device=CPU)
    generator = trainer.networks()["generator"]
    before = {k: v.clone() for k, v in generator.state_dict().items()}
    history = list(logs)
    assert [log.step for log in history] == [1, 2, 3]
    assert set(history[-1].losses) == {"D_real", "D_fake", "G_gan", "G_L1"}
    assert any(not torch.equal(before[k], v) for k, v in generator.state_dict().items())
    save_run(tmp_path / "run", {"generator": generator}, {"steps": 3})
    assert json.loads((tmp_path / "run" / "run.json").read_text()) == {"steps": 3}
    entry = generator_entry("unet_generator", "sketch", bundled="run/generator")
    loaded = load_network(entry, "generator", device=CPU, checkpoints_dir=tmp_path)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    torch.testing.assert_close(loaded(x), generator.eval()(x), atol=2e-2, rtol=0)  # saved as fp16


def test_a_pix2pix_step_backpropagates_into_the_discriminator_weights_only_for_its_own_update(tmp_path):
    source, target = make_pairs(tmp_path)
    config = Pix2PixConfig(size=32, num_downs=5, base_channels=4, disc_channels=4, batch_size=2)
    trainer, logs = train(pix2pix.FAMILY, config, {"source": source, "target": target}, steps=2, device=CPU)
    gradients = []
    next(trainer.discriminator.parameters()).register_hook(gradients.append)
    list(logs)
    assert len(gradients) == 2  # one per step: G's update leaves D's weights out of its backward pass


def test_training_networks_compute_the_same_as_with_out_of_place_activations():
    from gan_demo.models import PatchDiscriminator, ResnetGenerator, UnetGenerator

    torch.manual_seed(0)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    for network in (
        ResnetGenerator(base_channels=4, n_blocks=2),
        PatchDiscriminator(base_channels=4),
        UnetGenerator(num_downs=5, base_channels=4),
    ):
        network.train()
        inplace = [m for m in network.modules() if getattr(m, "inplace", False)]
        assert inplace, type(network).__name__
        torch.manual_seed(1)
        out = network(x)
        out.square().mean().backward()
        grads = [p.grad.clone() for p in network.parameters()]
        network.zero_grad()
        for module in inplace:
            module.inplace = False
        torch.manual_seed(1)
        again = network(x)
        again.square().mean().backward()
        torch.testing.assert_close(again, out)
        for grad, p in zip(grads, network.parameters(), strict=True):
            torch.testing.assert_close(p.grad, grad)


def test_a_tiny_cyclegan_run_trains_both_directions(tmp_path):
    dir_a, dir_b = make_pairs(tmp_path)
    config = CycleGANConfig(size=16, base_channels=4, n_blocks=1, disc_channels=4, batch_size=2, history=3)
    trainer, logs = train(cyclegan.FAMILY, config, {"domain_a": dir_a, "domain_b": dir_b}, steps=2, device=CPU)
    before = [p.clone() for p in trainer.b_to_a.parameters()]
    history = list(logs)
    assert {"cycle_a", "cycle_b", "identity_a", "identity_b", "D_A_fake", "D_B_real"} <= set(history[-1].losses)
    assert all(torch.isfinite(torch.tensor(v)) for v in history[-1].losses.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.b_to_a.parameters(), strict=True))


def test_save_run_leaves_no_partial_folder_on_failure(tmp_path):
    class Broken(PatchDiscriminator):
        def save_pretrained(self, *args, **kwargs):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_run(tmp_path / "run", {"d": Broken(base_channels=2)}, {})
    assert list(tmp_path.iterdir()) == []


def test_a_save_that_fails_as_it_takes_the_name_keeps_the_earlier_save(tmp_path, monkeypatch):
    import gan_demo.training.loop as loop

    save_run(tmp_path / "run", {"d": PatchDiscriminator(base_channels=2)}, {"steps": 1})
    real, calls = loop.os.replace, []

    def failing_second(src, dst):  # the first moves the earlier save aside; the second would put the new one in
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(loop.os, "replace", failing_second)
    with pytest.raises(OSError, match="disk full"):
        save_run(tmp_path / "run", {"d": PatchDiscriminator(base_channels=2)}, {"steps": 2})
    monkeypatch.undo()
    assert Path(calls[-1]) == tmp_path / "run"  # it failed putting the new save in place, after the old moved aside
    assert [path.name for path in tmp_path.iterdir()] == ["run"]  # no staging or aside folder left
    assert json.loads((tmp_path / "run" / "run.json").read_text()) == {"steps": 1}
    assert (tmp_path / "run" / "d" / "model.safetensors").is_file()


def test_training_command_records_how_to_reproduce_the_run(tmp_path):
    from gan_demo.training.__main__ import main

    source, target = make_pairs(tmp_path)
    argv = [
        "pix2pix",
        "--source",
        str(source),
        "--target",
        str(target),
        "--size",
        "32",
        "--num-downs",
        "5",
        "--base-channels",
        "4",
        "--batch-size",
        "2",
        "--steps",
        "2",
        "--out",
        str(tmp_path / "run"),
    ]
    assert main(argv) == 0
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["command"].endswith(" ".join(argv[-2:])) and record["steps"] == 2
    assert record["config"]["base_channels"] == 4 and record["data"] == {"pairs": 6}
    assert (tmp_path / "run" / "generator" / "model.safetensors").is_file()


def test_diff_augment_keeps_shapes_passes_gradients_and_draws_new_parameters_each_call():
    x = (torch.rand(4, 3, 16, 16) * 2 - 1).requires_grad_(True)
    rng = torch.Generator().manual_seed(0)
    y = diff_augment(x, "color,translation,cutout", rng)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert not torch.equal(diff_augment(x, "translation", rng), diff_augment(x, "translation", rng))
    assert torch.equal(diff_augment(x, "", rng), x)
    with pytest.raises(ValueError, match="unknown augmentation"):
        diff_augment(x, "colour", rng)


def test_translation_repeats_the_border_instead_of_inventing_black():
    white = torch.ones(8, 3, 16, 16)
    assert torch.equal(diff_augment(white, "translation", torch.Generator().manual_seed(1)), white)


def test_cutout_blanks_a_quarter_of_each_image():
    out = diff_augment(torch.ones(5, 3, 16, 16), "cutout", torch.Generator().manual_seed(2))
    assert ((out[:, 0] == 0).float().mean(dim=(1, 2)) == 0.25).all()


@pytest.mark.parametrize(
    "config",
    [
        GANConfig(architecture="fastgan", latent_dim=8, base_channels=2, disc_channels=4, batch_size=4, ema=0.9),
        GANConfig(
            architecture="dcgan",
            latent_dim=8,
            base_channels=2,
            disc_channels=2,
            batch_size=4,
            gan_mode="bce",
            augment="",
            ema=0.0,
        ),
    ],
    ids=["fastgan", "dcgan"],
)
def test_a_tiny_unconditional_run_changes_weights_keeps_losses_finite_and_saves(tmp_path, config):
    folder = tmp_path / "emoji"
    folder.mkdir()
    for index in range(6):
        image = Image.new("RGB", (64, 64), "white")
        image.paste((200, 40 * index, 30), (16, 16, 48, 48))
        image.save(folder / f"e{index}.png")
    trainer, logs = train(gan.FAMILY, config, {"images": folder}, steps=3, device=CPU)
    before = {k: v.clone() for k, v in trainer.sampler.state_dict().items()}
    history = list(logs)
    assert [log.step for log in history] == [1, 2, 3] and history[-1].extra["images"] == 6
    expected = {"G_gan", "D_real", "D_fake"} | ({"D_recon"} if config.architecture == "fastgan" else set())
    assert set(history[-1].losses) == expected
    assert all(torch.isfinite(torch.tensor(v)) for log in history for v in log.losses.values())
    assert any(not torch.equal(before[k], v) for k, v in trainer.sampler.state_dict().items())
    if config.ema:
        assert trainer.sampler is not trainer.generator  # the average is what gets saved
    save_run(tmp_path / "run", {"generator": trainer.sampler}, {"steps": 3})
    entry = generator_entry(f"{config.architecture}_generator", "sample", bundled="run/generator")
    loaded = load_network(entry, "generator", device=CPU, checkpoints_dir=tmp_path)
    z = torch.randn(2, 8)
    torch.testing.assert_close(loaded(z), trainer.sampler.eval()(z), atol=2e-2, rtol=0)  # saved as fp16


def test_gan_config_refuses_what_it_cannot_train():
    with pytest.raises(ValueError, match="64"):
        GANConfig(architecture="dcgan", size=128)
    with pytest.raises(ValueError, match="architecture"):
        GANConfig(architecture="stylegan9")
    with pytest.raises(ValueError, match="augmentation"):
        GANConfig(augment="rotate")


def test_batch_norm_recalibration_measures_the_generators_own_statistics():
    from gan_demo.models import DCGANGenerator
    from gan_demo.training.gan import recalibrate_batch_norm

    generator = DCGANGenerator(latent_dim=8, base_channels=2)
    first_norm = generator.main[1]
    first_norm.running_mean.fill_(5.0)  # stale statistics, as a weight average inherits them
    recalibrate_batch_norm(generator, 8, batches=3, batch_size=4, seed=1)
    rng = torch.Generator().manual_seed(1)
    z = torch.cat([torch.randn(4, 8, generator=rng) for _ in range(3)])
    with torch.no_grad():
        before_norm = generator.main[0](z.reshape(12, 8, 1, 1))
    torch.testing.assert_close(first_norm.running_mean, before_norm.mean(dim=(0, 2, 3)), atol=1e-5, rtol=1e-4)
    assert not generator.training and first_norm.momentum == 0.1


def test_random_crops_cut_windows_of_the_requested_size_from_each_image():
    from gan_demo.training.data import random_crops

    batch = torch.arange(2 * 1 * 6 * 6).reshape(2, 1, 6, 6)
    crops = random_crops(batch, 3, torch.Generator().manual_seed(0))
    assert crops.shape == (2, 1, 3, 3)
    for image, crop in zip(batch, crops, strict=True):
        top, left = divmod(int(crop[0, 0, 0]) % 36, 6)
        assert torch.equal(crop, image[:, top : top + 3, left : left + 3])
    with pytest.raises(ValueError, match="larger"):
        random_crops(batch, 7, torch.Generator())


@pytest.mark.parametrize("residual", [False, True])
def test_cyclegan_can_train_on_crops_and_the_generator_then_takes_the_full_size(tmp_path, residual):
    dir_a, dir_b = make_pairs(tmp_path, size=32)
    config = CycleGANConfig(
        size=32,
        crop=16,
        base_channels=4,
        n_blocks=1,
        disc_channels=4,
        batch_size=2,
        history=3,
        upsample="resize",
        residual=residual,
    )
    trainer, logs = train(cyclegan.FAMILY, config, {"domain_a": dir_a, "domain_b": dir_b}, steps=2, device=CPU)
    assert len(list(logs)) == 2
    assert trainer.a_to_b.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    assert trainer.a_to_b.residual is residual and trainer.b_to_a.residual is residual


def test_cyclegan_command_passes_the_loss_weights_and_the_generator_options_through(tmp_path):
    from gan_demo.training.__main__ import main

    dir_a, dir_b = make_pairs(tmp_path)
    argv = ["cyclegan", "--domain-a", str(dir_a), "--domain-b", str(dir_b), "--size", "16", "--base-channels", "4"]
    argv += ["--n-blocks", "1", "--batch-size", "2", "--residual", "--lambda-cycle", "5", "--lambda-identity", "0"]
    argv += ["--flat-colours-a", "3"]
    assert main([*argv, "--steps", "1", "--out", str(tmp_path / "run")]) == 0
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["config"]["lambda_cycle"] == 5 and record["config"]["lambda_identity"] == 0
    assert record["config"]["residual"] is True
    assert "identity_a" not in record["last_losses"]  # λ_id = 0 skips the identity forward passes
    a2b, b2a = (json.loads((tmp_path / "run" / role / "config.json").read_text()) for role in ("a2b", "b2a"))
    assert a2b["residual"] is True and b2a["residual"] is True
    assert (a2b["flat_colours"], b2a["flat_colours"]) == (0, 3)  # only the generator into A paints flat colours


def test_cyclegan_trains_through_median_flat_parts_and_records_the_stage_in_one_generator_only(tmp_path):
    from gan_demo.training.__main__ import main

    dir_a, dir_b = make_pairs(tmp_path)
    argv = ["cyclegan", "--domain-a", str(dir_a), "--domain-b", str(dir_b), "--size", "16", "--base-channels", "4"]
    argv += ["--n-blocks", "1", "--batch-size", "2", "--flat-parts-a", "6", "--part-colour", "median", "--thin-edges"]
    assert main([*argv, "--steps", "1", "--out", str(tmp_path / "run")]) == 0
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert all(math.isfinite(value) for value in record["last_losses"].values())
    a2b, b2a = (json.loads((tmp_path / "run" / role / "config.json").read_text()) for role in ("a2b", "b2a"))
    assert (b2a["flat_parts"], b2a["part_colour"], b2a["thin_edges"]) == (6.0, "median", True)
    assert not a2b.get("flat_parts") and a2b.get("part_colour", "mean") == "mean" and not a2b.get("thin_edges")


def _tiny_runs(tmp_path, *, images: int = 6):
    """One tiny configuration and its data folders per family, by family name."""
    dir_a, dir_b = make_pairs(tmp_path, n=images, size=16)
    return {
        "gan": (GANConfig(size=64, latent_dim=8, base_channels=2, disc_channels=4, batch_size=2), {"images": dir_a}),
        "pix2pix": (
            Pix2PixConfig(size=32, num_downs=5, base_channels=4, disc_channels=4, batch_size=2),
            {"source": dir_a, "target": dir_b},
        ),
        "cyclegan": (
            CycleGANConfig(size=16, base_channels=4, n_blocks=1, disc_channels=4, batch_size=2, history=3),
            {"domain_a": dir_a, "domain_b": dir_b},
        ),
        "stargan": (
            StarGANConfig(size=16, conv_dim=4, repeat_num=1, disc_conv_dim=4, disc_repeat_num=2, batch_size=2),
            {"domains": [f"a={dir_a}", f"b={dir_b}"]},
        ),
    }


def test_every_family_in_the_table_trains_through_the_one_protocol(tmp_path):
    from gan_demo.training.families import FAMILIES

    runs = _tiny_runs(tmp_path)
    assert set(FAMILIES) == set(runs)
    for name, family in FAMILIES.items():
        assert {option.field for option in family.options} <= {f.name for f in dataclasses.fields(family.config)}
        config, folders = runs[name]
        trainer, logs = train(family, config, folders, steps=2, device=CPU)
        assert [log.step for log in logs] == [1, 2]
        exported = trainer.export()
        assert set(exported) == set(trainer.inference_roles) and not any(m.training for m in exported.values())
        assert set(exported) <= set(trainer.run_networks())
        assert any("disc" in role for role in trainer.networks())  # saved too, so a run can be fine-tuned


def test_a_training_run_leaves_the_global_random_state_untouched(tmp_path):
    from gan_demo.training.families import FAMILIES

    for name, (config, folders) in _tiny_runs(tmp_path).items():
        torch.manual_seed(1234)
        expected = torch.rand(3)
        torch.manual_seed(1234)
        trainer, logs = train(FAMILIES[name], config, folders, steps=2, device=CPU)
        list(logs)  # dropout (pix2pix) and layer initialisation draw from the run's own state
        trainer.export()
        assert torch.equal(torch.rand(3), expected), name


def test_the_same_seed_trains_the_same_weights_whatever_the_global_seed(tmp_path):
    config, folders = _tiny_runs(tmp_path)["pix2pix"]  # dropout: the one user of the global generator in steps
    weights = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        trainer, logs = train(pix2pix.FAMILY, config, folders, steps=2, device=CPU)
        list(logs)
        weights.append(trainer.networks()["generator"].state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    other, logs = train(pix2pix.FAMILY, dataclasses.replace(config, seed=1), folders, steps=2, device=CPU)
    list(logs)
    assert any(not torch.equal(weights[0][k], v) for k, v in other.networks()["generator"].state_dict().items())


def test_a_set_smaller_than_a_batch_is_refused_instead_of_waiting_forever():
    from gan_demo.training.data import random_batches

    images = torch.zeros(3, 3, 4, 4, dtype=torch.uint8)
    with pytest.raises(ValueError, match="3 training images, fewer than one batch of 4; lower the batch size"):
        next(random_batches(images, batch_size=4, generator=torch.Generator(), paired=True))
    assert next(random_batches(images, batch_size=4, generator=torch.Generator(), paired=False))[0].shape[0] == 4


def test_a_data_kind_names_the_folders_it_needs(tmp_path):
    with pytest.raises(ValueError, match="domain_b"):
        train(cyclegan.FAMILY, CycleGANConfig(), {"domain_a": tmp_path}, steps=1, device=CPU)


@pytest.mark.parametrize(
    "run", sorted((Path(__file__).resolve().parents[1] / "checkpoints").glob("*/run.json")), ids=lambda p: p.parent.name
)
def test_the_bundled_models_commands_still_parse_to_their_recorded_config(run):
    from gan_demo.training.__main__ import _config, _parser
    from gan_demo.training.families import FAMILIES

    record = json.loads(run.read_text())
    args = _parser().parse_args(shlex.split(record["command"])[3:])  # after "python -m gan_demo.training"
    assert args.family == record["family"]
    config = FAMILIES[args.family].config
    recorded = dataclasses.asdict(config(**record["config"]))  # fields added since the run keep their defaults
    after = record.get("part_colours", {}).get("config", {})  # a stage fitted after training (part_colours.py)
    assert dataclasses.asdict(_config(config, args)) | after == recorded


def test_a_trainer_continues_from_a_saved_run_folder(tmp_path):
    from gan_demo.training.families import FAMILIES

    for name, (config, folders) in _tiny_runs(tmp_path).items():
        trainer, logs = train(FAMILIES[name], config, folders, steps=1, device=CPU)
        list(logs)
        save_run(tmp_path / name, trainer.run_networks(), {}, half=False)
        fresh, _ = train(FAMILIES[name], dataclasses.replace(config, seed=7), folders, steps=1, device=CPU)
        fresh.load_networks(tmp_path / name)
        for role, network in trainer.run_networks().items():
            saved, loaded = network.state_dict(), fresh.networks()[role].state_dict()
            assert all(torch.equal(saved[k], loaded[k]) for k in saved), (name, role)


def test_a_training_run_folder_lists_itself_as_a_model(tmp_path):
    from gan_demo.registry import Registry
    from gan_demo.training.__main__ import main

    dir_a, dir_b = make_pairs(tmp_path)
    argv = ["cyclegan", "--domain-a", str(dir_a), "--domain-b", str(dir_b), "--size", "16", "--base-channels", "4"]
    argv += [
        "--n-blocks",
        "1",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--out",
        str(tmp_path / "my-pair"),
        "--licence",
        "MIT",
    ]
    assert main(argv) == 0
    entry = Registry().add_run(tmp_path / "my-pair")
    assert (entry.key, entry.task, entry.licence, entry.image_size) == ("my-pair", "translate", "MIT", 16)
    assert entry.directions == {"a2b": "line → colour", "b2a": "colour → line"} and set(entry.weights) == {"a2b", "b2a"}
    network = load_network(entry, "b2a", device=CPU)
    assert network(torch.zeros(1, 3, 16, 16)).shape == (1, 3, 16, 16)


def test_fine_tuning_starts_the_generator_and_its_average_from_the_given_weights(tmp_path):
    from gan_demo.models import FastGANGenerator
    from gan_demo.training.datasets import TrainingData
    from gan_demo.training.gan import GANTrainer

    data = TrainingData((torch.zeros(2, 3, 64, 64, dtype=torch.uint8),))

    start = FastGANGenerator(latent_dim=8, base_channels=2)
    torch.nn.init.normal_(start.to_rgb[0].weight, 0.0, 3.0)  # unlike any initialisation the trainer makes
    start.save_pretrained(tmp_path / "start")
    config = GANConfig(latent_dim=8, base_channels=2, disc_channels=4, init_generator=str(tmp_path / "start"))
    trainer = GANTrainer(config, data, device=CPU)
    for model in (trainer.generator, trainer.sampler):
        torch.testing.assert_close(model.to_rgb[0].weight, start.to_rgb[0].weight, rtol=0, atol=0)
    with pytest.raises(RuntimeError, match="size mismatch"):
        GANTrainer(dataclasses.replace(config, base_channels=4), data, device=CPU)
