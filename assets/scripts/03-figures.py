"""Make the figures of Chapter 3 (embeddings and positions) in assets/figures/:

* 03-embedding-lookup.png — token ids pick rows of an embedding table (a toy vocabulary);
* 03-word-groups.png — SmolLM2's token embeddings of five word groups, projected to 2-D by PCA;
* 03-position-tables.png — the sinusoidal table, and the similarity between its positions;
* 03-learned-positions.png — the learned position table of the course's trained tiny GPT, and a
  freshly initialised one of the same shape;
* 03-rope-rotation.png — RoPE on one pair of numbers: the same vector at positions 0 to 7, and
  the attention scores of a rotated query and key, constant along each diagonal.

Run from the repository root (offline, with the asset mirror):
    GENTLE_LLM_MIRROR=../shared/assets .venv/bin/python assets/scripts/03-figures.py
Pass figure names (e.g. ``rope``) to make only some of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from gentle_llm.embeddings import cosine_similarity, pca, word_vector  # noqa: E402
from gentle_llm.plotting import place_labels  # noqa: E402
from gentle_llm.positions import rope_rotate, sinusoidal_encoding  # noqa: E402

FIGURES = Path(__file__).resolve().parents[1] / "figures"
DPI = 120
# Darker shades of the group colours for text, which must stay readable on white.
DARK = {
    "tab:blue": "#1f4e79",
    "tab:orange": "#a04a00",
    "tab:green": "#1e6b1e",
    "tab:red": "#a11d1d",
    "tab:purple": "#5b3a85",
}
LABEL_SIZE = 9.5  # points; shown at the book's width (about 670 px) this is about 13 px

GROUPS = {
    "countries": [
        " France",
        " Germany",
        " Italy",
        " Spain",
        " Japan",
        " China",
        " Brazil",
        " Canada",
    ],
    "numbers": [" one", " two", " three", " four", " five", " six", " seven", " eight"],
    "verbs": [" run", " walk", " eat", " sleep", " swim", " jump", " read", " write"],
    "animals": [" dog", " cat", " horse", " cow", " lion", " tiger", " bird", " fish"],
    "colours": [" red", " blue", " green", " yellow", " black", " white", " purple", " orange"],
}


def _save(fig: plt.Figure, name: str) -> None:
    fig.savefig(FIGURES / name, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    print("wrote", FIGURES / name)


def embedding_lookup() -> None:
    vocab = ["the", "cat", "dog", "sat", "on", "mat"]
    gen = torch.Generator().manual_seed(0)
    table = torch.randn(len(vocab), 4, generator=gen)
    sentence = ["the", "cat", "sat"]
    ids = [vocab.index(w) for w in sentence]

    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.set_xlim(0, 13)
    ax.set_ylim(-0.6, len(vocab) + 0.9)
    ax.axis("off")
    ax.text(1.0, len(vocab) + 0.4, "token ids", ha="center", fontsize=11, weight="bold")
    ax.text(
        5.6, len(vocab) + 0.4, "embedding table (6 x 4)", ha="center", fontsize=11, weight="bold"
    )
    ax.text(11.0, len(vocab) + 0.4, "vectors", ha="center", fontsize=11, weight="bold")
    colours = ["#e07a5f", "#3d85c6", "#81b29a"]
    text_colours = ["#a8442a", "#1f5f99", "#2f6b4f"]  # darker shades: text must read on white
    for row, word in enumerate(vocab):
        y = len(vocab) - 1 - row
        highlight = row in ids
        colour = colours[ids.index(row)] if highlight else "#f2f2f2"
        ax.text(
            3.1, y + 0.45, f"{row} {word}", ha="right", va="center", fontsize=10, family="monospace"
        )
        for col in range(4):
            ax.add_patch(
                plt.Rectangle(
                    (3.4 + col * 1.1, y),
                    1.05,
                    0.9,
                    facecolor=colour,
                    edgecolor="white",
                    alpha=0.85 if highlight else 1.0,
                )
            )
            ax.text(
                3.4 + col * 1.1 + 0.52,
                y + 0.45,
                f"{table[row, col]:+.2f}",
                ha="center",
                va="center",
                fontsize=8.5,
                family="monospace",
            )
    for k, (word, token_id) in enumerate(zip(sentence, ids, strict=True)):
        y_in = len(vocab) - 1.5 - 1.6 * k + 0.9
        ax.text(
            1.0,
            y_in,
            f'"{word}" -> {token_id}',
            ha="center",
            va="center",
            fontsize=10,
            family="monospace",
            color=text_colours[k],
            weight="bold",
        )
        y_row = len(vocab) - 1 - token_id + 0.45
        ax.annotate(
            "",
            xy=(2.2, y_row),
            xytext=(1.9, y_in),
            arrowprops=dict(arrowstyle="->", color=colours[k], lw=1.5),
        )
        ax.annotate(
            "",
            xy=(9.5, y_in),
            xytext=(7.85, y_row),
            arrowprops=dict(arrowstyle="->", color=colours[k], lw=1.5),
        )
        values = " ".join(f"{v:+.2f}" for v in table[token_id].tolist())
        ax.text(
            9.6,
            y_in,
            f"[{values}]",
            va="center",
            fontsize=9.5,
            family="monospace",
            color=text_colours[k],
            weight="bold",
        )
    _save(fig, "03-embedding-lookup.png")


def word_groups() -> None:
    from gentle_llm.pretrained import load_smollm2

    model, tokenizer = load_smollm2()
    table = model.get_input_embeddings().weight.detach()
    words = [w for members in GROUPS.values() for w in members]
    vectors = torch.stack([word_vector(table, tokenizer, w)[0] for w in words])
    result = pca(vectors, 2)
    coords = result.coords.tolist()

    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    point_colours = [
        c for c, members in zip(colours, GROUPS.values(), strict=True) for _ in members
    ]
    label_colours = [DARK[c] for c in point_colours]
    # The whole map on top; below it, the two crowded spots enlarged, each with its own axes
    # (an inset drawn over the map would seem to sit on the map's scale).
    fig = plt.figure(figsize=(8.4, 9.6), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=(1.25, 1))
    ax = fig.add_subplot(grid[0, :])
    start = 0
    for (name, members), colour in zip(GROUPS.items(), colours, strict=True):
        points = result.coords[start : start + len(members)]
        ax.scatter(points[:, 0], points[:, 1], color=colour, label=name, s=30, zorder=3)
        start += len(members)
    xs, ys = result.coords[:, 0], result.coords[:, 1]
    x_pad = 0.08 * float(xs.max() - xs.min())
    ax.set_xlim(float(xs.min()) - x_pad, float(xs.max()) + x_pad)
    ax.set_ylim(float(ys.min()) - 0.25, float(ys.max()) + 0.25)
    ax.legend(loc="lower right", fontsize=LABEL_SIZE)
    share = result.explained_variance_ratio.sum().item()
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    ax.set_title(f"SmolLM2 token embeddings, 576 numbers -> 2 (keeps {share:.0%} of the spread)")

    spots = [
        ("countries", GROUPS["countries"], grid[1, 0]),
        ("verbs and animals", GROUPS["verbs"] + GROUPS["animals"], grid[1, 1]),
    ]
    enlarged = set()
    for letter, (title, members, place) in zip("AB", spots, strict=True):
        chosen = [i for i, w in enumerate(words) if w in members]
        enlarged.update(chosen)
        cx = [coords[i][0] for i in chosen]
        cy = [coords[i][1] for i in chosen]
        box = (min(cx) - 0.08, max(cx) + 0.08, min(cy) - 0.08, max(cy) + 0.08)
        ax.add_patch(
            plt.Rectangle(
                (box[0], box[2]),
                box[1] - box[0],
                box[3] - box[2],
                fill=False,
                edgecolor="#888",
                lw=1.0,
            )
        )
        ax.text(box[0], box[3] + 0.04, letter, fontsize=LABEL_SIZE, color="#444", weight="bold")
        panel = fig.add_subplot(place)
        for i in chosen:
            panel.scatter(*coords[i], color=point_colours[i], s=30, zorder=3)
        panel.set_xlim(box[0] - 0.12, box[1] + 0.12)
        panel.set_ylim(box[2] - 0.12, box[3] + 0.12)
        panel.set_title(f"{letter}: {title}, enlarged", fontsize=LABEL_SIZE + 1)
        panel.tick_params(labelsize=LABEL_SIZE)
        place_labels(
            panel,
            [tuple(coords[i]) for i in chosen],
            [words[i].strip() for i in chosen],
            [label_colours[i] for i in chosen],
            fontsize=LABEL_SIZE,
        )
    rest = [i for i in range(len(words)) if i not in enlarged]
    place_labels(
        ax,
        [tuple(coords[i]) for i in rest],
        [words[i].strip() for i in rest],
        [label_colours[i] for i in rest],
        fontsize=LABEL_SIZE,
    )
    _save(fig, "03-word-groups.png")


def position_tables() -> None:
    table = sinusoidal_encoding(64, 64)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    image = left.imshow(table, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
    left.set_title("sinusoidal position table")
    left.set_xlabel("dimension (sin, cos, sin, cos, ...)")
    left.set_ylabel("position")
    fig.colorbar(image, ax=left)
    image = right.imshow(cosine_similarity(table, table), cmap="viridis", vmin=-0.2, vmax=1)
    right.set_title("cosine similarity between positions")
    right.set_xlabel("position")
    right.set_ylabel("position")
    fig.colorbar(image, ax=right)
    for ax in (left, right):
        ax.grid(False)
    _save(fig, "03-position-tables.png")


def learned_positions() -> None:
    """The learned position table of the course's tiny GPT (the checkpoint Chapters 6 to 11
    load, trained for 600 steps by Chapter 6's cpu-quick preset), against a freshly initialised
    table of the same shape. Lab 3 draws the same maps and prints their numbers."""
    from gentle_llm.checkpoint import load_tiny_gpt
    from gentle_llm.model import GPT

    trained, _ = load_tiny_gpt()
    torch.manual_seed(0)
    fresh = GPT(trained.config)
    before = fresh.pos_emb.weight.detach()
    after = trained.pos_emb.weight.detach()
    n_pos, width = after.shape

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, values, title in [
        (axes[0], before, "before training (random)"),
        (axes[1], after, "after 600 training steps"),
    ]:
        image = ax.imshow(cosine_similarity(values, values), cmap="viridis", vmin=-0.2, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("position")
        ax.set_ylabel("position")
        ax.grid(False)
        fig.colorbar(image, ax=ax)
    fig.suptitle(
        f"Cosine similarity between learned position vectors (tiny GPT: {n_pos} positions, "
        f"width {width})"
    )
    _save(fig, "03-learned-positions.png")


def rope() -> None:
    v = torch.tensor([1.0, 0.3])
    positions = torch.arange(8)
    rotated = rope_rotate(v.expand(8, 2), positions)  # one pair: 1 radian per position

    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(64, generator=gen), torch.randn(64, generator=gen)
    n = 16
    q_rot = rope_rotate(q.expand(n, 64), torch.arange(n), base=100000.0)
    k_rot = rope_rotate(k.expand(n, 64), torch.arange(n), base=100000.0)
    scores = q_rot @ k_rot.T

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.6))
    colours = plt.cm.viridis(torch.linspace(0, 0.9, 8).numpy())
    for p, ((x, y), colour) in enumerate(zip(rotated.tolist(), colours, strict=True)):
        left.annotate(
            "", xy=(x, y), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=colour, lw=2)
        )
        left.annotate(f"pos {p}", (x * 1.17, y * 1.17), ha="center", va="center", fontsize=9)
    left.set_xlim(-1.4, 1.4)
    left.set_ylim(-1.4, 1.4)
    left.set_aspect("equal")
    left.set_title(
        "one pair of numbers at positions 0-7\n(turned 1 radian per position)", fontsize=10
    )
    # A sequential map over the scores' own range: a diverging one centred on 0 would promise
    # positive scores that this query and key never reach.
    image = right.imshow(scores, cmap="viridis")
    right.set_xlabel("key position n")
    right.set_ylabel("query position m")
    right.set_title(
        "score of rotated query (m) and key (n)\nsame colour along every diagonal", fontsize=10
    )
    right.grid(False)
    fig.colorbar(image, ax=right, label="attention score")
    _save(fig, "03-rope-rotation.png")


MAKERS = {
    "lookup": embedding_lookup,
    "groups": word_groups,
    "positions": position_tables,
    "learned": learned_positions,
    "rope": rope,
}

if __name__ == "__main__":
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or list(MAKERS):
        MAKERS[name]()
