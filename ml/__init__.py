"""Genius Loci's machine-learning package: data, networks, training, metrics and inference.

Plain PyTorch; it never imports Django, so it runs alone on a GPU box (`python -m ml ...`).
"""
