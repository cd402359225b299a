# fmt: off
# The API reference's "SDK Usage" Python example, unchanged except for the key and URL (read
# from J1MSKY_API_KEY and J1MSKY_BASE_URL).
import os

from j1msky import Agency

# Initialize
agency = Agency(api_key=os.environ["J1MSKY_API_KEY"], base_url=os.environ["J1MSKY_BASE_URL"])

# Spawn agent
agent = agency.spawn(
    model="k2p5",
    task="Write a blog post about AI",
    priority="normal"
)

# Wait for completion
result = agent.wait_for_completion()
print(result.output)
