"""Weights: Keras 2 layout .h5 files (h5), loading a recognizer and growing its
classifier (load), checkpoint averaging (average) and export (export)."""
