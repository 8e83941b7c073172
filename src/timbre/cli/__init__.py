"""The ``timbre`` command line. Only parses, calls one library function, prints."""
