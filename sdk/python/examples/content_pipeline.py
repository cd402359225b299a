# fmt: off
# The API reference's "Example 1: Content Creation Pipeline", unchanged; before it, the client
# (key and URL from J1MSKY_API_KEY and J1MSKY_BASE_URL); after it, what the pipeline produced.
import os

from j1msky import Agency

agency = Agency(api_key=os.environ["J1MSKY_API_KEY"], base_url=os.environ["J1MSKY_BASE_URL"])

# --- the reference's example ---------------------------------------------------------------------

# Step 1: Research
researcher = agency.spawn(
    model="sonnet",
    task="Research: Latest AI trends 2026",
    priority="high"
)
research = researcher.wait_for_completion()

# Step 2: Write
writer = agency.spawn(
    model="sonnet",
    task=f"Write blog post about: {research.summary}",
    priority="normal"
)
article = writer.wait_for_completion()

# Step 3: Edit
editor = agency.spawn(
    model="opus",
    task=f"Edit and improve: {article.output}",
    priority="normal"
)
final = editor.wait_for_completion()

# --- end of the example --------------------------------------------------------------------------

for step in (research, article, final):
    print(f"{step.agent_id} {step.model} {step.status} cost={step.cost}")
print(final.output)
