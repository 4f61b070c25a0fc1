"""Every head: forward and backward on a real mini-batch of the sample benchmark."""

from __future__ import annotations

import math

import pytest
import torch

from fusionbench.baselines.data import collate, zsod_pairs
from fusionbench.baselines.model import TASKS


def _items(task, rows, n=4):
    return zsod_pairs(rows["zsod"])[:n] if task == "zsod" else rows[task][:n]


@pytest.mark.parametrize("task", TASKS)
def test_loss_is_finite_and_only_the_task_path_gets_gradients(task, rows, tiny_model):
    batch = collate(task, _items(task, rows), tiny_model)
    loss = tiny_model(task, batch)["loss"]
    assert loss.ndim == 0 and math.isfinite(loss.item()) and loss.item() > 0
    loss.backward()
    path = {name for name, _ in tiny_model.task_parameters(task)}
    with_grad = {n for n, p in tiny_model.named_parameters() if p.grad is not None}
    assert with_grad <= path
    assert any(n.startswith(f"heads.{task}.") for n in with_grad)
    assert any(n.startswith("core.h.0.") for n in with_grad)


def test_htr_logits_have_one_frame_per_strip(rows, tiny_model):
    batch = collate("htr", rows["htr"][:3], tiny_model)
    config = tiny_model.config
    assert batch["images"].shape == (3, config.htr_channels, config.htr_height, config.htr_width)
    logits = tiny_model.heads["htr"].logits(tiny_model, batch["images"])
    assert logits.shape == (3, config.htr_steps, len(tiny_model.alphabet) + 1)


def test_htr_strips_are_vertical_slices_in_row_column_channel_order(tiny_model):
    head = tiny_model.heads["htr"]
    images = torch.arange(2 * 4 * 8, dtype=torch.float32).view(1, 2, 4, 8)  # C=2, H=4, W=8
    head.strip = 4
    strips = head.strips(images)
    assert strips.shape == (1, 2, 4 * 4 * 2)
    second = images[0, :, :, 4:8].permute(1, 2, 0).reshape(-1)  # rows, columns, channels
    assert torch.equal(strips[0, 1], second)


@pytest.mark.parametrize("strip", [2, 4, 8, 16])
def test_htr_conv_frontend_gives_one_frame_per_strip_and_stays_local(strip):
    from fusionbench.baselines.config import get_config
    from fusionbench.baselines.heads.htr import HTRHead

    config = get_config("tiny", htr_strip=strip)
    head = HTRHead(config, 32, 5).eval()
    images = torch.zeros(1, 1, config.htr_height, config.htr_width, dtype=torch.uint8)
    with torch.no_grad():
        before = head.frames(images)
        assert before.shape == (1, config.htr_steps, config.htr_conv_channels[-1] * config.htr_height // 8)
        images[..., -strip:] = 255  # ink in the last strip only
        after = head.frames(images)
    changed = (after - before).abs().amax(-1)[0] > 0
    # The three 3x3 blocks see at most 7 input columns per output step: far frames cannot change.
    assert changed[-1] and not changed[: config.htr_steps - 3].any()


def test_htr_frontend_is_validated():
    from fusionbench.baselines.config import get_config

    with pytest.raises(ValueError, match="htr_frontend"):
        get_config("tiny", htr_frontend="lstm")
    with pytest.raises(ValueError, match="power of two"):
        get_config("tiny", htr_strip=12, htr_width=240)


def test_zsod_outputs_twelve_boxes_inside_the_image(rows, tiny_model):
    batch = collate("zsod", zsod_pairs(rows["zsod"])[:2], tiny_model)
    with torch.no_grad():
        boxes, logits = tiny_model.heads["zsod"].predict_raw(tiny_model, batch["images"], batch["input_ids"],
                                                              batch["attention_mask"])
    assert boxes.shape == (2, 12, 4) and logits.shape == (2, 12)
    assert float(boxes.min()) >= 0 and float(boxes.max()) <= 1


def test_vqa_loss_covers_only_answer_tokens(rows, tiny_model):
    batch = collate("vqa", rows["vqa"][:2], tiny_model)
    tok = tiny_model.tokenizer
    for ids, labels, row in zip(batch["input_ids"], batch["labels"], rows["vqa"][:2]):
        target = [int(x) for x in labels if x != -100]
        assert target == tok.encode(" " + row["answers"][0])[:tiny_model.config.max_answer_tokens] + [tok.eos_id]
    answers = tiny_model.heads["vqa"].answer(tiny_model, batch["images"], [r["question"] for r in rows["vqa"][:2]])
    assert len(answers) == 2 and all(isinstance(a, str) for a in answers)


def test_c2c_labels_start_after_the_separator(rows, tiny_model):
    batch = collate("c2c", rows["c2c"][:2], tiny_model)
    tok = tiny_model.tokenizer
    for ids, labels, row in zip(batch["input_ids"].tolist(), batch["labels"].tolist(), rows["c2c"][:2]):
        first = next(i for i, x in enumerate(labels) if x != -100)
        assert ids[first - 1] == tok.sep_id
        assert tok.decode([x for x in labels if x not in (-100, tok.eos_id)]) == row["python"]


def test_greedy_and_beam_decoding_return_token_strings(rows, tiny_model):
    head = tiny_model.heads["c2c"]
    tiny_model.eval()
    java = [rows["c2c"][0]["java"], rows["c2c"][1]["java"]]
    greedy = head.translate(tiny_model, java, beams=1, max_new=6)
    single = [head.translate(tiny_model, [j], beams=1, max_new=6)[0] for j in java]
    assert greedy == single  # batched left-padded decoding equals one-by-one decoding
    beam = head.translate(tiny_model, java[:1], beams=3, max_new=6)
    assert isinstance(beam[0], str)


@pytest.fixture()
def model_2021(vocab):
    from fusionbench.baselines.config import get_config
    from fusionbench.baselines.model import FusionModel

    torch.manual_seed(0)
    config = get_config("fusionbrain-2021", core="random", n_layer=2, n_embd=64, n_head=2, n_positions=512,
                        tokenizer="local-bpe", backbone_width=8, image_size=64, htr_height=64, htr_width=256,
                        htr_strip=4, htr_channels=1, htr_adapter_hidden=128, lstm_layers=1, cross_heads=2,
                        cross_ffn=128, max_answer_tokens=3)
    return FusionModel(config, *vocab)


@pytest.mark.parametrize("task", ["vqa", "zsod"])
def test_fusionbrain_2021_heads_train_through_the_shared_cross_attention(task, rows, model_2021):
    batch = collate(task, _items(task, rows), model_2021)
    loss = model_2021(task, batch)["loss"]
    assert math.isfinite(loss.item())
    loss.backward()
    assert model_2021.cross.layers[0].attn.in_proj_weight.grad is not None
    assert model_2021.image_pos is None


def test_fusionbrain_2021_predicts_eight_slots_and_answers(rows, model_2021):
    model_2021.eval()
    batch = collate("zsod", zsod_pairs(rows["zsod"])[:2], model_2021)
    with torch.no_grad():
        boxes, logits = model_2021.heads["zsod"].predict_raw(model_2021, batch["images"], batch["input_ids"],
                                                              batch["attention_mask"])
    assert boxes.shape == (2, 8, 4) and logits.shape == (2, 8)
    found = model_2021.heads["zsod"].detect(model_2021, batch["images"], batch["input_ids"], batch["attention_mask"],
                                            [(224, 224)] * 2, threshold=0.0)
    assert [len(f) for f in found] == [8, 8]
    vqa = collate("vqa", rows["vqa"][:2], model_2021)
    assert len(model_2021.heads["vqa"].answer(model_2021, vqa["images"], [r["question"] for r in rows["vqa"][:2]])) == 2
    from fusionbench.metrics import sharing_ratio

    report = sharing_ratio(model_2021, model_2021.task_parameters)
    cross = sum(p.numel() for p in model_2021.cross.parameters())
    assert report.per_task["vqa"] - report.per_task["c2c"] >= cross  # the cross layers are on the VQA path
