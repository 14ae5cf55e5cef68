"""Training past one machine: the same trainers in two gloo processes, sharded data, one set of weights."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from gan_demo.training import distributed
from gan_demo.training.datasets import TrainingData
from gan_demo.training.distributed import Session, derived_seed

CPU = torch.device("cpu")
FAMILIES = ("gan", "pix2pix", "cyclegan", "stargan")
ROOT = Path(__file__).resolve().parents[1]


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _state(trainer) -> dict[str, torch.Tensor]:
    return {
        f"{role}.{name}": tensor.detach().clone().contiguous()
        for role, network in trainer.networks().items()
        for name, tensor in network.state_dict().items()
    }


def _train_every_family(root: Path, rank: int, runs: dict) -> None:
    """A few steps of each family; this rank's start and end weights, losses and data share, on disk."""
    from gan_demo.training.families import FAMILIES as TABLE
    from gan_demo.training.family import train

    for name, (config, folders) in runs.items():
        trainer, logs = train(TABLE[name], config, folders, steps=3, device=CPU)
        start = _state(trainer)
        losses = [log.losses for log in logs]
        end = _state(trainer)
        shard = {f"set{i}": images.contiguous() for i, images in enumerate(trainer.data.sets)}
        save_file(
            {**{f"start.{k}": v for k, v in start.items()}, **{f"end.{k}": v for k, v in end.items()}, **shard},
            root / f"{name}-{rank}.safetensors",
        )
        (root / f"{name}-{rank}.json").write_text(json.dumps(losses))


def _rank(rank: int, world_size: int, ports: list[int], root: Path, runs: dict) -> None:
    """One process: the library, then both commands, each a process group of its own (a fresh port)."""
    from gan_demo.cli import main as gan_demo
    from gan_demo.training.__main__ import main as training

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    os.environ["MASTER_PORT"] = str(ports[0])
    with distributed.session(CPU):
        votes = [distributed.agree(rank == 1), distributed.agree(False)]  # one process's clock says stop: all stop
        _train_every_family(root, rank, runs)
    (root / f"votes-{rank}.json").write_text(json.dumps(votes))
    line, colour = root / "data" / "line", root / "data" / "colour"
    with open(root / f"out-{rank}.txt", "w") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        os.environ["MASTER_PORT"] = str(ports[1])
        data = ["--domain-a", str(line), "--domain-b", str(colour)]
        tiny = ["--size", "16", "--base-channels", "4", "--n-blocks", "1", "--batch-size", "2", "--log-every", "1"]
        assert training(["cyclegan", *data, *tiny, "--steps", "2", "--out", str(root / "cli-run")]) == 0
        os.environ["MASTER_PORT"] = str(ports[3])  # resumed: rank 0's streams go on, rank 1 draws new ones;
        assert training(["cyclegan", *data, *tiny, "--steps", "3", "--resume", str(root / "cli-run")]) == 0
        os.environ["MASTER_PORT"] = str(ports[2])  # ... and the closing check finds the same weights in both
        finetune = ["finetune", "cyclegan", "--from", str(root / "cli-run"), "--data", str(line), "--data-b"]
        assert gan_demo([*finetune, str(colour), "--steps", "2", "--batch-size", "2", "--out", str(root / "ft")]) == 0


def test_two_gloo_processes_train_disjoint_shares_and_end_with_the_same_changed_weights(tmp_path):
    from tests.test_training import _tiny_runs

    runs = _tiny_runs(tmp_path / "data", images=8)  # written once, only read; 8: gan-demo finetune's minimum
    runs["stargan"] = (dataclasses.replace(runs["stargan"][0], n_critic=1), runs["stargan"][1])  # G every step
    mp.spawn(_rank, args=(2, _free_ports(4), tmp_path, runs), nprocs=2, join=True)
    for name in FAMILIES:
        ranks = [load_file(tmp_path / f"{name}-{rank}.safetensors") for rank in (0, 1)]
        ends = [{k: v for k, v in r.items() if k.startswith("end.")} for r in ranks]
        assert all(torch.equal(ends[0][k], ends[1][k]) for k in ends[0]), name  # the same weights, bit for bit
        moved = {k.split(".")[1] for k in ends[0] if not torch.equal(ends[0][k], ranks[0]["start" + k[3:]])}
        assert any("disc" in role for role in moved) and len(moved) >= 2, (name, moved)  # G and D both trained
        losses = [json.loads((tmp_path / f"{name}-{rank}.json").read_text()) for rank in (0, 1)]
        assert losses[0] == losses[1] and len(losses[0]) == 3  # reduced across the processes
        for key in (k for k in ranks[0] if k.startswith("set")):
            mine, theirs = ranks[0][key].flatten(1), ranks[1][key].flatten(1)
            assert not (mine[:, None] == theirs[None]).all(-1).any(), (name, key)  # no image in both shares
    assert [json.loads((tmp_path / f"votes-{rank}.json").read_text()) for rank in (0, 1)] == [[True, False]] * 2
    outputs = [(tmp_path / f"out-{rank}.txt").read_text() for rank in (0, 1)]
    assert "saved" in outputs[0] and str(tmp_path / "ft") in outputs[0] and outputs[1] == ""  # rank 0 alone speaks
    for run, steps in (("cli-run", 3), ("ft", 2)):
        record = json.loads((tmp_path / run / "run.json").read_text())
        assert record["steps"] == steps and record["data"]["processes"] == 2
    assert json.loads((tmp_path / "cli-run" / "run.json").read_text())["resumed_at"] == [2]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["cli-run", "data", "ft"]  # no stray folders


def _images(count: int, offset: int = 0) -> torch.Tensor:
    return (torch.arange(count) + offset).to(torch.uint8).view(count, 1, 1, 1).expand(count, 3, 2, 2)


def test_a_share_is_every_nth_image_and_pairs_stay_pairs():
    data = TrainingData((_images(7), _images(7, 100)), {"pairs": 7})
    shares = [Session(rank, 2).shard(data, batch_size=2) for rank in (0, 1)]
    assert [s.sets[0][:, 0, 0, 0].tolist() for s in shares] == [[0, 2, 4, 6], [1, 3, 5]]
    assert all(torch.equal(s.sets[1], s.sets[0] + 100) for s in shares)  # each source with its own target
    assert shares[1].summary == {"pairs": 7, "processes": 2}
    assert Session().shard(data, batch_size=2) is data  # one process: everything, untouched


def test_shares_keep_a_subjects_images_of_every_domain_together():
    data = TrainingData((_images(3), _images(4)), {}, names=(("x", "y", "z"), ("w", "x", "y", "z")))
    shares = [Session(rank, 2).shard(data, batch_size=1) for rank in (0, 1)]
    assert [s.names for s in shares] == [(("y",), ("w", "y")), (("x", "z"), ("x", "z"))]
    assert shares[0].sets[1][:, 0, 0, 0].tolist() == [0, 2]  # w and y of the second domain


def test_a_share_smaller_than_a_batch_is_refused_in_every_process_alike():
    data = TrainingData((_images(7),), {"images": 7})
    for rank in (0, 1):
        with pytest.raises(ValueError, match="7 images: split across 2 processes, one gets 3, fewer than a batch of 4"):
            Session(rank, 2).shard(data, batch_size=4)


def test_other_processes_and_later_calls_draw_other_streams():
    assert derived_seed(5) == 5 and derived_seed(5, 0, 0) == 5  # rank 0 of a first call: the run's own seed
    seeds = {derived_seed(5, rank, stream) for rank in range(3) for stream in (0, 40)}
    assert len(seeds) == 6 and all(0 <= s < 2**63 for s in seeds)


def test_alone_the_session_is_a_single_process_that_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    with distributed.session(CPU) as session:
        assert (session.rank, session.world_size, session.is_main, session.distributed) == (0, 1, True, False)
        assert distributed.agree(True) and not distributed.agree(False)
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE must be a whole number, got 'two'"):
        with distributed.session(CPU):
            pass
