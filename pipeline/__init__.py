"""Bilingual (RU/EN) news pipeline: raw dumps in, Parquet tables out."""

__version__ = "0.2.0"
PIPELINE_VERSION = __version__
