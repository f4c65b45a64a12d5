"""`/trainer`: the scenario player for trainers and trainees (handlers in routes.py)."""
