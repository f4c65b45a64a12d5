"""Pages the service serves itself: the demo console (`demo/`), the supervisor's rule tuning (`supervisor/`)
and the trainer's scenario player (`trainer/`). Each page's `routes.register(app, …)` adds its routes; the
composition root (`coach_server.server`) calls them."""
