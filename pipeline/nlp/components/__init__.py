"""spaCy pipeline components, one job each, registered with `@Language.factory` when this package is imported.

Both languages end in the same kind of `Doc`: `doc.ents` labelled PERSON / ORG / GPE / LOC /
DATE, and `doc._.norms` mapping an entity's character span to its normalized (nominative) form.
`shared` holds the components both pipelines use (and `entity_factory`, `Language.factory` with the
assigns/requires of a component that rewrites `doc.ents`), `english` and `russian` those of one
language, `wire_copy` the places and people that news-agency copy names by their position (datelines,
credits);
`models/pipelines.toml` says which pipeline adds which, in what order and with what settings.
"""

from pipeline.nlp.components import english, russian, shared, wire_copy  # noqa: F401  (registers the factories)
