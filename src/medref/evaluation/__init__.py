"""Retrieval (and, with an answerer, answer) evaluation over a question set."""
