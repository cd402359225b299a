"""Pricing endpoints (semantics §10): status, health, report, the calculators, stored quotes,
decisions, exceptions, scenario evaluations, the policy and the stored daily reports.

Views validate the body's shape, call a service (writes) or the engine over selector data
(calculators), and render. Engine errors become 400 `validation_error` naming the field.
"""
