"""timbre: find the synth presets that sound like your sample.

The library is UI-agnostic: the CLI (``timbre.cli``) only parses arguments, calls one
library function and prints. Heavy dependencies (torch, transformers, faiss) are imported
lazily inside the functions that need them.
"""

__version__ = "0.1.0"
