"""Dataset loaders: read a given path into EditRecords; never download (see `download`)."""
from deltaedit.data.files import write_json
from deltaedit.data.records import RecordError, load_counterfact, load_records, load_zsre

__all__ = ["RecordError", "load_counterfact", "load_zsre", "load_records", "write_json"]
