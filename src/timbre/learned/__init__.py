"""An embedder learned from the producer's own previews (``timbre learn``).

``features`` turns audio into log-mel frames, ``network`` is the small CNN, ``clips`` makes each
preview's training material (its pitch views and augmented clips), ``fit`` trains the network
self-supervised, ``store`` keeps trained networks as model folders, and
``timbre.embedders.learned`` loads one as the ``learned`` embedder.
"""
