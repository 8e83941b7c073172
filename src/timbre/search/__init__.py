"""Search the library index with audio files or text.

    results = search_audio("~/.timbre/index", ["loop.wav"], top=10)
    results[0].hits[0].path
"""

from timbre.search.engine import search_audio, search_text
from timbre.search.query import search_library
from timbre.search.results import Hit, SearchResult

__all__ = ["search_audio", "search_text", "search_library", "Hit", "SearchResult"]
