"""rumorbot's corpus, storage and search services."""
