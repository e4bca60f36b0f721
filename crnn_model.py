"""Keras 3 implementation of CRNN (https://arxiv.org/abs/1507.05717).

Layer names and shapes are those of the original Keras 2 project, so weights
trained there load with ``model.load_weights('CRNN_weights.h5')``.
"""

import functools

import keras
from keras import ops
from keras.layers import (Activation, BatchNormalization, Bidirectional, Conv1D, Conv2D, Dense, GRU,
                          Input, LSTM, MaxPool2D, Reshape, concatenate)
from keras.models import Model

# Keras 2's ctc_batch_cost took log(softmax + epsilon) as its logits.
CTC_EPSILON = 1e-7


def _sparse_ctc_loss_tf(labels, logits, label_length, logit_length, blank):
    """TensorFlow's native CTC op on sparse labels: much faster than the dense
    op-by-op path of keras.ops.ctc_loss (loss + gradient, BENCHMARKS.md), the
    same values. It does not compile under XLA."""
    import tensorflow as tf
    indices = tf.where(tf.sequence_mask(label_length, tf.shape(labels)[1]))
    sparse = tf.SparseTensor(indices, tf.gather_nd(labels, indices), tf.shape(labels, out_type=tf.int64))
    return tf.nn.ctc_loss(sparse, logits, None, logit_length, logits_time_major=False, blank_index=blank)


@keras.saving.register_keras_serializable(package='crnn')
class CTCLoss(keras.layers.Layer):
    """Per-sample CTC loss as a layer, so the training model's output *is* the
    loss (the original's ``Lambda(ctc_batch_cost)``). Blank = last class.

    ``sparse``: on TensorFlow, use its native sparse-label op (fast; not under
    XLA); other backends always use keras.ops.ctc_loss. ``blank``: the blank's
    class index, None for the last (the decoders assume the last)."""

    def __init__(self, sparse=True, blank=None, **kwargs):
        super().__init__(**kwargs)
        self.sparse = sparse
        self.blank = blank

    def call(self, inputs):
        labels, y_pred, input_length, label_length = inputs
        blank = y_pred.shape[-1] - 1 if self.blank is None else self.blank
        log_probs = ops.log(ops.cast(y_pred, 'float32') + CTC_EPSILON)
        args = (ops.cast(labels, 'int32'), log_probs, ops.cast(ops.reshape(label_length, (-1,)), 'int32'),
                ops.cast(ops.reshape(input_length, (-1,)), 'int32'))
        if self.sparse and keras.backend.backend() == 'tensorflow':
            loss = _sparse_ctc_loss_tf(*args, blank=blank)
        else:
            loss = ops.ctc_loss(*args, mask_index=blank)
        return ops.expand_dims(loss, -1)

    def get_config(self):
        return {**super().get_config(), 'sparse': self.sparse, 'blank': self.blank}

    def compute_output_shape(self, input_shapes):
        return (input_shapes[1][0], 1)


def ctc_identity(y_true, y_pred):
    """The compile loss of the training model: its output already is the loss."""
    return y_pred


def _conv_stack(x, act, bn):
    x = Conv2D(64, (3, 3), activation=act, padding='same', name='conv1_1')(x)
    x = MaxPool2D((2, 2), strides=(2, 2), padding='same', name='pool1')(x)
    x = Conv2D(128, (3, 3), activation=act, padding='same', name='conv2_1')(x)
    x = MaxPool2D((2, 2), strides=(2, 2), padding='same', name='pool2')(x)
    x = Conv2D(256, (3, 3), activation=act, padding='same', name='conv3_1')(x)
    x = Conv2D(256, (3, 3), activation=act, padding='same', name='conv3_2')(x)
    x = MaxPool2D((2, 2), strides=(1, 2), padding='same', name='pool3')(x)
    x = Conv2D(512, (3, 3), activation=act, padding='same', name='conv4_1')(x)
    x = bn(name='batchnorm1')(x)
    x = Conv2D(512, (3, 3), activation=act, padding='same', name='conv5_1')(x)
    x = bn(name='batchnorm2')(x)
    x = MaxPool2D((2, 2), strides=(1, 2), padding='valid', name='pool5')(x)
    x = Conv2D(512, (2, 2), activation=act, padding='valid', name='conv6_1')(x)
    return x


def _rnn_head(x, act, bn, cell):
    for i in (1, 2):
        x = Bidirectional(cell(), name='bidirectional_%i' % i)(x)
    return x


def _cnn_head(x, act, bn):
    for i in range(6):
        x = bn(name='batch_normalization_%i' % (i + 1))(x)
        x1 = Conv1D(128, 5, dilation_rate=1, padding='same', activation=act, name='conv1d_%i' % (i * 2 + 1))(x)
        x2 = Conv1D(128, 5, dilation_rate=2, padding='same', activation=act, name='conv1d_%i' % (i * 2 + 2))(x)
        x = concatenate([x1, x2], name='concatenate_%i' % (i + 1))
    return x


# Sequence heads over the conv stack's columns, by name (the original's three): (x, act, bn) -> x. A new head is
# one entry; the layer names are the original's, so its weights files load.
HEADS = {
    'lstm': functools.partial(_rnn_head, cell=lambda: LSTM(256, return_sequences=True)),
    'gru': functools.partial(_rnn_head, cell=lambda: GRU(256, return_sequences=True, reset_after=False)),
    'cnn': _cnn_head,
}


def CRNN(input_shape, num_classes, prediction_only=False, gru=False, cnn=False, sync_batchnorm=False,
         sparse_ctc=True, head=None):
    """CRNN architecture: VGG conv stack, 2 x BiLSTM(256), softmax.

    # Arguments
        input_shape: (width, height, channels) of the input, e.g. (256, 32, 1);
            width None takes lines of any width (the weights are the same).
        num_classes: number of characters in the charset, CTC blank included.
        prediction_only: return only the prediction model.
        gru, cnn: the original's GRU and dilated-Conv1D variants of the head.
        head: the sequence head by name, one of HEADS ('lstm', 'gru', 'cnn');
            given, it replaces gru and cnn.
        sync_batchnorm: batch statistics over all replicas of a tf.distribute
            strategy, so N replicas train like one device on the global batch
            (TensorFlow only; the weights are the same either way).
        sparse_ctc: TensorFlow's fast sparse CTC op (off under XLA).

    # Returns
        (model_train, model_pred): the training model takes image_input,
        label_input, input_length and label_length and outputs the CTC loss
        (layer 'ctc'); the prediction model outputs softmax (B, T, num_classes)
        with T = model_pred.output_shape[1] time steps (62 at width 256).
    """
    head = head or ('cnn' if cnn else 'gru' if gru else 'lstm')
    if head not in HEADS:
        raise ValueError('unknown sequence head %r (%s)' % (head, ', '.join(HEADS)))
    act = 'relu'
    bn = functools.partial(BatchNormalization, synchronized=True) if sync_batchnorm else BatchNormalization
    image_input = Input(shape=input_shape, name='image_input')
    x = _conv_stack(image_input, act, bn)
    steps, channels = x.shape[1], x.shape[3]
    if x.shape[2] != 1:
        raise ValueError('input height %d does not reduce to 1 row (use 32)' % input_shape[1])
    x = Reshape((-1 if steps is None else steps, channels), name='reshape_1')(x)
    x = HEADS[head](x, act, bn)
    x = Dense(num_classes, name='dense1', dtype='float32')(x)  # logits stay float32 under mixed precision
    y_pred = Activation('softmax', name='softmax', dtype='float32')(x)

    model_pred = Model(image_input, y_pred, name='crnn_pred')
    if prediction_only:
        return model_pred

    labels = Input(name='label_input', shape=(steps,), dtype='float32')
    input_length = Input(name='input_length', shape=(1,), dtype='int32')
    label_length = Input(name='label_length', shape=(1,), dtype='int32')
    ctc_loss = CTCLoss(sparse=sparse_ctc, name='ctc', dtype='float32')([labels, y_pred, input_length, label_length])
    model_train = Model(inputs=[image_input, labels, input_length, label_length], outputs={'ctc': ctc_loss}, name='crnn')
    return model_train, model_pred


def time_steps(model_pred):
    """Number of CTC time steps (the original's max_string_len); None for a
    model built for any width (see :func:`output_steps`)."""
    return model_pred.output_shape[1]


def output_steps(width):
    """CTC time steps of an input ``width`` wide: two halving poolings
    ('same'), then pool5 and conv6 take one column each (256 -> 62)."""
    return -(-(-(-width // 2)) // 2) - 2
