"""Training of the models shipped in `models/` (not used at run time: the pipeline loads their weights)."""
