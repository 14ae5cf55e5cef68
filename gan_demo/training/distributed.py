"""Training past one machine: the same trainers, unchanged, in N processes started by torchrun.

    torchrun --standalone --nproc-per-node=2 -m gan_demo.training gan --images DIR --steps 2000 --out runs/x
    torchrun --standalone --nproc-per-node=2 -m gan_demo finetune gan --from emoji-fluent --data DIR --out runs/y

gloo joins CPU processes, NCCL GPUs (one per process: cuda:LOCAL_RANK). Without torchrun (WORLD_SIZE unset
or 1) every function here is a no-op, so the single-process path is exactly what it was.

Why no DistributedDataParallel wrapper: the families' `update()`s run a discriminator several times before
one backward (real, then fake), switch its requires_grad between the D and G steps, call its own methods
(Projected GAN's `project` / `judge`) and take gradients of gradients (WGAN-GP), which are the known DDP
pitfalls (an in-place error from buffers broadcast at every forward, unused parameters, no double backward
through the reducer); wrapping would also rename every weight `module.…`. Instead the networks stay as they
are and the process group joins in at points no family sees:

1. Before every optimiser step (a step pre-hook), that optimiser's gradients are averaged across the
   processes in one flat all-reduce: what DDP's reducer computes, so every process takes the same step from
   the same weights (broadcast from rank 0 at the start) and the weights stay identical.
2. After every training step the loss terms are averaged, for the log and so that the NaN guard decides
   alike everywhere, and rank 0's floating buffers (batch-norm statistics) are copied to the others, as
   DDP's `broadcast_buffers` does.
3. Each process trains on its own disjoint share of the images (`shard`, a DistributedSampler without the
   padding that duplicates images of a small set) and draws from its own random stream.

The effective batch is N × --batch-size. Rank 0 alone writes run folders and prints; decisions that read a
clock (a time budget, a stop request) go through `agree`, so every process stops after the same step, and
`verify` checks before the final save that the processes still hold the same weights.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist
from torch import nn

from gan_demo.device import collective_backend, process_device
from gan_demo.settings import process_ranks
from gan_demo.training.datasets import TrainingData

if TYPE_CHECKING:
    from gan_demo.training.family import Trainer


CPU = torch.device("cpu")


@dataclass(frozen=True)
class Session:
    """This process's place in the run: rank `rank` of `world_size`, on `device`."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = CPU  # where the collectives' small tensors live (NCCL needs them on the GPU)

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """The process that writes run folders and prints (rank 0)."""
        return self.rank == 0

    def shard(self, data: TrainingData, *, batch_size: int) -> TrainingData:
        """This process's disjoint share of every set: images of one subject (same file name) stay together.

        Every share must hold a batch; the check is the same in every process, so all fail alike.
        """
        if not self.distributed:
            return data
        chosen = _shares(data, self.world_size)
        for number, (images, shares) in enumerate(zip(data.sets, chosen, strict=True), 1):
            if (smallest := min(len(share) for share in shares)) < batch_size:
                raise ValueError(
                    f"set {number} has {len(images)} images: split across {self.world_size} processes, one "
                    f"gets {smallest}, fewer than a batch of {batch_size}; use fewer processes or a smaller batch"
                )
        mine = [shares[self.rank] for shares in chosen]
        names = ()
        if data.names:
            names = tuple(tuple(listed[i] for i in keep) for listed, keep in zip(data.names, mine, strict=True))
        sets = tuple(images[torch.tensor(keep)] for images, keep in zip(data.sets, mine, strict=True))
        return replace(data, sets=sets, names=names, summary={**data.summary, "processes": self.world_size})

    def prepare(self, trainer: Trainer, *, stream: int = 0) -> None:
        """Give the trainer this process's random stream; under torchrun, start every process from rank 0's
        weights and average gradients, losses and buffers from now on. `stream` tells GPU calls apart."""
        if self.rank or stream:
            trainer.random.reseed(derived_seed(trainer.rng.initial_seed(), self.rank, stream))
        if not self.distributed:
            return
        modules = _modules(trainer)
        _broadcast([t for module in modules for t in module.state_dict().values()])
        for optimiser in trainer.optimisers():
            optimiser.register_step_pre_hook(self._average_gradients)
        step = trainer.step

        def distributed_step() -> dict[str, float]:
            losses = step()
            _broadcast([b for module in modules for b in module.buffers() if b.is_floating_point()])
            return self._average(losses)

        trainer.step = distributed_step  # type: ignore[method-assign]

    def agree(self, flag: bool) -> bool:
        """True in every process when it is true in any: clock-based decisions are taken together."""
        if not self.distributed:
            return flag
        vote = torch.tensor([float(flag)], device=self.device)
        dist.all_reduce(vote, op=dist.ReduceOp.MAX)
        return bool(vote.item())

    def verify(self, trainer: Trainer) -> None:
        """Raise in every process unless all hold rank 0's weights exactly (checked before the final save)."""
        if not self.distributed:
            return
        mine = torch.cat([t.detach().double().reshape(-1) for m in _modules(trainer) for t in m.state_dict().values()])
        reference = mine.clone()
        dist.broadcast(reference, src=0)
        if self.agree(not torch.equal(mine, reference)):
            raise RuntimeError("the processes' weights diverged; the run is not saved (please report this)")

    def _average_gradients(self, optimiser: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        # Which parameters have a gradient depends on the code path, never on the data, so every process
        # reduces the same list in the same order.
        _all_reduce_mean([p.grad for g in optimiser.param_groups for p in g["params"] if p.grad is not None])

    def _average(self, losses: dict[str, float]) -> dict[str, float]:
        values = torch.tensor(list(losses.values()), dtype=torch.float64, device=self.device)
        _all_reduce_mean([values])
        return dict(zip(losses, values.tolist(), strict=True))


_ACTIVE: Session | None = None


def current() -> Session:
    """The session of this process: the one `session()` opened, or a single process on the CPU."""
    return _ACTIVE or Session()


def agree(flag: bool) -> bool:
    """`current().agree(flag)`: for the training loops' time budgets and stop requests."""
    return current().agree(flag)


@contextlib.contextmanager
def session(device: torch.device) -> Iterator[Session]:
    """Join the process group torchrun describes (RANK, WORLD_SIZE, MASTER_ADDR, …), for the body's length.

    Yields this process's Session; its `device` is the one to train on (cuda:LOCAL_RANK on GPUs).
    """
    global _ACTIVE
    rank, world_size, local_rank = process_ranks()
    if world_size <= 1:
        yield Session(device=device)
        return
    device, backend = process_device(device, local_rank), collective_backend(device)
    bound = device if backend == "nccl" else None  # NCCL binds the process group to this process's GPU
    dist.init_process_group(backend, rank=rank, world_size=world_size, device_id=bound)
    _ACTIVE = Session(rank, world_size, device)
    try:
        yield _ACTIVE
        dist.barrier()  # rank 0's last save is on disk before any process moves on
    finally:
        _ACTIVE = None
        dist.destroy_process_group()


def derived_seed(seed: int, *salt: int) -> int:
    """A seed for another stream of the same run (another process, a later GPU call); no salt: `seed`."""
    if not any(salt):
        return seed
    digest = hashlib.blake2b(repr((seed, *salt)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # torch seeds are below 2**63


def _shares(data: TrainingData, world_size: int) -> list[list[list[int]]]:
    """For every set, the image indices of each process: subjects dealt out in name order, or every N-th image."""
    if not data.names:
        return [[list(range(rank, len(images), world_size)) for rank in range(world_size)] for images in data.sets]
    subjects = sorted(set().union(*data.names))
    owner = {name: index % world_size for index, name in enumerate(subjects)}
    return [
        [[i for i, name in enumerate(listed) if owner[name] == rank] for rank in range(world_size)]
        for listed in data.names
    ]


def _modules(trainer: Trainer) -> list[nn.Module]:
    return [value for value in vars(trainer).values() if isinstance(value, nn.Module)]


def _flat_groups(tensors: list[torch.Tensor]) -> Iterator[tuple[list[torch.Tensor], torch.Tensor]]:
    """The tensors grouped by dtype and device (in first-seen order), each group with one flat copy of it."""
    groups: dict[tuple, list[torch.Tensor]] = {}
    for tensor in tensors:
        groups.setdefault((tensor.dtype, tensor.device), []).append(tensor)
    for group in groups.values():
        yield group, torch.cat([t.detach().reshape(-1) for t in group])


def _scatter_back(group: list[torch.Tensor], flat: torch.Tensor) -> None:
    offset = 0
    for tensor in group:
        tensor.detach().copy_(flat[offset : offset + tensor.numel()].view_as(tensor))
        offset += tensor.numel()


def _all_reduce_mean(tensors: list[torch.Tensor]) -> None:
    for group, flat in _flat_groups(tensors):
        dist.all_reduce(flat)
        _scatter_back(group, flat / dist.get_world_size())


def _broadcast(tensors: list[torch.Tensor]) -> None:
    for group, flat in _flat_groups(tensors):
        dist.broadcast(flat, src=0)
        _scatter_back(group, flat)
