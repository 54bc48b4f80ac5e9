"""Shared by the benchmarks that read the translator model's logits: its chat prompt, and how
well a score separates two groups."""

from __future__ import annotations


def chat(system: str, user: str) -> str:
    """Qwen2.5's chat template, written out: these benchmarks evaluate the prompt token by
    token instead of asking llama-cpp-python for a completion."""
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def auc(positive: list[float], negative: list[float]) -> float:
    """The chance a positive scores above a negative (ties count half); 0.5: no separation."""
    pairs = [(p > n) + 0.5 * (p == n) for p in positive for n in negative]
    return sum(pairs) / len(pairs) if pairs else float("nan")
