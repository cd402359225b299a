"""Pricing API shapes.

Requests (`requests`, `policy`): the reference's field names, checked by typed fields
(`fields`) whose messages name the field and, inside an array, the index
(`scenarios[2].model`, `… in scenario 2 …`). Each body builds, in `input()`, the frozen
dataclass its service or the engine takes; the engine's defaults fill in what it left out. A
blank form value or a JSON null means "not given". A form field that holds an array or object
carries it as JSON text; in a JSON body it may be the array or object itself.

Responses: engine results rendered in the reference's key order; money and percentages are JSON
numbers (costs 4 dp, prices, markups, percentages and ratios 2 dp).
"""
