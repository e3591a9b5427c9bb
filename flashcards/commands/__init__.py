"""The commands, one module per kind of work; `flashcards.cli` puts them together."""
