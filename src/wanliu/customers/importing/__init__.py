"""Importing operator data from CSV and Parquet files: ``wanliu import KIND FILE``.

``schemas`` says which columns each kind has, ``fields`` how each cell is parsed,
``readers`` reads files in chunks as text, ``writers`` upserts by natural key and
``services.data_import_run`` ties them together in one audited transaction. The file
formats are documented in docs/import-formats.md.
"""

from wanliu.customers.importing.services import (
    KINDS,
    ImportFailed,
    ImportSummary,
    data_import_run,
    rejects_path_for,
)

__all__ = ["KINDS", "ImportFailed", "ImportSummary", "data_import_run", "rejects_path_for"]
