"""Errors the engine raises; the management commands turn them into ``CommandError``."""

from __future__ import annotations


class EngineError(ValueError):
    """A problem the user can fix: bad table, bad target, bad or untrusted artefact."""


class TableError(EngineError):
    """The table cannot be read or does not fit what was asked of it."""


class TargetError(EngineError):
    """The target column is missing, has one class, or its positive label is unknown."""


class ArtefactError(EngineError):
    """A model artefact is missing, untrusted, tampered with or does not fit this install."""
