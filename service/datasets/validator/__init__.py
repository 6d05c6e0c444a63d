"""The dataset validator: one streaming pass that converts, validates, counts tokens and hashes.

Pure: it imports nothing else of the service (an import-linter contract holds it to that), so
the upload API, `ftjobs validate` / `ftjobs convert`, the jobs' overlap check and the pipelines
share it as a library. What they need is re-exported here; everything else is internal.
"""

from __future__ import annotations

from service.datasets.validator.acceptance.rules import PROVIDERS, Provider
from service.datasets.validator.convert.formats import (
    FORMATS_BY_KIND,
    SOURCE_FORMATS,
    SourceFormat,
)
from service.datasets.validator.dataset.overlap import Overlap, find_overlap
from service.datasets.validator.ingest import IngestResult, ingest_file
from service.datasets.validator.reading.lines import BOM
from service.datasets.validator.report import (
    ConversionReport,
    DatasetKind,
    Issue,
    ProviderProblem,
    ProviderVerdict,
    ValidationReport,
)
from service.datasets.validator.shared_pool import PoolUnavailable, SharedPool

__all__ = [
    "BOM",
    "FORMATS_BY_KIND",
    "PROVIDERS",
    "SOURCE_FORMATS",
    "ConversionReport",
    "DatasetKind",
    "IngestResult",
    "Issue",
    "Overlap",
    "PoolUnavailable",
    "Provider",
    "ProviderProblem",
    "ProviderVerdict",
    "SharedPool",
    "SourceFormat",
    "ValidationReport",
    "find_overlap",
    "ingest_file",
]
