"""Writes of the complaints app, one module per concern (see each module's docstring)."""
