"""Discord only: turn interactions and messages into calls of `retrieval/`, and results into replies."""
