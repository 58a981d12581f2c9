"""The ``callqa`` subcommands: one module each (or a few related ones together), each with a
``register(subparsers)`` that adds its subparser(s) and sets the handler beside them."""
