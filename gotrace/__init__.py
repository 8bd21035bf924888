"""gotrace: where Go builds spend their time and memory."""

__version__ = "0.1.0"
