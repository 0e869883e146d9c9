"""gentle_llm: the companion package of *A gentle introduction to large language models*.

Each module maps to a chapter of the book; open it after reading that chapter.
"""

__version__ = "0.1.0"
