"""govproxy: a data-governance proxy for company LLM traffic."""

__version__ = "0.1.0"
