"""What analysts see: dataset summaries (`data`), inline SVG charts (`svg`), the HTML report (`html`),
the console status (`status`) and the data dictionary generated from the Arrow schemas (`dictionary`).

Everything here only reads the dataset; `pipeline.store.Store` stays the only writer.
"""
