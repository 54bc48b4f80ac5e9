"""What a corpus change means: for the topics channels follow, and for past answers."""
