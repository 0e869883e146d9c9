"""The helpers every chapter shares (gentle_llm.common, checks.token_ids): one home each."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from gentle_llm import checks, common, devices, finetune, model_facts, preference
from gentle_llm.common import IGNORE_INDEX, eval_mode, logits_of, output_logits, sequence_logprob
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.risks import continuation_logprobs

TINY = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8)


def test_the_old_homes_still_export_the_moved_names() -> None:
    """Labs and learners import these from the chapter modules; those names must keep working."""
    assert devices.model_device is common.model_device
    assert preference.sequence_logprob is common.sequence_logprob
    assert finetune.IGNORE_INDEX == IGNORE_INDEX == -100
    assert model_facts.human_bytes is common.human_bytes


def test_eval_mode_restores_the_mode_even_when_the_block_raises() -> None:
    model = nn.Dropout(0.5)
    with pytest.raises(RuntimeError, match="boom"), eval_mode(model):
        assert not model.training
        raise RuntimeError("boom")
    assert model.training
    model.eval()
    with eval_mode(model):
        pass
    assert not model.training  # a model in eval mode stays there
    with eval_mode(len) as same:  # a plain callable passes through
        assert same is len


def test_a_failing_probe_leaves_a_training_model_in_train_mode() -> None:
    """Before: risks.continuation_logprobs restored train mode without finally."""
    model = GPT(TINY).train()
    with pytest.raises(ValueError, match="context is 8 tokens"):
        continuation_logprobs(model, [1] * 6, [[2, 3, 4]])
    assert model.training


def test_logits_of_reads_every_kind_of_model_output() -> None:
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    ids = torch.tensor([[1, 2, 3]])
    expected = model(ids)[0]
    hf_like = SimpleNamespace(logits=expected)
    torch.testing.assert_close(logits_of(model, ids), expected)
    torch.testing.assert_close(logits_of(lambda x: expected, ids), expected)
    torch.testing.assert_close(output_logits(hf_like), expected)
    torch.testing.assert_close(output_logits((expected, None)), expected)

    seen = {}

    def masked(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        seen["mask"] = attention_mask
        return hf_like

    mask = torch.ones_like(ids)
    torch.testing.assert_close(logits_of(masked, ids, mask), expected)
    assert seen["mask"] is mask
    # Our models take no mask: it is dropped, not passed on as a second argument.
    torch.testing.assert_close(logits_of(model, ids, mask), expected)


def test_sequence_logprob_counts_only_labelled_tokens() -> None:
    logits = torch.zeros(1, 3, 4)  # uniform: every token has probability 1/4
    labels = torch.tensor([[IGNORE_INDEX, 2, IGNORE_INDEX]])
    torch.testing.assert_close(sequence_logprob(logits, labels), torch.log(torch.tensor([0.25])))


@pytest.mark.parametrize(
    ("ids", "match"),
    [
        ([0, 1, 11], "Token id 11 at position 2 is outside the model's vocabulary"),
        ([0, -1], "Token id -1 at position 1"),
        ([0, 1.5], "Token id 1.5 at position 1"),
        (torch.tensor([0, 3, 12, 40]), "Token id 12 at position 2"),
        (torch.tensor([-5, 3]), "Token id -5 at position 0"),
        # Training streams are stored as uint16 (encode_stream), which torch cannot compare.
        (torch.tensor([0, 3, 12], dtype=torch.uint16), "Token id 12 at position 2"),
    ],
)
def test_token_ids_names_the_first_bad_id_and_where_it_is(ids, match: str) -> None:
    with pytest.raises(ValueError, match=match) as error:
        checks.token_ids(ids, 11, outside="outside the model's vocabulary", fix="Re-encode it.")
    assert str(error.value).endswith("(ids 0 to 10). Re-encode it.")
    checks.token_ids(torch.arange(11), 11, outside="x", fix="y")  # all good: no error
    checks.token_ids(torch.arange(11).to(torch.uint16), 11, outside="x", fix="y")


def test_the_data_streams_refuse_negative_ids() -> None:
    """Before: only ids above the vocabulary were caught; -1 reached the embedding."""
    from gentle_llm.data import unpack_data

    good = torch.arange(20) % 11
    with pytest.raises(ValueError, match="Token id -1 at position 3 .*training stream"):
        unpack_data((torch.tensor([1, 2, 3, -1, 4]), good), vocab_size=11)


def test_whole_number_with_a_maximum_and_instance_name_the_rule() -> None:
    assert checks.whole_number(3, "k", 1, 3) == 3
    for bad in (0, 4, 2.0, True):
        with pytest.raises(ValueError, match=r"k must be a whole number from 1 to 3, got"):
            checks.whole_number(bad, "k", 1, 3)
    with pytest.raises(TypeError, match=r"^text must be a str, got int\.$"):
        checks.instance(5, "text", str)
    with pytest.raises(TypeError, match=r"model must be a torch.nn.Module, e.g. a GPT, got str"):
        checks.instance("gpt", "model", nn.Module, "a torch.nn.Module, e.g. a GPT")


def test_the_shared_checks_name_the_values_and_the_fix() -> None:
    """index, divisible, not_empty and same: one wording wherever a module needs them."""
    assert checks.index(2, "head", 3) == 2
    with pytest.raises(ValueError, match=r"^head 3 does not exist: pick one of 0\.\.2 \(they"):
        checks.index(3, "head", 3)
    with pytest.raises(TypeError, match=r"^head must be a whole number from 0 to 2, got 1\.0\."):
        checks.index(1.0, "head", 3)
    assert checks.divisible(12, "n_embd", 4, "n_head", "why") == 12
    with pytest.raises(ValueError, match=r"^n_embd \(10\) must be divisible by n_head \(4\): why"):
        checks.divisible(10, "n_embd", 4, "n_head", "why")
    with pytest.raises(ValueError, match=r"^dim \(7\) must be divisible by 2: even please\.$"):
        checks.divisible(7, "dim", 2, "2", "even please.")
    assert checks.not_empty([1], "xs", "fix") == [1]
    with pytest.raises(ValueError, match=r"^xs is empty: add one\.$"):
        checks.not_empty([], "xs", "add one.")
    with pytest.raises(ValueError, match=r"^xs is empty: add one\.$"):
        checks.not_empty(torch.zeros(2, 0), "xs", "add one.")  # a tensor counts its elements
    with pytest.raises(ValueError, match=r"^xs has only 1: add two\.$"):
        checks.not_empty("a", "xs", "add two.", minimum=2)
    checks.same(3, 3, "sizes", "fix")
    with pytest.raises(ValueError, match=r"^The sizes differ \(3 and 4\): match them\.$"):
        checks.same(3, 4, "The sizes", "match them.")
