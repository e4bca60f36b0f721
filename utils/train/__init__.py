"""The training loop's pieces: callbacks, optimizers, precision and XLA
choice, distribution, resume state, run folders, training-time augmentation,
and the GPU command (gpu)."""
