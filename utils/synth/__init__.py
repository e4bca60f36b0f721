"""Synthetic data in AI Hub's format: text lines (lines), their text sources
(text), distortions (distort), document pages (page), documents laid out by
LibreOffice (doc) and the held-out evaluation sets (heldout), with the bundled
corpora in corpus/.

    python -m utils.synth --out data/synth --count 40000   # text lines (lines.main)
"""
