"""Checkpoints: a reloaded model predicts the same; a resumed run continues to the same weights."""

from __future__ import annotations

import torch

from fusionbench.baselines.data import collate
from fusionbench.baselines.train import TrainConfig, Trainer, load_checkpoint


def _config(tmp_path, name):
    return TrainConfig(tasks=("htr", "vqa", "c2c"), steps=4, batch_size=3, sampler="round-robin",
                       output_dir=str(tmp_path / name), progress=False, seed=3)


def test_reloaded_model_gives_identical_outputs(tmp_path, rows):
    trainer = Trainer(_config(tmp_path, "a"), resume=False)
    trainer.run()
    model, state = load_checkpoint(tmp_path / "a")
    assert state["step"] == 4 and model.alphabet == trainer.model.alphabet
    batch = collate("htr", rows["htr"][:2], model)
    trainer.model.eval()
    model.eval()
    with torch.no_grad():
        expected = trainer.model.heads["htr"].logits(trainer.model, batch["images"])
        found = model.heads["htr"].logits(model, batch["images"])
    assert torch.equal(expected, found)
    assert model.tokenizer.encode("Question: what?") == trainer.model.tokenizer.encode("Question: what?")


def test_resume_continues_the_step_count_and_matches_an_uninterrupted_run(tmp_path):
    full = Trainer(_config(tmp_path, "full"), resume=False)
    full.run()

    first = Trainer(_config(tmp_path, "split"), resume=False)
    first.train_step()
    first.train_step()
    first.save()
    resumed = Trainer(_config(tmp_path, "split"), resume=True)
    assert resumed.step == 2
    assert resumed.scheduler.last_epoch == 2
    summary = resumed.run()
    assert summary["steps"] == 4
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6), name


def test_unused_parameters_are_not_updated(tmp_path):
    trainer = Trainer(TrainConfig(tasks=("htr",), steps=3, batch_size=2, output_dir=None, progress=False),
                      resume=False)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.run()
    after = dict(trainer.model.named_parameters())
    assert torch.equal(before["heads.vqa.lm.weight"], after["heads.vqa.lm.weight"])  # no weight decay either
    assert torch.equal(before["backbone.stem.0.weight"], after["backbone.stem.0.weight"])
    assert not torch.equal(before["heads.htr.classifier.weight"], after["heads.htr.classifier.weight"])


def test_a_finished_run_can_be_extended(tmp_path):
    config = _config(tmp_path, "extend")
    config.steps = 2
    Trainer(config, resume=False).run()
    config.steps = 4
    extended = Trainer(config, resume=True)
    assert extended.step == 2
    assert extended.run()["steps"] == 4
