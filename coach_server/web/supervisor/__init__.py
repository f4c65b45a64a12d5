"""`/supervisor`: rule tuning with back-testing, and feedback stats (handlers in routes.py)."""
