"""`make test-oldest` and `make test-newest` cover every version-sensitive test file.

They run only the test files listed in tests/compat_tests.txt, to stay short; a test file that
uses transformers, tokenizers, tiktoken, peft or gguf (directly or through SmolLM2, MiniLM or
a tokenizer wrapper) must be on that list, or a new upstream release could break it unseen.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
LIST = TESTS / "compat_tests.txt"
VERSION_SENSITIVE = re.compile(
    r"transformers|tiktoken|peft|smollm2|gguf|SentenceEncoder|HFTokenizer|TiktokenTokenizer"
)


# Files that need the `reference` extra (TRL), whose transformers floor lies above the oldest
# run's: they run in `make test` and `make test-newest` only.
REFERENCE_ONLY = {"test_grpo_trl.py"}


def test_every_version_sensitive_test_file_is_in_the_compatibility_runs() -> None:
    listed = {Path(line).name for line in LIST.read_text("utf-8").split()}
    assert all((TESTS / name).is_file() for name in listed), "compat_tests.txt names a lost file"
    sensitive = {
        path.name
        for path in TESTS.glob("test_*.py")
        if path.name != Path(__file__).name and VERSION_SENSITIVE.search(path.read_text("utf-8"))
    } - REFERENCE_ONLY
    missing = sorted(sensitive - listed)
    assert not missing, f"add these to tests/compat_tests.txt: {missing}"
    assert listed == sensitive, f"not version-sensitive, drop: {sorted(listed - sensitive)}"
