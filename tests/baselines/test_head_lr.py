"""``head_lr_scale``: a task's own head trains at a multiple of the core's learning rate."""

from __future__ import annotations

import pytest

from fusionbench.baselines.train import TrainConfig, Trainer


def _lr_by_parameter(trainer):
    return {id(p): group["lr"] for group in trainer.optimizer.param_groups for p in group["params"]}


def test_scaled_head_follows_the_schedule_at_its_multiple():
    # steps=10 also covers a one-step warm-up (10 % of 10), which torch's OneCycleLR divides by zero on
    config = TrainConfig(tasks=("htr", "vqa"), steps=10, batch_size=2, sampler="round-robin", progress=False,
                         max_lr=1e-3, head_lr_scale={"htr": 4.0})
    trainer = Trainer(config, resume=False)
    for _ in range(3):
        trainer.train_step()
    lrs = _lr_by_parameter(trainer)
    params = dict(trainer.model.named_parameters())
    htr = lrs[id(params["heads.htr.classifier.weight"])]
    core = lrs[id(params["core.h.0.attn.c_attn.weight"])]
    vqa = lrs[id(params["heads.vqa.lm.weight"])]
    image = lrs[id(params["image_proj.weight"])]
    assert core > 0 and htr == pytest.approx(4.0 * core)
    assert vqa == pytest.approx(core) and image == pytest.approx(core)
    # every trainable parameter is in exactly one group, decay rules unchanged (no decay on biases)
    grouped = [id(p) for g in trainer.optimizer.param_groups for p in g["params"]]
    assert sorted(grouped) == sorted(id(p) for p in trainer.model.parameters() if p.requires_grad)
    decay = {id(p): g["weight_decay"] for g in trainer.optimizer.param_groups for p in g["params"]}
    assert decay[id(params["heads.htr.classifier.bias"])] == 0.0
    assert decay[id(params["heads.htr.classifier.weight"])] == config.weight_decay


def test_unknown_task_in_head_lr_scale_is_refused():
    with pytest.raises(ValueError, match="head_lr_scale: unknown task"):
        Trainer(TrainConfig(tasks=("htr",), steps=2, batch_size=2, progress=False, head_lr_scale={"ocr": 2.0}),
                resume=False)
