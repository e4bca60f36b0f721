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


def test_a_student_with_an_extended_charset_learns_the_teacher_on_the_lines_it_knows(aihub_dir):
    """--extend-charset with a teacher: the teacher's classes keep their
    places, the new ones get nothing, and a line with a new character has no
    distillation target (zeros), so that the CTC loss alone teaches it."""
    from crnn_utils import extend_charset
    charset, added = extend_charset(general_charset(), ['契約'])
    assert added == '契約'
    teacher = Teacher(os.path.join(ROOT, 'CRNN_weights_korean_v8.h5'), charset, log=None)
    gt = GTUtility(aihub_dir)
    gen = InputGenerator(gt, 4, charset, (256, 32), buckets=(128, 256), steps=output_steps, teacher=teacher,
                         verbose=False)
    inputs, _ = gen.generate().batch(0)
    probs, labels = inputs['teacher_probs'], inputs['label_input']
    assert probs.shape[-1] == len(charset)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=2e-3)
    assert not probs[..., len(charset) - 3:-1].any()  # the new classes
    own = teacher(inputs['image_input'])
    np.testing.assert_array_equal(own.argmax(-1) == len(charset) - 1, probs.argmax(-1) == len(charset) - 1)
    labels[0, 0] = charset.index('契')
    masked = teacher(inputs['image_input'], labels=labels)
    assert not masked[0].any() and masked[1:].any()
