"""The client's version: the API version it speaks."""

__version__ = "4.0.0"
