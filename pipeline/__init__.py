"""Bilingual (RU/EN) news pipeline: raw dumps in, Parquet tables out."""

__version__ = "0.1.0"
PIPELINE_VERSION = __version__
