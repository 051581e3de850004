"""简读: turns a day of tech news into one Chinese digest."""

from .config import Settings, load_settings
from .errors import SummarizerError
from .pipeline import RunReport, run_digest, summarize_url

__all__ = ["RunReport", "Settings", "SummarizerError", "load_settings", "run_digest", "summarize_url"]
