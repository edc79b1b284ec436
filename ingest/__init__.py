"""Ingestion: PDF → pages → documents → sections → chunks → Chroma index."""
