"""Job description analysis: text in, ``JobProfile`` out (offline taxonomy extractor)."""

from bot.analysis.offline import analyse
from bot.analysis.taxonomy import Taxonomy, load_taxonomy

__all__ = ["Taxonomy", "analyse", "load_taxonomy"]
