"""The command line, ``python -m resnet SUBCOMMAND``: a module per subcommand (``explain``,
``teach``, ``video``, ``race``, ``evaluate``), each with ``add_parser`` and ``run``; ``main``
dispatches; ``flags`` holds what they and the web app share and imports nothing else of it.

On top: may import every package of ``resnet`` (and ``ui.locales``' plain words)."""
