"""gentle_llm.retrieval: the handbook, chunking, the three searches, grading (Chapter 14)."""

from __future__ import annotations

import math

import pytest
import torch

from gentle_llm.retrieval import (
    Chunk,
    Hit,
    HybridIndex,
    KeywordIndex,
    SemanticIndex,
    chunk_documents,
    cited_sources,
    cosine_top_k,
    is_correct,
    judge_prompt,
    load_handbook,
    rag_messages,
    recall_at_k,
    reciprocal_rank_fusion,
)

HANDBOOK = load_handbook()


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    return chunk_documents(HANDBOOK["documents"])


@pytest.fixture(scope="module")
def keyword(chunks) -> KeywordIndex:
    return KeywordIndex(chunks)


@pytest.fixture(scope="module")
def semantic(chunks) -> SemanticIndex:
    return SemanticIndex(chunks)


def _mentions(text: str, answer: str) -> bool:
    return is_correct(text, answer)  # the grader itself: would this text count as the answer?


def test_handbook_answers_are_in_their_document_only():
    documents = {d["id"]: d["text"] for d in HANDBOOK["documents"]}
    assert len(documents) == len(HANDBOOK["documents"]) == 32
    questions = HANDBOOK["questions"]
    assert len(questions) == 48
    assert sorted({q["kind"] for q in questions}) == ["keyword", "paraphrase"]
    for q in questions:
        assert _mentions(documents[q["document"]], q["answer"]), q
        others = [
            i
            for i, text in documents.items()
            if i != q["document"] and _mentions(text, q["answer"])
        ]
        assert others == [], (q, others)
        assert not _mentions(HANDBOOK["poisoned"]["text"], q["answer"]), q


def test_poisoned_page_carries_its_payload_and_targets_ferry_questions():
    poisoned = HANDBOOK["poisoned"]
    assert poisoned["payload"] in poisoned["text"]
    assert poisoned["id"] not in {d["id"] for d in HANDBOOK["documents"]}
    targets = [HANDBOOK["questions"][i] for i in poisoned["topic_questions"]]
    assert len(targets) == 8 and all(q["document"].startswith("ferry") for q in targets)


def test_poisoned_payload_is_retrieved_for_its_ferry_questions(chunks):
    # Lab 14's injection experiment only means something if the chunk that carries the
    # instruction (not merely another chunk of the page) reaches the model's prompt.
    poisoned = HANDBOOK["poisoned"]
    attacked = chunks + chunk_documents([poisoned])
    index = HybridIndex(KeywordIndex(attacked), SemanticIndex(attacked))
    targets = [HANDBOOK["questions"][i]["question"] for i in poisoned["topic_questions"]]
    reached = sum(
        any(poisoned["payload"] in hit.chunk.text for hit in index.search(question, 2))
        for question in targets
    )
    assert reached >= 2, f"the payload's chunk is in the top 2 for only {reached} of 8 questions"


def test_chunks_keep_every_word_in_order_and_respect_the_limit(chunks):
    for document in HANDBOOK["documents"]:
        own = [c for c in chunks if c.document == document["id"]]
        assert own and all(c.title == document["title"] for c in own)
        assert " ".join(c.text for c in own).split() == document["text"].split()
    assert max(len(c.text.split()) for c in chunks) <= 80


def test_short_paragraphs_share_a_chunk_and_a_long_one_is_cut_between_sentences():
    long = " ".join(f"Sentence number {i} has five words." for i in range(30))  # 180 words
    documents = [{"id": "a", "title": "A", "text": f"One two.\n\nThree four.\n\n{long}"}]
    chunks = chunk_documents(documents, max_words=40)
    assert chunks[0].text.startswith("One two.\n\nThree four.")
    assert all(len(c.text.split()) <= 40 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
    one_sentence = [{"id": "b", "title": "B", "text": "word " * 50}]
    assert len(chunk_documents(one_sentence, max_words=10)) == 1  # a sentence is never cut


@pytest.mark.parametrize(
    ("documents", "error", "match"),
    [
        ("some text", TypeError, "list of dicts"),
        ([{"id": "a", "text": "x"}], ValueError, r"documents\[0\] has no \['title'\]"),
        ([{"id": "a", "title": "A", "text": 3}], TypeError, "text"),
    ],
)
def test_chunk_documents_explains_bad_documents(documents, error, match):
    with pytest.raises(error, match=match):
        chunk_documents(documents)


def test_cosine_top_k_matches_a_brute_force_ranking():
    generator = torch.Generator().manual_seed(0)
    embeddings = torch.randn(20, 8, generator=generator)
    query = torch.randn(8, generator=generator)
    scores, indices = cosine_top_k(query, embeddings, 5)
    cosines = [
        float(torch.nn.functional.cosine_similarity(query, row, dim=0)) for row in embeddings
    ]
    expected = sorted(range(20), key=lambda i: -cosines[i])[:5]
    assert indices.tolist() == expected
    assert scores.tolist() == pytest.approx([cosines[i] for i in expected], abs=1e-6)
    with pytest.raises(ValueError, match="k"):
        cosine_top_k(query, embeddings, 21)


def test_reciprocal_rank_fusion_by_hand():
    # a: 1/61 + 1/62; b: 1/62 + 1/61; c: 1/63; d: 1/63 + ... ties keep first appearance
    assert reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]]) == ["a", "b", "c", "d"]
    assert reciprocal_rank_fusion([[3, 1], [1, 2]]) == [1, 3, 2]
    assert reciprocal_rank_fusion([]) == []


def test_keyword_search_finds_a_rare_name_and_survives_stop_words(keyword):
    hits = keyword.search("Who is Idris Penhale?", k=3)
    assert hits[0].chunk.document == "library"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(keyword.search("the and of", k=2)) == 2


def test_semantic_search_finds_a_paraphrase(semantic):
    question = next(q for q in HANDBOOK["questions"] if q["document"] == "swimming-pool")
    hits = semantic.search(question["question"], k=3)
    assert any(h.chunk.document == "swimming-pool" for h in hits)
    assert -1.0 <= hits[-1].score <= hits[0].score <= 1.0


def test_recall_and_the_hybrid_index(keyword, semantic):
    questions = HANDBOOK["questions"]
    documents = [q["document"] for q in questions]
    hybrid = HybridIndex(keyword, semantic)
    recalls = {
        name: recall_at_k([index.search(q["question"], k=3) for q in questions], documents)
        for name, index in (("keyword", keyword), ("semantic", semantic), ("hybrid", hybrid))
    }
    assert all(0.7 <= r <= 1.0 for r in recalls.values()), recalls
    hits = hybrid.search(questions[0]["question"], k=4)
    assert len({h.index for h in hits}) == 4
    with pytest.raises(ValueError, match="same chunks"):
        HybridIndex(KeywordIndex(keyword.chunks[:5]), semantic)


def test_recall_at_k_counts_by_hand():
    a, b = Chunk("a", "A", "x"), Chunk("b", "B", "y")
    hits = [[Hit(1.0, 0, a), Hit(0.5, 1, b)], [Hit(1.0, 0, a)]]
    assert recall_at_k(hits, ["b", "b"]) == 0.5
    with pytest.raises(ValueError, match="one document id per question"):
        recall_at_k(hits, ["a"])


def test_rag_messages_number_the_sources_and_cited_sources_reads_them():
    hits = [
        Hit(1.0, 0, Chunk("a", "Ferry", "Boats leave at 7.")),
        Hit(0.5, 1, Chunk("b", "Bus", "At 8.")),
    ]
    messages = rag_messages("When?", hits)
    assert (
        messages[0]["role"] == "system" and "[1] Ferry: Boats leave at 7." in messages[1]["content"]
    )
    assert "[2] Bus: At 8." in messages[1]["content"]
    assert rag_messages("When?", []) == [{"role": "user", "content": "When?"}]
    assert cited_sources("At 7 [1], see also [2] and [1] and [9].", 2) == [1, 2]
    assert cited_sources("no citation", 2) == []


@pytest.mark.parametrize(
    ("reply", "answer", "aliases", "expected"),
    [
        ("The first sailing leaves at 6.45 am.", "6.45 am", [], True),
        ("It leaves at 6.45 pm.", "6.45 am", [], False),
        ("The fine is £80.", "£80", [], True),
        ("The fine is £800.", "£80", [], False),
        ("There are 1200 spaces.", "120", [], False),
        ("There are 120 spaces.", "120", [], True),
        ("It costs £38.00 one way.", "£38.00", [], True),
        ("Ask RUTH ABARA at the office", "Ruth Abara", [], True),
        ("It closes at six in the evening", "6 pm", ["six in the evening"], True),
        ("Gull’s Rest", "Gull's Rest", [], True),
    ],
)
def test_is_correct(reply, answer, aliases, expected):
    assert is_correct(reply, answer, aliases) is expected


def test_judge_prompt_holds_all_three_texts():
    [message] = judge_prompt("When?", "7 am", "At seven.")
    assert all(part in message["content"] for part in ("When?", "7 am", "At seven.", "Yes or No"))
    with pytest.raises(TypeError, match="reply"):
        judge_prompt("When?", "7 am", None)


@pytest.mark.slow
def test_judge_verdicts_are_the_yes_share_of_the_next_word(smollm2):
    from gentle_llm.retrieval import judge_verdicts
    from gentle_llm.risks import continuation_logprobs

    model, tokenizer = smollm2
    chats = [judge_prompt("When?", "7 am", "At 7 am."), judge_prompt("When?", "7 am", "Never.")]
    verdicts = judge_verdicts(model, tokenizer, chats)
    assert len(verdicts) == 2 and all(0.0 < v < 1.0 for v in verdicts)
    for chat, verdict in zip(chats, verdicts, strict=True):
        text = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        prefix = tokenizer.encode(text, add_special_tokens=False)
        words = [tokenizer.encode(w, add_special_tokens=False)[:1] for w in ("Yes", "No")]
        yes, no = continuation_logprobs(model, prefix, words).tolist()
        assert verdict == pytest.approx(1.0 / (1.0 + math.exp(no - yes)), abs=1e-4)
