"""Extraction: filling a template's fields from a document, each with its evidence.

`spec` reads the template, `layout` and `prose` find candidates, `values` types them, `choose`
asks the model to pick among them, `ground` quotes and grounds the evidence; `fill` runs it all.
"""

from app.jobs.extract.fill import extract_fields
from app.jobs.extract.spec import FieldResult, FieldSpec, field_specs

__all__ = ["FieldResult", "FieldSpec", "extract_fields", "field_specs"]
