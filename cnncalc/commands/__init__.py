"""Command modules: each adds its commands to the typer app with `register(app)`."""
