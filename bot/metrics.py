"""Prometheus metrics, in a registry of the app's own (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.answers = Counter(
            "rumorbot_answers",
            "Answers given, by confidence label",
            ["label"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rumorbot_answer_seconds",
            "Time to answer a question",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.reloads = Counter(
            "rumorbot_reloads", "Corpus reloads, by outcome", ["outcome"], registry=self.registry
        )
        self.errors = Counter(
            "rumorbot_errors",
            "Errors met while handling Slack requests",
            ["where"],
            registry=self.registry,
        )

    def observe_answer(self, label: str, seconds: float) -> None:
        self.answers.labels(label).inc()
        self.latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
