"""Finding passages: question analysis and expansion, the English side, the hybrid ranking."""
