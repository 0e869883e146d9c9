"""gentle_llm.finetune: prompt masking, chat templates, the instruction dataset, accuracy."""

from __future__ import annotations

import re
import string

import pytest
import torch
import torch.nn.functional as F

from gentle_llm.finetune import (
    IGNORE_INDEX,
    TASKS,
    HFChat,
    SimpleChat,
    answer_accuracy,
    instruction_splits,
    make_batch,
    masked_loss,
)
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.tokenizers import CharTokenizer

PAIRS = [([5, 6, 7], [8, 9]), ([1, 2], [3, 4, 10, 11]), ([12], [13])]


def test_the_mask_hides_exactly_the_prompt_and_padding():
    batch = make_batch(PAIRS, pad_id=0)
    assert batch.input_ids.shape == batch.labels.shape == (3, 6)
    for row, (prompt, answer) in enumerate(PAIRS):
        n, m = len(prompt), len(answer)
        expected = [IGNORE_INDEX] * n + answer + [IGNORE_INDEX] * (6 - n - m)
        assert batch.labels[row].tolist() == expected
        assert batch.input_ids[row].tolist() == prompt + answer + [0] * (6 - n - m)
        assert batch.attention_mask[row].tolist() == [1] * (n + m) + [0] * (6 - n - m)


def test_masked_loss_counts_answer_tokens_only():
    torch.manual_seed(0)
    batch = make_batch(PAIRS)
    logits = torch.randn(*batch.input_ids.shape, 16)
    # By hand: the answer token at position t is predicted by the logits at t - 1.
    terms = []
    for row, (prompt, answer) in enumerate(PAIRS):
        for offset, token in enumerate(answer):
            t = len(prompt) + offset
            terms.append(-F.log_softmax(logits[row, t - 1], dim=-1)[token])
    by_hand = torch.stack(terms).mean()
    assert masked_loss(logits, batch.labels).item() == pytest.approx(by_hand.item(), rel=1e-6)
    everything = F.cross_entropy(logits[:, :-1].flatten(0, 1), batch.input_ids[:, 1:].flatten())
    assert abs(everything.item() - by_hand.item()) > 1e-3  # masking really changes the number


def test_smollm2_chat_template_and_loss_match_transformers(smollm2):
    model, tokenizer = smollm2
    chat = HFChat(tokenizer)
    prompt = chat.prompt_ids("What is 2 + 3?")
    answer = chat.answer_ids("5")
    # The tokenizer's own template, not a copy: the prompt ends with the assistant's turn.
    text = tokenizer.decode(prompt)
    assert text.endswith("<|im_start|>assistant\n") and "What is 2 + 3?" in text
    assert answer[-2:] == tokenizer("<|im_end|>\n", add_special_tokens=False)["input_ids"]
    assert chat.stop_ids == (tokenizer.convert_tokens_to_ids("<|im_end|>"),)
    pairs = [(prompt, answer), (chat.prompt_ids("Reverse the word cat."), chat.answer_ids("tac"))]
    batch = make_batch(pairs, pad_id=tokenizer.pad_token_id)
    with torch.no_grad():
        out = model(
            input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels
        )
    assert masked_loss(out.logits, batch.labels).item() == pytest.approx(out.loss.item(), rel=1e-5)


QUESTIONS = {
    "add": r"What is (\d+) \+ (\d+)\?",
    "reverse": r"Reverse the word ([a-z]+)\.",
    "upper": r"Write ([a-z]+) in capital letters\.",
    "next_letter": r"Which letter comes after ([a-z])\?",
}


def _check(task: str, question: str, answer: str) -> bool:
    """An independent check of one answer, read from the question's words."""
    found = re.fullmatch(QUESTIONS[task], question).groups()
    if task == "add":
        return int(answer) == int(found[0]) + int(found[1])
    word = found[0]
    if task == "reverse":
        return list(answer) == [word[i] for i in range(len(word) - 1, -1, -1)]
    if task == "upper":
        lower, upper = string.ascii_lowercase, string.ascii_uppercase
        return answer == "".join(upper[lower.index(c)] for c in word)
    return string.ascii_lowercase.index(answer) == string.ascii_lowercase.index(word) + 1


def test_the_dataset_is_deterministic_disjoint_and_right():
    train, test = instruction_splits(300, 60, seed=3)
    again = instruction_splits(300, 60, seed=3)
    other = instruction_splits(300, 60, seed=4)
    assert (train, test) == again
    assert (train, test) != other
    assert len(train) == 300 and len(test) == 60
    assert not {ex.question for ex in train} & {ex.question for ex in test}
    assert len({ex.question for ex in train}) == 300
    assert {ex.task for ex in test} == set(TASKS)
    assert sum(ex.task == "next_letter" for ex in test) == 15  # tasks take turns
    assert all(_check(ex.task, ex.question, ex.answer) for ex in train + test)


def test_dataset_errors():
    with pytest.raises(ValueError, match="distinct questions"):
        instruction_splits(20, 10, tasks=["next_letter"])
    with pytest.raises(ValueError, match="task must be one of"):
        instruction_splits(5, 5, tasks=["translate"])


def test_batch_and_loss_errors():
    with pytest.raises(ValueError, match="more than max_length=4"):
        make_batch(PAIRS, max_length=4)
    with pytest.raises(ValueError, match="non-empty prompt"):
        make_batch([([1], [])])
    labels = torch.full((1, 4), IGNORE_INDEX)
    with pytest.raises(ValueError, match="no answer token"):
        masked_loss(torch.zeros(1, 4, 5), labels)


def _char_chat(examples) -> SimpleChat:
    text = "".join(f"Q: {ex.question}\nA: {ex.answer}\n" for ex in examples)
    return SimpleChat(CharTokenizer.from_text(text))


def test_accuracy_is_the_share_of_exact_greedy_answers():
    train, test = instruction_splits(8, 8, seed=0)
    chat = _char_chat(train + test)
    vocab = chat.tokenizer.vocab_size
    # A stand-in model that knows the answers to the first five held-out questions (and for
    # the sixth writes the right answer plus one extra "Q") and never stops otherwise.
    extra = chat.tokenizer.encode("Q")
    known = {}
    for i, ex in enumerate(test[:6]):
        answer = chat.answer_ids(ex.answer)
        wrong = answer[:-1] + extra + answer[-1:]
        known[tuple(chat.prompt_ids(ex.question))] = answer if i < 5 else wrong

    def model(idx: torch.Tensor) -> torch.Tensor:
        ids = idx[0].tolist()
        logits = torch.zeros(1, len(ids), vocab)
        logits[0, -1, 1] = 1.0  # unknown prompts: keep writing token 1
        for prompt, answer in known.items():
            written = len(ids) - len(prompt)
            if tuple(ids[: len(prompt)]) == prompt and written < len(answer):
                logits[0, -1] = 0.0
                logits[0, -1, answer[written]] = 1.0
        return logits

    assert answer_accuracy(model, chat, test, max_new_tokens=8) == 5 / 8
    assert answer_accuracy(model, chat, test[:5]) == 1.0
    with pytest.raises(ValueError, match="at least one example"):
        answer_accuracy(model, chat, [])


def test_masked_fine_tuning_lowers_the_answer_loss_of_a_tiny_gpt():
    train, _ = instruction_splits(16, 0, seed=0, tasks=["upper", "reverse"])
    chat = _char_chat(train)
    pairs = [(chat.prompt_ids(ex.question), chat.answer_ids(ex.answer)) for ex in train]
    batch = make_batch(pairs)
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=chat.tokenizer.vocab_size, block_size=48, n_layer=1, n_head=2, n_embd=32
    )
    model = GPT(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        logits, _ = model(batch.input_ids)
        loss = masked_loss(logits, batch.labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], losses
    # Only answer tokens were learned from: the prompt's tokens got no direct training signal,
    # so its loss stays far above the answers'.
    with torch.no_grad():
        logits, _ = model(batch.input_ids)
    prompt_labels = torch.where(batch.labels == IGNORE_INDEX, batch.input_ids, IGNORE_INDEX)
    prompt_labels[batch.attention_mask == 0] = IGNORE_INDEX
    assert masked_loss(logits, prompt_labels) > masked_loss(logits, batch.labels) + 0.5


def test_custom_words_replace_the_built_in_list():
    words = [a + b + c for a in "abc" for b in "def" for c in "ghi"]  # 27 made-up words
    train, test = instruction_splits(40, 14, seed=0, tasks=["upper", "reverse"], words=words)
    asked = {re.fullmatch(QUESTIONS[ex.task], ex.question).group(1) for ex in train + test}
    assert asked == set(words)  # 54 questions, 2 per word: all 27 words asked
    assert all(_check(ex.task, ex.question, ex.answer) for ex in train + test)
    with pytest.raises(ValueError, match="distinct questions"):
        instruction_splits(50, 5, tasks=["upper", "reverse"], words=words)
    with pytest.raises(ValueError, match="lower-case letters only"):
        instruction_splits(1, 1, tasks=["upper"], words=["Apple", "moon"])
    with pytest.raises(ValueError, match="holds a word twice"):
        instruction_splits(1, 1, tasks=["upper"], words=["moon", "moon"])
