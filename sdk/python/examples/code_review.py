# fmt: off
# The API reference's "Example 2: Code Review System", unchanged; before it, the client (key and
# URL from J1MSKY_API_KEY and J1MSKY_BASE_URL) and the code to review; after it, the results.
import os

from j1msky import Agency

agency = Agency(api_key=os.environ["J1MSKY_API_KEY"], base_url=os.environ["J1MSKY_BASE_URL"])

code = '''def average(values):
    return sum(values) / len(values)
'''

# --- the reference's example ---------------------------------------------------------------------

# Submit code for review
reviewer = agency.spawn(
    model="k2p5",
    task=f"Review this code:\n{code}",
    priority="normal"
)
review = reviewer.wait_for_completion()

# Apply fixes
fixer = agency.spawn(
    model="k2p5",
    task=f"Fix these issues:\n{review.issues}",
    priority="high"
)
fixed_code = fixer.wait_for_completion()

# --- end of the example --------------------------------------------------------------------------

for step in (review, fixed_code):
    print(f"{step.agent_id} {step.model} {step.status} cost={step.cost}")
print(fixed_code.output)
