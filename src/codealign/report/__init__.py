"""The report: figures (:mod:`.figures`) and the provenance record (:mod:`.provenance`)."""
