"""Shared helpers: training callbacks and plots, Keras 2 compatibility, data synthesis."""
