"""Make assets/figures/14-rag-and-tools.png: retrieval-augmented generation, and an agent loop.

Chapter 14's two ways of giving a small model what it does not know, on Lab 14's examples.

Top: a question about the course's Ferrybridge handbook (32 pages, cut into 66 chunks of at most
80 words) goes to two retrievers, BM25 (shared words) and embeddings (cosine similarity of
all-MiniLM-L6-v2's 384 numbers), whose rankings reciprocal rank fusion merges; the top 3 chunks
are numbered as sources and SmolLM2 reads them with the question. The answer, 4.50 pm, is on the
winter timetable page; that it comes second here, as [2], only illustrates the format. Recall@k
measures the retriever alone, accuracy the reply.

Bottom: the agent loop with the date tool. The model replies with a ``<tool_call>``, the program
parses it, checks it against the tool's JSON schema and runs it with a time limit, and writes the
result back as a ``tool`` message; the model then answers. The tools (``calculate``,
``search_handbook``, ``weekday``, in ``gentle_llm.mcp_tools``) run in-process or behind an MCP
server over stdio. A bad call gets an ``Error: ...`` message back, never an exception.

Run from the repository root (a second or two, no model needed):
    .venv/bin/python assets/scripts/14-rag-and-tools.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from figure_kit import INK, MUTED, arrow, box, canvas, diagram_title, save_checked  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "14-rag-and-tools.png"

QUESTION = ["When does the", "last winter ferry", "leave the island?"]
TOOL_CALL = [
    "<tool_call>",
    '{"name": "weekday",',
    ' "arguments":',
    '  {"date": "2026-12-25"}}',
    "</tool_call>",
]
TOOLS = ["calculate", "search_handbook", "weekday"]

QUESTION_FILL, RETRIEVE_FILL, SOURCE_FILL = "#e3f2fd", "#e8f5e9", "#fff3e0"
MODEL_FILL, PANEL_FILL = "#fce4ec", "#f5f7fa"
BODY = "#323f4b"
RULE = "#cbd2d9"


def _text(ax, x, y, text, *, size=10.5, color=BODY, **style):
    """One line of text centred on (x, y)."""
    ax.text(x, y, text, ha="center", va="center", fontsize=size, color=color, **style)


def _lines(ax, x, top, lines, *, step=0.24, **style):
    """Lines of text centred on ``x``, the first centred at ``top``, going down by ``step``."""
    for i, line in enumerate(lines):
        _text(ax, x, top - i * step, line, **style)


def _measure(ax, x, y, w, name, question):
    """A dashed box naming a measurement and the question it answers."""
    box(ax, x, y, w, 0.55, "#ffffff", dashed=True, edge=MUTED)
    _text(ax, x + w / 2, y + 0.39, name, color=INK, weight="bold")
    _text(ax, x + w / 2, y + 0.15, question, color=MUTED)


def _rag(ax, top):
    """The top panel: question, two retrievers, fusion, sources, SmolLM2, the reply."""
    diagram_title(ax, 5.0, top, "Retrieval-augmented generation")

    # The question, which also goes to the model (the line along the top).
    box(ax, 0.1, 6.45, 1.5, 1.4, QUESTION_FILL)
    _text(ax, 0.85, 7.62, "question", color=MUTED)
    _lines(ax, 0.85, 7.3, QUESTION)
    ax.plot([0.85, 0.85, 9.1], [7.87, 8.3, 8.3], color=MUTED, lw=1.2)
    arrow(ax, (9.1, 8.3), (9.1, 7.98), color=MUTED, lw=1.2)

    # Two retrievers over the handbook's chunks.
    box(ax, 1.95, 5.5, 2.55, 2.6, PANEL_FILL, edge=MUTED)
    box(ax, 2.1, 7.3, 2.25, 0.65, RETRIEVE_FILL)
    _text(ax, 3.225, 7.76, "BM25", color=INK, weight="bold")
    _text(ax, 3.225, 7.5, "shared words")
    box(ax, 2.1, 6.3, 2.25, 0.85, RETRIEVE_FILL)
    _text(ax, 3.225, 6.97, "embeddings", color=INK, weight="bold")
    _lines(ax, 3.225, 6.71, ["cosine similarity", "MiniLM, 384 numbers"])
    _lines(ax, 3.225, 6.0, ["over the handbook's 66 chunks", "(≤ 80 words, from 32 pages)"])
    for y in (7.62, 6.72):
        arrow(ax, (1.62, y), (2.07, y))
        arrow(ax, (4.37, y), (4.83, y))

    # Fusion, then the top 3 chunks numbered as sources.
    box(ax, 4.85, 6.35, 1.1, 1.6, RETRIEVE_FILL)
    _text(ax, 5.4, 7.45, "fusion", color=INK, weight="bold")
    _lines(ax, 5.4, 7.13, ["reciprocal", "rank"])
    arrow(ax, (5.97, 7.15), (6.28, 7.15))
    box(ax, 6.3, 6.35, 1.65, 1.6, SOURCE_FILL)
    _text(ax, 7.125, 7.76, "top 3 chunks", color=INK, weight="bold")
    _text(ax, 7.125, 7.5, "as sources")
    for i, source in enumerate(["[1] …", "[2] … 4.50 pm", "[3] …"]):
        y = 7.12 - i * 0.3  # the third row stays inside the box (bottom at 6.35)
        box(ax, 6.42, y - 0.12, 1.41, 0.24, "#ffffff", lw=1.0)
        _text(
            ax,
            7.125,
            y,
            source,
            size=10,
            color=INK,
            family="monospace",
            weight="bold" if i == 1 else "normal",
        )

    # SmolLM2 reads the sources and the question, and replies with a citation.
    arrow(ax, (7.97, 7.5), (8.28, 7.5))
    box(ax, 8.3, 7.05, 1.6, 0.9, MODEL_FILL)
    _text(ax, 9.1, 7.74, "SmolLM2", size=11.5, color=INK, weight="bold")
    _lines(ax, 9.1, 7.46, ["reads sources", "+ question"])
    arrow(ax, (9.1, 7.03), (9.1, 6.78))
    box(ax, 8.3, 5.5, 1.6, 1.25, "#ffffff")
    _text(ax, 9.1, 6.55, "the reply", size=10, color=MUTED)
    _lines(ax, 9.1, 6.25, ["The last boat", "leaves at", "4.50 pm [2]"], color=INK, weight="bold")

    # Where one measures: the retriever's output, and the reply.
    ax.plot([6.125, 6.125], [5.37, 7.08], color=MUTED, lw=1.2, linestyle=":")
    _measure(ax, 4.85, 4.8, 2.95, "recall@k", "was the right page retrieved?")
    ax.plot([9.1, 9.1], [5.37, 5.48], color=MUTED, lw=1.2, linestyle=":")
    _measure(ax, 8.1, 4.8, 1.8, "accuracy", "is the answer right?")


def _agent(ax, top):
    """The bottom panel: the model calls a tool, the program runs it, the model answers."""
    diagram_title(ax, 5.0, top, "The agent loop with tools")

    # The user's question in, the final answer out, the model between.
    box(ax, 0.1, 2.9, 1.7, 1.05, QUESTION_FILL)
    _text(ax, 0.95, 3.72, "user question", color=MUTED)
    _lines(ax, 0.95, 3.42, ["What day of the", "week is 2026-12-25?"])
    box(ax, 0.1, 0.85, 1.7, 1.05, "#ffffff")
    _text(ax, 0.95, 1.67, "final answer", color=MUTED)
    _lines(ax, 0.95, 1.37, ["2026-12-25", "is a Friday."], color=INK, weight="bold")
    box(ax, 2.2, 0.85, 1.2, 3.1, MODEL_FILL)
    _text(ax, 2.8, 2.52, "SmolLM2", size=11.5, color=INK, weight="bold")
    _text(ax, 2.8, 2.22, "the model", color=MUTED)
    arrow(ax, (1.82, 3.42), (2.18, 3.42))
    arrow(ax, (2.18, 1.3), (1.82, 1.3))

    # The model's reply: a call, written as text.
    arrow(ax, (3.42, 3.3), (3.73, 3.3))
    box(ax, 3.75, 2.6, 3.0, 1.35, "#ffffff")
    _text(ax, 5.25, 3.76, "model replies with", color=MUTED)
    for i, line in enumerate(TOOL_CALL):
        ax.text(
            4.0,
            3.5 - i * 0.2,
            line,
            ha="left",
            va="center",
            fontsize=10,
            family="monospace",
            color=INK,
        )

    # The program checks and runs the call.
    arrow(ax, (6.77, 3.3), (7.13, 3.3))
    box(ax, 7.15, 2.75, 2.75, 1.2, SOURCE_FILL)
    _text(ax, 8.525, 3.73, "program", color=INK, weight="bold")
    _lines(
        ax,
        8.525,
        3.45,
        ["parse the call, check it", "against the JSON schema,", "run it with a time limit"],
    )
    arrow(ax, (8.525, 2.73), (8.525, 2.43))
    box(ax, 7.15, 0.7, 2.75, 1.7, RETRIEVE_FILL)
    _text(ax, 8.525, 2.2, "tools", color=INK, weight="bold")
    _lines(ax, 8.525, 1.93, TOOLS, size=10.5, color=INK, family="monospace")
    _lines(ax, 8.525, 1.15, ["served in-process or by an", "MCP server over stdio"], color=MUTED)

    # The result goes back to the model as a tool message.
    arrow(ax, (7.13, 1.68), (6.77, 1.68))
    box(ax, 3.75, 1.3, 3.0, 0.8, "#ffffff")
    _text(ax, 5.25, 1.9, "result back as a tool message:", color=MUTED)
    _text(ax, 5.25, 1.56, "Friday", size=12, color=INK, family="monospace", weight="bold")
    arrow(ax, (3.73, 1.68), (3.42, 1.68))
    _lines(
        ax,
        5.25,
        1.0,
        ['a bad call → an "Error: …" message', "goes back to the model, never a crash"],
        color=MUTED,
        style="italic",
    )


def main() -> None:
    fig, ax = canvas(10.0, 8.75)
    _rag(ax, 8.75)
    ax.plot([0.1, 9.9], [4.5, 4.5], color=RULE, lw=1.0)
    _agent(ax, 4.4)
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
