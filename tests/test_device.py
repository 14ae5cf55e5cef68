from __future__ import annotations

import pytest
import torch

from gan_demo.device import describe, gpu_task, select_device


def test_cpu_is_always_available():
    assert select_device("cpu") == torch.device("cpu")
    assert "CPU" in describe(torch.device("cpu"))


def test_auto_picks_a_real_device():
    assert select_device("auto").type in {"cpu", "cuda", "mps"}


def test_unknown_device_names_the_choices():
    with pytest.raises(ValueError, match="auto, cpu, cuda, mps"):
        select_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without CUDA")
def test_missing_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        select_device("cuda")


def test_gpu_task_is_a_no_op_off_zerogpu(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def work():
        return 42

    assert gpu_task()(work) is work
