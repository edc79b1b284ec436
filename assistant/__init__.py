"""Question answering over the index: retrieval → evidence → answer with citations."""
