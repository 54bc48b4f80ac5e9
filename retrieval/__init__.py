"""Retrieval: corpus, database, embeddings, index, search, answers, changes, translation."""
