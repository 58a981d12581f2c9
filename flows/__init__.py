"""Prefect flows that wire the pipeline's stages together."""
