"""DDP with two CPU ranks (gloo): the ranks stay in sync and rank 0 writes the checkpoint."""

from __future__ import annotations

import os
import socket

import torch
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker(rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    import torch.distributed as dist

    from fusionbench.baselines.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(tasks=("htr", "zsod"), steps=3, batch_size=2, sampler="round-robin",
                                  output_dir=out_dir, progress=False), resume=False)
    assert trainer.world == 2
    trainer.run()
    params = {name: p.detach() for name, p in trainer.model.named_parameters()}
    torch.save(params, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.destroy_process_group()


def test_two_gloo_ranks_train_in_lockstep(tmp_path):
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    zero = torch.load(tmp_path / "rank0.pt")
    one = torch.load(tmp_path / "rank1.pt")
    # Parameters stay identical.  (BatchNorm running statistics are not compared: DDP copies rank
    # 0's buffers at the start of every forward, so after the last one each rank holds its own
    # update; the checkpoint is rank 0's.)
    assert set(zero) == set(one) and any(name.startswith("heads.htr.conv.") for name in zero)
    for name in zero:
        assert torch.allclose(zero[name].float(), one[name].float(), atol=1e-6), name
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert checkpoint["step"] == 3
