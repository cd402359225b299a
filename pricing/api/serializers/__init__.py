"""Pricing API shapes.

Requests: the reference's field names. The values a quote or rollup reads (models, tokens, counts,
margins, the `scenarios` and `quotes` arrays) pass through as given, and `pricing.engine` checks
them, so every message names the field and, inside an array, the index (`scenarios[2].model`).
A blank form value or a JSON null means "not given" (the default applies). A form field that holds
an array or object carries it as JSON text; in a JSON body it may be the array or object itself.

Responses: engine results rendered in the reference's key order; money and percentages are JSON
numbers (costs 4 dp, prices, markups, percentages and ratios 2 dp).
"""
