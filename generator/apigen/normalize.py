"""The normalize stage: every input made one dialect, bundled OpenAPI 3.x with 3.1 schemas.

Each step is a module of its own:

* ``swagger2_upgrade``: Swagger 2.0 upgraded to 3.0;
* ``bundle``: external ``$ref`` files bundled into the document (remote or out-of-tree
  ones only when the caller allows it);
* ``ref_check``: every internal ``$ref`` resolves and chains of pure aliases end (both
  fatal, with the pointer of the offending ``$ref``);
* ``schema_dialect``: 3.0's ``nullable`` and boolean ``exclusiveMinimum`` become 3.1's
  type lists and numbers, so later stages see one schema dialect.
"""

from __future__ import annotations

import copy
from typing import Any

from .bundle import bundle_external_refs
from .loader import Document
from .ref_check import check_refs
from .schema_dialect import uniform_schema
from .spec_walk import walk_schemas
from .swagger2_upgrade import upgrade_swagger2


def normalize(doc: Document, allow_remote_refs: bool = False) -> dict[str, Any]:
    """The document as every later stage reads it; a copy, ``doc`` stays as it was loaded."""
    data = copy.deepcopy(doc.data)
    if "swagger" in data:
        data = upgrade_swagger2(data)
    data = bundle_external_refs(data, doc, allow_remote_refs)
    check_refs(data, doc)
    walk_schemas(data, uniform_schema)
    return data
