"""The engine as a Ray Serve deployment, for a class at once: replicas hold the weights and run
the model; each front end (the page, the API) reaches them through a deployment handle.

``settings`` (what a deployment is asked for), ``replica`` (the work one replica does, plain
Python), ``deployment`` (the Serve wrapper: batching, resources, autoscaling) and ``front`` (a
front end's side: start or join the deployment, retries, errors that say what happened). Imports
``core`` only; Ray is imported by ``deployment`` and ``front`` alone, so nothing else of the
project needs it.
"""
