"""Composing answers from search results: the label and its evidence, the quotes and their
key sentences, the voice of a source, timelines, follow-ups, questions about now, and
messages checked as claims."""
