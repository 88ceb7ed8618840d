"""The ``guidecrawl`` command line (``main``); ``python -m pipelines.cli`` runs it."""
