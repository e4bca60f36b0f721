"""Distillation inputs: the teacher's readings of training and validation
batches, memoized per generator (each has its own sample indices)."""
import os

import numpy as np

from helpers import ROOT
from crnn_data import GTUtility, InputGenerator
from crnn_model import output_steps
from crnn_utils import general_charset
from utils.train.distill import Teacher


def test_teacher_readings_are_kept_per_generator_and_match_a_fresh_reading(aihub_dir):
    charset = general_charset()
    teacher = Teacher(os.path.join(ROOT, 'CRNN_weights_korean_v8.h5'), charset, log=None)
    train, val = GTUtility(aihub_dir).split(0.5)
    gens = [InputGenerator(g, 2, charset, (256, 32), buckets=(128, 256), steps=output_steps, teacher=teacher,
                           verbose=False) for g in (train, val)]
    for _ in range(2):  # the second pass comes from the memo
        for gen in gens:
            seq = gen.generate()
            for i in range(3):
                inputs, _ = seq.batch(i)
                probs = inputs['teacher_probs']
                assert probs.shape == inputs['image_input'].shape[:1] + (output_steps(
                    inputs['image_input'].shape[1]), len(charset))
                fresh = teacher(inputs['image_input'])
                np.testing.assert_array_equal(probs.argmax(-1), fresh.argmax(-1))
                np.testing.assert_allclose(probs.max(-1), fresh.max(-1), atol=2e-3)
                np.testing.assert_allclose(probs.sum(-1), 1.0, atol=2e-3)
    assert len(gens[0].teacher_memo) == gens[0].num_samples and len(gens[1].teacher_memo) == gens[1].num_samples
