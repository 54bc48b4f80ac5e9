"""The corpus: files into documents and passages, manifest metadata, versioned ingest, reads."""
