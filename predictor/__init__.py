"""The KServe V2 predictor: serves one verified model bundle (``python -m predictor``)."""
