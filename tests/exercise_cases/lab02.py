"""Lab 2: answers each check must refuse (with a fragment of its message) or accept."""

WRONG = [
    ("lab2.bpe-1024", 2.04, "512-token BPE"),
    ("lab2.bpe-1024", 1 / 2.61, "tokens per character"),
    ("lab2.bpe-1024", 428_000, "a count of tokens"),
    ("lab2.bpe-1024", 3.5, "too high"),
    ("lab2.newer-word", " smartwatch", "splits this word too"),
    ("lab2.newer-word", "pandemic", "leading space"),
    ("lab2.newer-word", " blockchain", "after 2019"),
    ("lab2.newer-word", " livestream", "splits this word too"),
    ("lab2.newer-word", ["pandemic"], "as a string"),
    ("lab2.byte-fallback", "a", "no merge could have learned"),
    ("lab2.byte-fallback", "b", "special token"),
    ("lab2.byte-fallback", "d", "vocabulary of 512"),
    ("lab2.byte-fallback", "e", "one letter"),
]

RIGHT = [
    ("lab2.bpe-1024", 2.61),
    ("lab2.newer-word", " pandemic"),
    ("lab2.newer-word", " Kubernetes"),
    ("lab2.byte-fallback", "c"),
    ("lab2.byte-fallback", "(C)"),
]
