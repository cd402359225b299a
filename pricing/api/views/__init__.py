"""Pricing endpoints (semantics §10): status, health, report, the calculators, stored quotes,
decisions, exceptions, scenario evaluations, the policy and the stored daily reports.

Views only translate: the request serializer checks the body and builds its input, a service
(writes) or a selector (reads, calculators, the stored-data fallbacks) does the work, a response
serializer renders it. Bad values, and engine errors, are a 400 `validation_error` naming the
field.
"""
