"""Mixed precision training: autocast around the unchanged updates, fp16 loss scaling that skips bad steps."""

from __future__ import annotations

import pytest
import torch

from gan_demo.training.families import FAMILIES
from gan_demo.training.family import train
from gan_demo.training.precision import resolve_precision, use_precision
from tests.test_training import _tiny_runs

CPU = torch.device("cpu")


def test_auto_is_full_precision_on_a_cpu_and_bad_names_list_the_choices():
    assert resolve_precision("auto", CPU) == "fp32"
    assert resolve_precision("bf16", CPU) == "bf16"
    with pytest.raises(ValueError, match="auto, fp32, bf16, fp16"):
        resolve_precision("fp8", CPU)
    with pytest.raises(ValueError, match="not mps; use fp32"):
        resolve_precision("fp16", torch.device("mps"))


def _output_dtypes(module: torch.nn.Module) -> list[torch.dtype]:
    seen: list[torch.dtype] = []
    module.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    return seen


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_every_family_trains_under_autocast_with_finite_losses(tmp_path, precision):
    for name, (config, folders) in _tiny_runs(tmp_path / precision).items():
        trainer, logs = train(FAMILIES[name], config, folders, steps=1, device=CPU)
        assert use_precision(trainer, precision) == precision
        generator = next(iter(trainer.networks().values()))
        convolution = next(m for m in generator.modules() if isinstance(m, torch.nn.Conv2d))
        seen = _output_dtypes(convolution)
        last = list(logs)[-1]
        assert all(torch.isfinite(torch.tensor(v)) for v in last.losses.values()), name
        assert seen and set(seen) == {{"bf16": torch.bfloat16, "fp16": torch.float16}[precision]}, name
        assert all(p.dtype == torch.float32 for p in generator.parameters())  # the weights stay fp32


def test_fp16_skips_the_step_of_an_optimiser_whose_gradients_overflow_and_lowers_the_scale(tmp_path):
    config, folders = _tiny_runs(tmp_path)["pix2pix"]
    trainer, _ = train(FAMILIES["pix2pix"], config, folders, steps=1, device=CPU)
    use_precision(trainer, "fp16", initial_scale=1.0)  # no overflow of its own at this scale
    first = next(trainer.discriminator.parameters())
    first.register_hook(lambda grad: grad * float("inf"))  # D's gradients overflow, G's do not
    before = {role: {k: v.clone() for k, v in net.state_dict().items()} for role, net in trainer.networks().items()}
    trainer.step()
    after = {role: net.state_dict() for role, net in trainer.networks().items()}
    assert all(torch.equal(before["discriminator"][k], v) for k, v in after["discriminator"].items())
    assert any(not torch.equal(before["generator"][k], v) for k, v in after["generator"].items())
    assert trainer.loss_scaler.get_scale() == 0.5  # backed off
