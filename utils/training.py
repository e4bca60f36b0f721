"""The original's import path for the training callbacks (``from
utils.training import Logger, ModelSnapshot``, as ssd_detectors' and
OCR_CRNN's notebooks and scripts write it); they live in
utils/train/callbacks.py."""

from utils.train.callbacks import (EpochLine, Logger, ModelCheckpoint, ModelSnapshot, StopOnSignal, TensorBoardLines,
                                   TimeLimit, TrainingInterrupted, ValidationMetrics, check_layer_names, freeze_layers,
                                   signal_name)

__all__ = ['EpochLine', 'Logger', 'ModelCheckpoint', 'ModelSnapshot', 'StopOnSignal', 'TensorBoardLines', 'TimeLimit',
           'TrainingInterrupted', 'ValidationMetrics', 'check_layer_names', 'freeze_layers', 'signal_name']
