"""Detection (stage 3): find sensitive spans in every text field of a request.

`detector.Detector` is the service (cache, thread or worker processes); `text_analyzer.TextAnalyzer` does one text
(language, Unicode folding, Presidio, clean-up); `analyzer/` is the only package importing Presidio;
`recognizers/` holds our recognizers as data; `custom.py` reads `policies/recognizers.yaml`.
Nothing here is imported eagerly: importing `proxy.detection` loads no model.
"""
