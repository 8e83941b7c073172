"""Shared test helpers live beside this file (``demo_audio``, ``readme_shell``).

pytest puts this folder on ``sys.path`` when it loads this conftest (rootdir-relative "prepend"
imports), so any test imports them by name.
"""
