"""Fitting the learned part colours of a flat-parts generator (gan_demo/training/part_colours.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from gan_demo.hub import load_network
from gan_demo.models.colour_regions import FlatParts
from gan_demo.models.resnet import ResnetGenerator
from gan_demo.training import part_colours
from tests.conftest import generator_entry


def shaded_and_flat(n: int, size: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n pairs [n, 3, size, size] in [0, 1]: a disc shaded darker towards its bottom on white, and the same disc
    in one flat colour, brighter than the shaded one's median (as a flat drawing's colour is)."""
    generator = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    disc = ((ys - size / 2) ** 2 + (xs - size / 2) ** 2).sqrt() < size / 3
    shaded, flat = torch.ones(n, 3, size, size), torch.ones(n, 3, size, size)
    for i in range(n):
        colour = 0.3 + 0.6 * torch.rand(3, generator=generator)
        shade = 1 - 0.35 * ys / size  # smooth: neighbours within a few ΔE, so the disc stays one part
        shaded[i][:, disc] = (colour.view(3, 1, 1) * shade)[:, disc]
        flat[i][:, disc] = colour.view(3, 1).expand(3, int(disc.sum()))
    return shaded, flat


def test_fitting_moves_each_part_towards_the_true_colour_under_it():
    shaded, flat = shaded_and_flat(24)
    stage = FlatParts(8.0, "learned", thin_edges=True)
    figures = part_colours.fit_part_colours(stage, shaded, flat, steps=400)
    assert figures["parts"] >= 24 and figures["loss_fitted"] < 0.4 * figures["loss_median"]
    test_shaded, test_flat = shaded_and_flat(8, seed=1)  # other colours than the fitted ones
    with torch.no_grad():
        median = (FlatParts(8.0, "median", thin_edges=True)(test_shaded * 2 - 1) + 1) / 2
        learned = (stage(test_shaded * 2 - 1) + 1) / 2
    assert (learned - test_flat).abs().mean() < 0.6 * (median - test_flat).abs().mean()
    with pytest.raises(ValueError, match="no learned colour"):
        part_colours.fit_part_colours(FlatParts(8.0, "median"), shaded, flat, steps=1)


def write_pngs(folder: Path, images: torch.Tensor, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for image, name in zip(images, names, strict=True):
        array = (image.permute(1, 2, 0) * 255).round().byte().numpy()
        Image.fromarray(array).save(folder / f"{name}.png")
    return folder


def tiny_cyclegan(folders: dict[str, Path], out: Path, *extra: str) -> list[str]:
    """`python -m gan_demo.training` arguments of a 2-step CycleGAN run: flat (A) ↔ shaded (B), 32 px."""
    return [
        "cyclegan", "--domain-a", str(folders["target"]), "--domain-b", str(folders["source"]),
        "--split", str(folders["split"]), "--size", "32", "--n-blocks", "1", "--base-channels", "4",
        "--batch-size", "2", "--residual", "--flat-parts-a", "8", "--thin-edges", "--steps", "2",
        "--log-every", "100", "--out", str(out), *extra,
    ]  # fmt: skip


@pytest.fixture
def flat_run(tmp_path: Path) -> dict[str, Path]:
    """Paired shaded/flat folders (one pair held out) and a tiny CycleGAN run whose b2a paints part medians."""
    from gan_demo.training.__main__ import main as training

    shaded, flat = shaded_and_flat(6)
    names = [f"e{i}" for i in range(6)]
    split = tmp_path / "val_split.txt"
    split.write_text("# held out\nmodern/e5\nflat/e5\n")
    folders = {
        "source": write_pngs(tmp_path / "modern", shaded, names),
        "target": write_pngs(tmp_path / "flat", flat, names),
        "split": split,
        "tmp": tmp_path,
    }
    assert training(tiny_cyclegan(folders, tmp_path / "run", "--part-colour", "median")) == 0
    return {**folders, "run": tmp_path / "run"}


def cli(paths: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "--model", str(paths["run"]), "--role", "b2a", "--source", str(paths["source"]),
        "--target", str(paths["target"]), "--split", str(paths["split"]), "--size", "32", "--steps", "200",
        "--out", str(out), *extra,
    ]  # fmt: skip


def network(folder: Path, role: str, root: Path) -> torch.nn.Module:
    entry = generator_entry("resnet_generator", "translate", bundled=str((folder / role).relative_to(root)))
    return load_network(entry, "generator", device=torch.device("cpu"), checkpoints_dir=root)


def test_the_command_writes_a_new_run_whose_generator_paints_learned_colours_and_fine_tunes(flat_run, capsys):
    from gan_demo.training.__main__ import main as training

    out, root = flat_run["tmp"] / "fitted", flat_run["tmp"]
    capsys.readouterr()
    assert part_colours.main(cli(flat_run, out, "--edge", "9")) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["pairs"] == {"modern": 5} and figures["edge"] == 9.0  # e5 is held out
    assert figures["loss_fitted"] < figures["loss_median"]
    record = json.loads((out / "run.json").read_text())
    assert record["family"] == "cyclegan" and record["part_colours"]["role"] == "b2a"
    assert record["part_colours"]["command"].startswith("python -m gan_demo.training.part_colours --model ")
    assert record["config"]["part_colour"] == "learned" and record["config"]["flat_parts_a"] == 9.0
    assert record["part_colours"]["config"] == {
        "flat_colours_a": 0,
        "flat_parts_a": 9.0,
        "part_colour": "learned",
        "thin_edges": True,
    }
    config = json.loads((out / "b2a" / "config.json").read_text())
    assert config["part_colour"] == "learned" and config["flat_parts"] == 9.0 and config["thin_edges"]
    original = json.loads((flat_run["run"] / "b2a" / "config.json").read_text())
    assert original["part_colour"] == "median"  # the source run is left as it was
    fitted, before = network(out, "b2a", root), network(flat_run["run"], "b2a", root)
    trunk = {k: v for k, v in fitted.state_dict().items() if not k.startswith("paint.")}
    assert all(torch.equal(v, before.state_dict()[k]) for k, v in trunk.items())  # only the head is new
    assert fitted.paint.head.net[-1].weight.abs().sum() > 0
    assert torch.equal(network(out, "a2b", root).state_dict()["model.1.weight"],
                       network(flat_run["run"], "a2b", root).state_dict()["model.1.weight"])  # fmt: skip

    # a fine-tune from the fitted run (the Fine-tune tab's way: the recorded config) builds and trains the head
    from gan_demo.training.cyclegan import FAMILY
    from gan_demo.training.finetune import base_config

    assert base_config(FAMILY, out, {}).part_colour == "learned"
    tuned = root / "tuned"
    flags = ("--flat-parts-a", "9", "--part-colour", "learned", "--init", str(out))
    assert training(tiny_cyclegan(flat_run, tuned, *flags)) == 0
    head = {k: v for k, v in network(tuned, "b2a", root).state_dict().items() if k.startswith("paint.head.")}
    start = fitted.state_dict()
    assert head and any(not torch.equal(v, start[k]) for k, v in head.items())  # it trained on from the fit


def test_the_command_refuses_what_it_cannot_fit_with_one_line_and_writes_nothing(flat_run, capsys, tmp_path):
    capsys.readouterr()
    taken = tmp_path / "taken"
    taken.mkdir()
    assert part_colours.main(cli(flat_run, taken)) == 2
    assert "exists; choose a new folder" in capsys.readouterr().err
    out = tmp_path / "new"
    assert part_colours.main([*cli(flat_run, out), "--role", "generator"]) == 2  # the last --role wins
    assert "generator/config.json not found" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert part_colours.main([*cli(flat_run, out), "--target", str(empty)]) == 2
    assert "no training pairs" in capsys.readouterr().err
    assert part_colours.main([*cli(flat_run, out), "--role", "a2b", "--edge", "9"]) == 2
    assert "b2a paints flat parts too; one part colour serves both" in capsys.readouterr().err
    plain = tmp_path / "plain"
    ResnetGenerator(base_channels=4, n_blocks=1).save_pretrained(plain / "b2a")
    (plain / "run.json").write_text(json.dumps({"family": "cyclegan", "model": {"architecture": "resnet_generator"}}))
    assert part_colours.main([*cli(flat_run, out), "--model", str(plain)]) == 2
    assert "no flat-parts stage; give --edge" in capsys.readouterr().err
    (plain / "run.json").write_text(json.dumps({"family": "pix2pix", "model": {"architecture": "resnet_generator"}}))
    assert part_colours.main([*cli(flat_run, out), "--model", str(plain)]) == 2
    assert "only the a2b / b2a generators of a CycleGAN run and a StarGAN generator" in capsys.readouterr().err
    assert not out.exists()


def test_a_learned_part_colour_trains_with_its_generator_from_the_start(flat_run):
    from gan_demo.training.__main__ import main as training

    out = flat_run["tmp"] / "learned"
    assert training(tiny_cyclegan(flat_run, out, "--part-colour", "learned")) == 0
    head = network(out, "b2a", flat_run["tmp"]).paint.head
    assert head.net[-1].weight.abs().sum() > 0 and all(torch.isfinite(p).all() for p in head.parameters())


def test_a_stargan_generator_is_fitted_on_its_flat_label_from_every_source_folder(flat_run, capsys):
    from gan_demo.models import StarGANGenerator
    from gan_demo.training.__main__ import main as training

    modern, flat, tmp = flat_run["source"], flat_run["target"], flat_run["tmp"]
    run = tmp / "styles"
    command = [
        "stargan", "--domains", f"modern={modern}", f"flat={flat}", "--split", str(flat_run["split"]),
        "--size", "32", "--repeat-num", "1", "--conv-dim", "4", "--disc-conv-dim", "4", "--disc-repeat-num", "2",
        "--batch-size", "2", "--n-critic", "2", "--flat-parts", "8", "--flat-domain", "flat", "--steps", "2",
        "--log-every", "100", "--out", str(run),
    ]  # fmt: skip
    assert training(command) == 0
    capsys.readouterr()
    out = tmp / "styles-fitted"
    arguments = [*cli(flat_run, out), "--model", str(run), "--role", "generator", "--source", str(modern), str(flat)]
    assert part_colours.main(arguments) == 0
    assert json.loads(capsys.readouterr().out)["pairs"] == {"modern": 5, "flat": 5}
    record = json.loads((out / "run.json").read_text())
    assert record["config"]["flat_parts"] == 8.0 and record["config"]["part_colour"] == "learned"
    config = json.loads((out / "generator" / "config.json").read_text())
    fitted = StarGANGenerator(**config).eval()
    from safetensors.torch import load_file

    fitted.load_state_dict(load_file(out / "generator" / "model.safetensors"), strict=True)
    assert fitted.paint.head.net[-1].weight.abs().sum() > 0
    shaded, _ = shaded_and_flat(2, seed=3)
    unchanged = torch.tensor([[1.0, 0.0], [1.0, 0.0]])  # the modern label: the stage is not blended in
    with torch.no_grad():
        fitted.paint.head.net[-1].weight.zero_(), fitted.paint.head.net[-1].bias.zero_()
        plain = fitted(shaded * 2 - 1, unchanged)
    trained = StarGANGenerator(**config).eval()
    trained.load_state_dict(load_file(out / "generator" / "model.safetensors"), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(trained(shaded * 2 - 1, unchanged), plain)
        to_flat = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
        assert not torch.allclose(trained(shaded * 2 - 1, to_flat), fitted(shaded * 2 - 1, to_flat))


def test_a_fit_repeats_exactly_whatever_the_random_state_before_it():
    shaded, flat = shaded_and_flat(6)
    heads = []
    for noise in (1, 2):
        torch.manual_seed(noise)  # the stage (and its head) built under different random states
        stage = FlatParts(8.0, "learned", thin_edges=True)
        part_colours.fit_part_colours(stage, shaded, flat, steps=20, seed=0)
        heads.append(stage.head.state_dict())
    assert all(torch.equal(heads[0][k], heads[1][k]) for k in heads[0])


def test_a_fit_leaves_the_callers_random_state_alone():
    shaded, flat = shaded_and_flat(2)
    stage = FlatParts(8.0, "learned", thin_edges=True)
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    part_colours.fit_part_colours(stage, shaded, flat, steps=2)
    assert torch.equal(torch.rand(3), expected)
