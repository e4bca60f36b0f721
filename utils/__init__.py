"""Shared helpers: training callbacks and plots, Keras 2 compatibility, data synthesis."""
import os

# Files built once and reused across runs (the language model, ONNX graphs); OCR_CRNN_CACHE moves them.
CACHE = os.environ.get('OCR_CRNN_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'ocr_crnn')
