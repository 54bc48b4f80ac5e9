"""What the bot sends on its own after a corpus change: digests and corrections."""
