"""Keras 3 implementation of CRNN (https://arxiv.org/abs/1507.05717).

Layer names and shapes are those of the original Keras 2 project, so weights
trained there load with ``model.load_weights('CRNN_weights.h5')``.
"""

import functools
from typing import NamedTuple

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
    class index, None for the last (the decoders assume the last).
    ``distill``: with a fifth input, a teacher's per-step probabilities, add
    this weight times KL(teacher || prediction) summed over the steps
    (distillation: the student learns the teacher's alignment too)."""

    def __init__(self, sparse=True, blank=None, distill=0.0, **kwargs):
        super().__init__(**kwargs)
        self.sparse = sparse
        self.blank = blank
        self.distill = distill

    def call(self, inputs):
        labels, y_pred, input_length, label_length = inputs[:4]
        blank = y_pred.shape[-1] - 1 if self.blank is None else self.blank
        log_probs = ops.log(ops.cast(y_pred, 'float32') + CTC_EPSILON)
        args = (ops.cast(labels, 'int32'), log_probs, ops.cast(ops.reshape(label_length, (-1,)), 'int32'),
                ops.cast(ops.reshape(input_length, (-1,)), 'int32'))
        if self.sparse and keras.backend.backend() == 'tensorflow':
            loss = _sparse_ctc_loss_tf(*args, blank=blank)
        else:
            loss = ops.ctc_loss(*args, mask_index=blank)
        if self.distill and len(inputs) > 4:
            teacher = ops.cast(inputs[4], 'float32')
            kl = ops.sum(teacher * (ops.log(teacher + CTC_EPSILON) - log_probs), axis=-1)
            loss = loss + self.distill * ops.sum(kl, axis=-1)
        return ops.expand_dims(loss, -1)

    def get_config(self):
        return {**super().get_config(), 'sparse': self.sparse, 'blank': self.blank, 'distill': self.distill}

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


def _light_conv_stack(x, act, bn):
    """A narrow conv stack with the VGG stack's geometry (the same time steps
    per width, so data, decoding and page reading are unchanged) at about a
    fifth of its multiply-adds; batch norm after every convolution (folded
    into the convolution at inference) for training from scratch."""
    def conv(x, filters, name, kernel=(3, 3), padding='same'):
        x = Conv2D(filters, kernel, padding=padding, use_bias=False, name=name)(x)
        return Activation(act, name=name + '_relu')(bn(name=name + '_bn')(x))
    x = conv(x, 32, 'lconv1')
    x = MaxPool2D((2, 2), strides=(2, 2), padding='same', name='lpool1')(x)
    x = conv(x, 64, 'lconv2')
    x = MaxPool2D((2, 2), strides=(2, 2), padding='same', name='lpool2')(x)
    x = conv(x, 128, 'lconv3_1')
    x = conv(x, 128, 'lconv3_2')
    x = MaxPool2D((2, 2), strides=(1, 2), padding='same', name='lpool3')(x)
    x = conv(x, 192, 'lconv4')
    x = conv(x, 192, 'lconv5')
    x = MaxPool2D((2, 2), strides=(1, 2), padding='valid', name='lpool5')(x)
    return conv(x, 256, 'lconv6', kernel=(2, 2), padding='valid')


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
    'lstm128': functools.partial(_rnn_head, cell=lambda: LSTM(128, return_sequences=True)),
    'gru': functools.partial(_rnn_head, cell=lambda: GRU(256, return_sequences=True, reset_after=False)),
    'cnn': _cnn_head,
}


class Arch(NamedTuple):
    """A recognizer architecture: its conv stack (x, act, bn) -> x with the
    geometry of output_steps, its default sequence head, and the name of its
    first layer, which tells a weights file's architecture."""
    conv_stack: object
    head: str
    first_layer: str


# Architectures by name: the original's VGG CRNN and the light one. A new one is one entry.
ARCHS = {
    'crnn': Arch(_conv_stack, 'lstm', 'conv1_1'),
    'light': Arch(_light_conv_stack, 'lstm128', 'lconv1'),
}


def arch_of_layers(layer_names):
    """The ARCHS name of a model with these layer names (a weights file's
    ``layer_names``); None when no architecture's first layer is among them."""
    names = set(layer_names)
    return next((name for name, arch in ARCHS.items() if arch.first_layer in names), None)


def CRNN(input_shape, num_classes, prediction_only=False, gru=False, cnn=False, sync_batchnorm=False,
         sparse_ctc=True, head=None, arch='crnn', distill=0.0):
    """CRNN architecture: VGG conv stack, 2 x BiLSTM(256), softmax.

    # Arguments
        input_shape: (width, height, channels) of the input, e.g. (256, 32, 1);
            width None takes lines of any width (the weights are the same).
        num_classes: number of characters in the charset, CTC blank included.
        prediction_only: return only the prediction model.
        gru, cnn: the original's GRU and dilated-Conv1D variants of the head.
        head: the sequence head by name, one of HEADS ('lstm', 'gru', 'cnn',
            'lstm128'); given, it replaces gru and cnn. Default: the arch's.
        arch: the architecture by name, one of ARCHS ('crnn': the original's
            VGG stack; 'light': a narrow stack with the same time steps).
        distill: weight of a distillation term: the training model takes a
            fifth input 'teacher_probs' (B, T, num_classes), a teacher's
            softmax on the same lines, and adds ``distill`` times the KL
            divergence of the prediction from it, summed over time steps.
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
    if arch not in ARCHS:
        raise ValueError('unknown architecture %r (%s)' % (arch, ', '.join(ARCHS)))
    head = head or ('cnn' if cnn else 'gru' if gru else ARCHS[arch].head)
    if head not in HEADS:
        raise ValueError('unknown sequence head %r (%s)' % (head, ', '.join(HEADS)))
    act = 'relu'
    bn = functools.partial(BatchNormalization, synchronized=True) if sync_batchnorm else BatchNormalization
    image_input = Input(shape=input_shape, name='image_input')
    x = ARCHS[arch].conv_stack(image_input, act, bn)
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
    inputs = [image_input, labels, input_length, label_length]
    if distill:
        inputs.append(Input(name='teacher_probs', shape=(steps, num_classes), dtype='float32'))
    ctc_loss = CTCLoss(sparse=sparse_ctc, distill=distill, name='ctc', dtype='float32')(
        [labels, y_pred, input_length, label_length] + inputs[4:])
    model_train = Model(inputs=inputs, outputs={'ctc': ctc_loss}, name='crnn')
    return model_train, model_pred


def time_steps(model_pred):
    """Number of CTC time steps (the original's max_string_len); None for a
    model built for any width (see :func:`output_steps`)."""
    return model_pred.output_shape[1]


def output_steps(width):
    """CTC time steps of an input ``width`` wide: two halving poolings
    ('same'), then pool5 and conv6 take one column each (256 -> 62)."""
    return -(-(-(-width // 2)) // 2) - 2
