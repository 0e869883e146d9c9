"""Kernel-free explorers: self-contained HTML/JS that works in the static book and in Colab."""
