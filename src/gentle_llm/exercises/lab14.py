"""Checks for the exercises of Lab 14, retrieval and agents (Chapter 14)."""

from __future__ import annotations

from typing import Any

from gentle_llm.exercises.core import NotYet, choice, count, exercise, number, pair

N_QUESTIONS = 48
# Embeddings put the right page first for about 40 of the 48 questions (recall@1, Section 3);
# a CPU that rounds differently may move a near-tie, never most of them.
FEW_PAGES_FOUND = 30
# With two chunks about 19 answers are right, with none 0; one chunk keeps a share of them.
FEW_RIGHT = 6
TIMEOUT_S = 1.0
SLOW_TOOL_S = 3.0


@exercise("lab14.one-chunk", "a pair: (right answers with k=1, questions whose page was retrieved)")
def one_chunk(answer: Any) -> None:
    pair(
        answer,
        "pass a pair: (the number of right answers with k=1, the number of questions whose"
        " right page is the one chunk retrieved).",
    )
    right = count(answer[0], "the number of right answers", N_QUESTIONS)
    found = count(answer[1], "the number of questions whose page was retrieved", N_QUESTIONS)
    if found < FEW_PAGES_FOUND:
        raise NotYet(
            "too few right pages found: recall@1 of the embeddings was most of the questions"
            " (Section 3). Compare each question's q['document'] with the chunk's"
            " hit.chunk.document, from semantic.search(question, 1)."
        )
    if right < FEW_RIGHT:
        raise NotYet(
            "too few right answers for a model that reads the right page for most questions:"
            " build the prompts with rag_prompts(semantic, k=1) and mark each reply with"
            " retrieval.is_correct(reply, q['answer'], q['aliases'])."
        )
    if right > found:
        raise NotYet(
            "more right answers than questions whose page was retrieved: the model knows"
            " nothing of Ferrybridge, so count the pages and the answers with the same"
            " retriever and the same k=1."
        )


@exercise("lab14.slow-tool", "a pair: (the message run_tool returned, the seconds it took)")
def slow_tool(answer: Any) -> None:
    message, seconds = pair(
        answer, "pass a pair: (the message run_tool returned, the seconds it took)."
    )
    if not isinstance(message, str):
        raise NotYet("pass the message as the text run_tool returned.")
    waited = number(seconds, "the time run_tool took")
    if waited > 100:
        raise NotYet("pass the time in seconds (time.perf_counter() counts seconds).")
    if not message.startswith("Error"):
        raise NotYet(
            "the tool's result came back instead of an error: did your wrapper sleep for 3"
            " seconds, and did you call run_tool with timeout=1.0?"
        )
    if waited >= SLOW_TOOL_S - 0.5:
        raise NotYet(
            "the notebook waited for the slow tool to finish: pass timeout=1.0 to run_tool, so"
            " it gives up after one second."
        )
    if waited < TIMEOUT_S - 0.1:
        raise NotYet(
            "the call came back before the time limit, so the error is not a timeout: read the"
            " message, and check that the wrapper passes the expression on to calculate."
        )


@exercise("lab14.judge-or-not", "the letter of the case that needs no judge")
def judge_or_not(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "a summary has no single right text, so no program can grade it exactly:"
            " that is where a judge, checked against people's labels, earns its place.",
            "c": "politeness has no exact check either: a judge, checked on a sample against"
            " people's labels, is a reasonable tool for it (Section 5).",
        },
    )
