"""Reading the corpus: files into documents, documents into passages, the manifest's
metadata, the ingest that versions it all, and the read side of what is served."""
