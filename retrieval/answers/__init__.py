"""Answering: the engine that serves a corpus version, composing and labelling answers, scoring."""
