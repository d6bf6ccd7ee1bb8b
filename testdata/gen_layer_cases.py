#!/usr/bin/env python3
"""Generate testdata/layer_cases/{k2,k3}.json: per-layer shape and weight cases
computed by real Keras, the oracle for internal/model/layers_test.go.

Keras 2 is tf-keras (`import tf_keras`), Keras 3 is `keras` (TensorFlow
backend); the versions are pinned in requirements-test.txt and asserted below.

For every case the layer is built in a tiny Functional model on `Input`s of
the given batch shapes and we record:
  class    the layer entry's class_name in the .h5 model_config
  config   the layer entry's config, taken from the same model_metadata()
           + json.dumps call the legacy .h5 saver makes
  inputs   the input shapes (batch dim included, null for None)
  outputs  the output shapes Keras computed
  weights  [{name, shape, trainable}] in .h5 order (trainable, then
           non-trainable), name = last path component without ":0"
  params   layer.count_params()
Cases where Keras refuses the layer (at construction or when it is called)
are recorded with "error": true and the config the layer would carry (the
legacy serializer's output, or the constructor arguments if construction
failed).

With --apps, every distinct layer (class, config, input shapes) of one model
per keras.applications family is added too ("source": "apps:<model>"): about
1,500 cases per dialect and 1.5 minutes, so the committed files do not have
them. Check them with
    .venv/bin/python testdata/gen_layer_cases.py --apps --out /tmp/cases
    MODELSURG_LAYER_CASES=/tmp/cases go test ./internal/model -run LayerCases

Usage: .venv/bin/python testdata/gen_layer_cases.py [--apps] [--out DIR]
Each dialect runs in its own subprocess, both in parallel (about 20 s).
"""

import argparse
import json
import os
import subprocess
import sys
import time

KERAS2_VERSION = "2.21.0"
KERAS3_VERSION = "3.15.1"

N = None  # shorthand for a None dimension in shapes below


def cases(d):
    """The case list for dialect d ("k2" or "k3").

    Each case is (class, kwargs, [input batch shapes]); a class may be a
    callable for classes that are not in keras.layers."""
    k3 = d == "k3"
    C = []

    def c(cls, kw, *shapes):
        C.append((cls, kw, list(shapes)))

    cl, cf = "channels_last", "channels_first"

    # Dense
    c("Dense", dict(units=5), (N, 4))
    c("Dense", dict(units=3), (N, 2, 4))
    c("Dense", dict(units=3, use_bias=False), (N, 2, 3, 4))
    c("Dense", dict(units=7), (N, N, 4))
    c("Dense", dict(units=1), (8, 4))
    c("Dense", dict(units=2), (N, N))  # last dim None
    c("Dense", dict(units=2), (N,))  # rank 1
    c("Dense", dict(units=0), (N, 3))
    c("Dense", dict(units=-2), (N, 3))

    # Conv1D
    c("Conv1D", dict(filters=4, kernel_size=3), (N, 10, 3))
    c("Conv1D", dict(filters=4, kernel_size=3, padding="same"), (N, 10, 3))
    c("Conv1D", dict(filters=4, kernel_size=3, padding="causal"), (N, 10, 3))
    c("Conv1D", dict(filters=4, kernel_size=3, padding="causal", strides=2), (N, 11, 3))
    c("Conv1D", dict(filters=4, kernel_size=3, strides=2), (N, 10, 3))
    c("Conv1D", dict(filters=4, kernel_size=3, strides=3, padding="same"), (N, 10, 3))
    c("Conv1D", dict(filters=2, kernel_size=3, dilation_rate=2), (N, 10, 3))
    c("Conv1D", dict(filters=2, kernel_size=3, dilation_rate=3, padding="same"), (N, 10, 3))
    c("Conv1D", dict(filters=6, kernel_size=2, groups=3), (N, 9, 6))
    c("Conv1D", dict(filters=4, kernel_size=3, use_bias=False), (N, N, 3))
    c("Conv1D", dict(filters=4, kernel_size=3), (N, 2, 3))  # too small
    c("Conv1D", dict(filters=4, kernel_size=3), (N, 3, 3))  # exactly fits
    c("Conv1D", dict(filters=4, kernel_size=3), (N, 10, N))  # channels None
    c("Conv1D", dict(filters=4, kernel_size=2, groups=2), (N, 9, 3))  # groups !| channels
    c("Conv1D", dict(filters=3, kernel_size=2, groups=2), (N, 9, 4))  # groups !| filters
    c("Conv1D", dict(filters=4, kernel_size=3, strides=2, dilation_rate=2), (N, 10, 3))
    c("Conv1D", dict(filters=4, kernel_size=3), (N, 10, 3, 1))  # rank
    c("Conv1D", dict(filters=4, kernel_size=0), (N, 10, 3))
    if k3:
        c("Conv1D", dict(filters=4, kernel_size=3, data_format=cf), (N, 3, 10))
        c("Conv1D", dict(filters=4, kernel_size=3, padding="causal", data_format=cf), (N, 3, 10))

    # Conv2D
    c("Conv2D", dict(filters=8, kernel_size=3), (N, 8, 8, 3))
    c("Conv2D", dict(filters=8, kernel_size=(3, 5), padding="same"), (N, 8, 9, 3))
    c("Conv2D", dict(filters=4, kernel_size=7, strides=2, padding="same"), (N, 224, 224, 3))
    c("Conv2D", dict(filters=4, kernel_size=3, strides=(2, 1)), (N, 9, 8, 3))
    c("Conv2D", dict(filters=4, kernel_size=3, strides=2, padding="same"), (N, 7, 8, 3))
    c("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=(2, 3)), (N, 12, 12, 2))
    c("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (N, 12, 11, 2))
    c("Conv2D", dict(filters=6, kernel_size=1, groups=2), (N, 5, 5, 4))
    c("Conv2D", dict(filters=4, kernel_size=3, use_bias=False), (N, N, N, 3))
    c("Conv2D", dict(filters=4, kernel_size=3, strides=2), (N, N, 9, 3))
    c("Conv2D", dict(filters=4, kernel_size=3, data_format=cf), (N, 3, 8, 8))
    c("Conv2D", dict(filters=4, kernel_size=(1, 3), strides=2, padding="same", data_format=cf), (N, 3, 7, 8))
    c("Conv2D", dict(filters=4, kernel_size=3, data_format=cf), (N, 3, N, 8))
    c("Conv2D", dict(filters=4, kernel_size=3), (2, 8, 8, 3))
    c("Conv2D", dict(filters=4, kernel_size=3), (N, 8, 2, 3))  # too small
    c("Conv2D", dict(filters=4, kernel_size=3, padding="same"), (N, 8, 2, 3))  # same: fine
    c("Conv2D", dict(filters=4, kernel_size=3), (N, 8, 8, N))
    c("Conv2D", dict(filters=4, kernel_size=3, data_format=cf), (N, N, 8, 8))
    c("Conv2D", dict(filters=4, kernel_size=3), (N, 8, 8))  # rank
    c("Conv2D", dict(filters=4, kernel_size=3, padding="causal"), (N, 8, 8, 3))
    c("Conv2D", dict(filters=0, kernel_size=3), (N, 8, 8, 3))
    c("Conv2D", dict(filters=4, kernel_size=3, strides=0), (N, 8, 8, 3))

    # inputs with extra leading (batch) axes
    c("Conv2D", dict(filters=4, kernel_size=3), (N, 2, 8, 8, 3))
    c("Conv2D", dict(filters=4, kernel_size=3, data_format=cf), (N, 2, 3, 8, 8))
    c("Conv1D", dict(filters=4, kernel_size=3, padding="same"), (N, N, 2, 10, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3), (N, 2, 8, 8, 3))
    c("DepthwiseConv2D", dict(kernel_size=3), (N, 2, 8, 8, 3))
    c("SeparableConv2D", dict(filters=4, kernel_size=3), (N, 2, 8, 8, 3))
    c("SeparableConv1D", dict(filters=4, kernel_size=3), (N, 2, 8, 3))
    c("DepthwiseConv1D", dict(kernel_size=3), (N, 2, 8, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3), (N, 2, 8, 3))
    c("MaxPooling2D", dict(pool_size=2), (N, 2, 8, 8, 3))
    c("GlobalAveragePooling1D", dict(), (N, 2, 8, 3))
    # strides and dilation together
    c("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, dilation_rate=2), (N, 5, 6, 3))
    c("DepthwiseConv2D", dict(kernel_size=3, strides=2, dilation_rate=2), (N, 9, 9, 3))
    c("SeparableConv2D", dict(filters=4, kernel_size=3, strides=2, dilation_rate=2), (N, 9, 9, 3))
    c("DepthwiseConv1D", dict(kernel_size=3, padding="causal"), (N, 9, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3, padding="causal"), (N, 9, 3))

    # Conv3D
    c("Conv3D", dict(filters=2, kernel_size=3), (N, 8, 8, 8, 2))
    c("Conv3D", dict(filters=2, kernel_size=(1, 2, 3), strides=2, padding="same"), (N, 7, 8, 9, 2))
    c("Conv3D", dict(filters=2, kernel_size=3, dilation_rate=2), (N, 8, 9, 10, 1))
    c("Conv3D", dict(filters=2, kernel_size=3, data_format=cf), (N, 2, 8, 8, 8))
    c("Conv3D", dict(filters=4, kernel_size=2, groups=2), (N, 4, 4, N, 2))
    c("Conv3D", dict(filters=2, kernel_size=3), (N, 8, 2, 8, 2))

    # Transposed convolutions
    c("Conv1DTranspose", dict(filters=4, kernel_size=3), (N, 10, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2), (N, 10, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same"), (N, 10, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=2, strides=3), (N, 10, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2, output_padding=1), (N, 10, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3, dilation_rate=2), (N, 10, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2, use_bias=False), (N, N, 3))
    c("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=2, output_padding=2), (N, 10, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=4, strides=2, padding="same"), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=(2, 3), padding="same"), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, output_padding=1), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=(3, 2), strides=2, padding="same", output_padding=(1, 0)), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, data_format=cf), (N, 3, 5, 6))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2), (N, N, 6, 3))
    c("Conv2DTranspose", dict(filters=2, kernel_size=1, strides=4), (N, 5, 6, 3))
    c("Conv2DTranspose", dict(filters=4, kernel_size=3), (N, 5, 6, N))
    c("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2), (N, 4, 5, 6, 2))
    c("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same", data_format=cf), (N, 2, 4, 5, 6))
    c("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), (N, 4, N, 6, 2))

    # Depthwise
    c("DepthwiseConv2D", dict(kernel_size=3), (N, 8, 8, 3))
    c("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, padding="same"), (N, 8, 8, 3))
    c("DepthwiseConv2D", dict(kernel_size=3, strides=2), (N, 9, 8, 3))
    c("DepthwiseConv2D", dict(kernel_size=(3, 5), strides=2, padding="same", use_bias=False), (N, 9, 8, 3))
    c("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2), (N, 9, 8, 3))
    c("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=3, data_format=cf), (N, 2, 8, 8))
    c("DepthwiseConv2D", dict(kernel_size=3), (N, N, N, 4))
    c("DepthwiseConv2D", dict(kernel_size=3), (N, 2, 8, 3))
    c("DepthwiseConv2D", dict(kernel_size=3), (N, 8, 8, N))
    c("DepthwiseConv1D", dict(kernel_size=3), (N, 10, 3))
    c("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same"), (N, 10, 3))
    c("DepthwiseConv1D", dict(kernel_size=3, use_bias=False, dilation_rate=2), (N, N, 3))
    c("DepthwiseConv1D", dict(kernel_size=3), (N, 2, 3))

    # Separable
    c("SeparableConv2D", dict(filters=5, kernel_size=3), (N, 8, 8, 3))
    c("SeparableConv2D", dict(filters=5, kernel_size=3, depth_multiplier=2, padding="same", strides=2), (N, 8, 7, 3))
    c("SeparableConv2D", dict(filters=5, kernel_size=3, use_bias=False), (N, N, 8, 3))
    c("SeparableConv2D", dict(filters=5, kernel_size=3, data_format=cf, dilation_rate=2), (N, 3, 8, 9))
    c("SeparableConv2D", dict(filters=5, kernel_size=3), (N, 8, 8, N))
    c("SeparableConv2D", dict(filters=5, kernel_size=3), (N, 1, 8, 3))
    c("SeparableConv1D", dict(filters=5, kernel_size=3, depth_multiplier=2), (N, 10, 3))
    c("SeparableConv1D", dict(filters=5, kernel_size=3, padding="same", strides=2, use_bias=False), (N, 10, 3))
    c("SeparableConv1D", dict(filters=5, kernel_size=3, padding="causal"), (N, 10, 3))

    # Pooling
    for p in ["Max", "Average"]:
        c(p + "Pooling1D", dict(pool_size=2), (N, 10, 3))
        c(p + "Pooling1D", dict(pool_size=3, strides=2, padding="same"), (N, 10, 3))
        c(p + "Pooling1D", dict(pool_size=3, strides=1), (N, N, 3))
        c(p + "Pooling1D", dict(pool_size=2, data_format=cf), (N, 3, 10))
        c(p + "Pooling1D", dict(pool_size=4), (N, 3, 2))
        c(p + "Pooling2D", dict(pool_size=2), (N, 8, 7, 3))
        c(p + "Pooling2D", dict(pool_size=3, strides=2), (N, 9, 10, 3))
        c(p + "Pooling2D", dict(pool_size=3, strides=2, padding="same"), (N, 9, 10, 3))
        c(p + "Pooling2D", dict(pool_size=(2, 3), strides=(1, 2)), (N, 9, 10, 3))
        c(p + "Pooling2D", dict(pool_size=2, data_format=cf), (N, 3, 9, 10))
        c(p + "Pooling2D", dict(pool_size=2), (N, N, 5, 3))
        c(p + "Pooling2D", dict(pool_size=3), (N, 3, 3, 3))
        c(p + "Pooling2D", dict(pool_size=3), (N, 2, 3, 3))
        c(p + "Pooling2D", dict(pool_size=3, padding="same"), (N, 2, 3, 3))
        c(p + "Pooling2D", dict(pool_size=2), (N, 4, 4))
        c(p + "Pooling3D", dict(pool_size=2), (N, 4, 5, 6, 2))
        c(p + "Pooling3D", dict(pool_size=3, strides=2, padding="same", data_format=cf), (N, 2, 5, 6, 7))
        c(p + "Pooling3D", dict(pool_size=(1, 2, 3)), (N, 4, N, 6, 2))
    for p in ["GlobalAverage", "GlobalMax"]:
        c(p + "Pooling1D", dict(), (N, 10, 3))
        c(p + "Pooling1D", dict(keepdims=True), (N, N, 3))
        c(p + "Pooling1D", dict(data_format=cf), (N, 3, 10))
        c(p + "Pooling2D", dict(), (N, 8, 8, 3))
        c(p + "Pooling2D", dict(keepdims=True), (N, 8, 8, 3))
        c(p + "Pooling2D", dict(data_format=cf), (N, 3, 8, 8))
        c(p + "Pooling2D", dict(data_format=cf, keepdims=True), (N, N, N, N))
        c(p + "Pooling3D", dict(), (N, 4, 5, 6, 2))
        c(p + "Pooling3D", dict(keepdims=True, data_format=cf), (N, 2, 4, 5, 6))
        c(p + "Pooling2D", dict(), (N, 8, 3))

    # Reshaping
    c("Flatten", dict(), (N, 2, 3, 4))
    c("Flatten", dict(), (N, 5))
    c("Flatten", dict(), (N, N, 3))
    c("Flatten", dict(), (3, 2, 2))
    c("Flatten", dict(data_format=cf), (N, 3, 4, 5))
    c("Flatten", dict(), (N,))
    c("Reshape", dict(target_shape=(3, 4)), (N, 12))
    c("Reshape", dict(target_shape=(-1, 2)), (N, 3, 4))
    c("Reshape", dict(target_shape=(2, -1, 3)), (N, 12))
    c("Reshape", dict(target_shape=(1, 1, 5)), (N, 5))
    c("Reshape", dict(target_shape=(-1,)), (N, N, 4))
    c("Reshape", dict(target_shape=(2, 2)), (N, N))
    c("Reshape", dict(target_shape=(5, -1)), (N, 12))
    c("Reshape", dict(target_shape=(3, 5)), (N, 12))
    c("Reshape", dict(target_shape=(-1, -1)), (N, 12))
    c("Reshape", dict(target_shape=(12,)), (4, 3, 4))
    c("Permute", dict(dims=(2, 1)), (N, 3, 4))
    c("Permute", dict(dims=(3, 1, 2)), (N, 2, N, 4))
    c("Permute", dict(dims=(1, 1)), (N, 3, 4))
    c("Permute", dict(dims=(1, 2, 3)), (N, 3, 4))
    c("RepeatVector", dict(n=3), (N, 5))
    c("RepeatVector", dict(n=2), (N, N))
    c("RepeatVector", dict(n=2), (N, 3, 5))

    # Shape-preserving layers
    c("Dropout", dict(rate=0.5), (N, 4))
    c("Dropout", dict(rate=0.2, noise_shape=(None, 1, 4)), (N, 3, 4))
    c("Dropout", dict(rate=0.1), (N, N, N, 3))
    c("SpatialDropout1D", dict(rate=0.5), (N, 5, 3))
    c("SpatialDropout2D", dict(rate=0.5), (N, 5, 4, 3))
    c("SpatialDropout2D", dict(rate=0.5, data_format=cf), (N, 3, 5, 4))
    c("SpatialDropout3D", dict(rate=0.5), (N, 5, 4, 3, 2))
    c("SpatialDropout2D", dict(rate=0.5), (N, 5, 3))
    c("SpatialDropout1D", dict(rate=0.5), (N, 5))
    c("GaussianNoise", dict(stddev=0.1), (N, 3, 4))
    c("GaussianDropout", dict(rate=0.1), (N, 3, 4))
    c("AlphaDropout", dict(rate=0.1), (N, 3))
    c("ActivityRegularization", dict(l1=0.01, l2=0.001), (N, 3, 4))
    c("Activation", dict(activation="relu"), (N, 3, 4))
    c("Activation", dict(activation="softmax"), (N, 10))
    c("Activation", dict(activation="gelu"), (N, N, 7))
    c("Activation", dict(activation="linear"), (N, 2, 2, 2, 2))
    c("ReLU", dict(max_value=6.0), (N, 4, 4, 3))
    c("ReLU", dict(negative_slope=0.1, threshold=0.5), (N, 4))
    c("LeakyReLU", dict(), (N, 4, 3))
    c("ELU", dict(), (N, 4, 3))
    c("Softmax", dict(axis=1), (N, 4, 3))
    c("Softmax", dict(), (N, 4))
    if not k3:
        c("ThresholdedReLU", dict(theta=0.5), (N, 4, 3))
    c("PReLU", dict(), (N, 4, 5, 3))
    c("PReLU", dict(shared_axes=[1, 2]), (N, 4, 5, 3))
    c("PReLU", dict(shared_axes=[1, 2]), (N, N, N, 3))
    c("PReLU", dict(), (N, 7))
    c("PReLU", dict(shared_axes=[2]), (N, N, 3))
    c("PReLU", dict(), (N, N, 3))
    c("Identity", dict(), (N, 3, 4))
    c("Masking", dict(mask_value=0.0), (N, 5, 3))
    c("UnitNormalization", dict(), (N, 5, 3))
    c("UnitNormalization", dict(axis=[1, 2]), (N, 5, 3))
    c("Rescaling", dict(scale=1 / 255.0, offset=-1.0), (N, 8, 8, 3))
    c("Rescaling", dict(scale=2.0), (N, N))

    # Normalization layers
    c("BatchNormalization", dict(), (N, 4, 4, 3))
    c("BatchNormalization", dict(axis=1), (N, 3, 4, 4))
    c("BatchNormalization", dict(), (N, 7))
    c("BatchNormalization", dict(axis=2), (N, 5, 6))
    c("BatchNormalization", dict(center=False), (N, 4, 4, 3))
    c("BatchNormalization", dict(scale=False, epsilon=1.001e-5), (N, N, N, 3))
    c("BatchNormalization", dict(center=False, scale=False), (N, 4, 4, 3))
    c("BatchNormalization", dict(axis=-2), (N, 4, 5, 3))
    c("BatchNormalization", dict(), (N, 4, 4, N))
    c("BatchNormalization", dict(axis=4), (N, 4, 4, 3))
    c("BatchNormalization", dict(renorm=True), (N, 4, 3))
    c("BatchNormalization", dict(), (N,))
    if not k3:
        c("BatchNormalization", dict(axis=[1, 2]), (N, 3, 4, 5))
        c("BatchNormalization", dict(axis=[1, 3]), (N, 3, 4, 5))
        c("BatchNormalization", dict(axis=[3]), (N, 3, 4, 5))
    c("LayerNormalization", dict(), (N, 4, 3))
    c("LayerNormalization", dict(epsilon=1e-6), (N, 7, 7, 96))
    c("LayerNormalization", dict(axis=[1, 2]), (N, 4, 5, 3))
    c("LayerNormalization", dict(axis=1), (N, 4, 5, 3))
    c("LayerNormalization", dict(center=False), (N, 4, 3))
    c("LayerNormalization", dict(scale=False), (N, N, 3))
    c("LayerNormalization", dict(), (N, 4, N))
    c("LayerNormalization", dict(axis=3), (N, 4, 3))
    if k3:
        c("LayerNormalization", dict(rms_scaling=True), (N, 4, 3))
    c("GroupNormalization", dict(groups=2), (N, 4, 4, 6))
    c("GroupNormalization", dict(groups=-1), (N, 4, 6))
    c("GroupNormalization", dict(groups=3, axis=1), (N, 6, 4, 4))
    c("GroupNormalization", dict(groups=2, center=False), (N, 4, 4, 6))
    c("GroupNormalization", dict(groups=4), (N, 4, 4, 6))
    c("GroupNormalization", dict(groups=2), (N, 4, 4, N))
    c("Normalization", dict(), (N, 8, 8, 3))
    c("Normalization", dict(axis=1), (N, 3, 4))
    c("Normalization", dict(axis=(1, 2)), (N, 3, 4, 5))
    c("Normalization", dict(axis=None), (N, 3, 4))
    c("Normalization", dict(mean=[1.0, 2.0, 3.0], variance=[1.0, 2.0, 3.0]), (N, 8, 8, 3))
    c("Normalization", dict(axis=-1, invert=True), (N, 5))
    c("Normalization", dict(), (N, 8, N))

    # Merging
    for m in ["Add", "Multiply", "Average", "Maximum", "Minimum"]:
        c(m, dict(), (N, 3), (N, 3))
        c(m, dict(), (N, 4, 4, 3), (N, 4, 4, 3), (N, 4, 4, 3))
    c("Add", dict(), (N, 4, 4, 3), (N, 1, 1, 3))
    c("Add", dict(), (N, 1, 5), (N, 4, 1))
    c("Add", dict(), (N, 4, 3), (N, 3))
    c("Add", dict(), (N, 3), (N, 4, 3))
    c("Add", dict(), (N, N, 3), (N, 4, 3))
    c("Add", dict(), (N, N, 3), (N, 1, 3))
    c("Add", dict(), (2, 3), (N, 3))
    c("Add", dict(), (N, 3), (N, 4))
    c("Add", dict(), (N, 3))
    c("Add", dict(), (N, 3), (N, 3), (N, 5))
    c("Multiply", dict(), (N, 8, 8, 16), (N, 1, 1, 16))
    c("Multiply", dict(), (N, N, N, 16), (N, 1, 1, 16))
    c("Maximum", dict(), (N, 2, 3), (N, 2, 4))
    c("Subtract", dict(), (N, 3), (N, 3))
    c("Subtract", dict(), (N, 4, 3), (N, 1, 3))
    c("Subtract", dict(), (N, 3), (N, 3), (N, 3))
    c("Subtract", dict(), (N, 3), (N, 5))
    c("Concatenate", dict(), (N, 3), (N, 4))
    c("Concatenate", dict(axis=1), (N, 2, 3), (N, 5, 3))
    c("Concatenate", dict(axis=-1), (N, 4, 4, 3), (N, 4, 4, 5), (N, 4, 4, 1))
    c("Concatenate", dict(axis=3), (N, 4, 4, 3), (N, 4, 4, 5))
    c("Concatenate", dict(axis=-1), (N, N, 3), (N, 4, 2))
    c("Concatenate", dict(axis=-1), (N, 4, N), (N, 4, 2))
    c("Concatenate", dict(axis=1), (N, 4, 3), (N, 4, 2))
    c("Concatenate", dict(axis=-1), (N, 4, 3), (N, 3))
    c("Concatenate", dict(axis=1), (N, N, 3), (N, 4, N))
    c("Concatenate", dict(axis=-2), (2, 3, 4), (N, 5, 4))
    c("Concatenate", dict(), (N, 3))
    c("Dot", dict(axes=1), (N, 4), (N, 4))
    c("Dot", dict(axes=(2, 2)), (N, 3, 4), (N, 5, 4))
    c("Dot", dict(axes=(1, 2)), (N, 3, 4), (N, 5, 3))
    c("Dot", dict(axes=-1, normalize=True), (N, 3, 4), (N, 3, 4))
    c("Dot", dict(axes=1), (N, 4), (N, 5))

    # Padding, cropping, upsampling
    c("ZeroPadding1D", dict(), (N, 5, 3))
    c("ZeroPadding1D", dict(padding=(2, 3)), (N, N, 3))
    c("ZeroPadding2D", dict(), (N, 5, 6, 3))
    c("ZeroPadding2D", dict(padding=(2, 3)), (N, 5, 6, 3))
    c("ZeroPadding2D", dict(padding=((1, 2), (3, 4))), (N, 5, N, 3))
    c("ZeroPadding2D", dict(padding=((0, 1), (0, 1)), data_format=cf), (N, 3, 5, 6))
    c("ZeroPadding3D", dict(), (N, 2, 3, 4, 5))
    c("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (3, 1)), data_format=cf), (N, 5, 2, 3, 4))
    c("ZeroPadding2D", dict(), (N, 5, 3))
    c("Cropping1D", dict(), (N, 5, 3))
    c("Cropping1D", dict(cropping=(2, 1)), (N, 5, 3))
    c("Cropping1D", dict(cropping=(2, 3)), (N, 5, 3))
    c("Cropping1D", dict(cropping=(2, 1)), (N, N, 3))
    c("Cropping2D", dict(cropping=1), (N, 5, 6, 3))
    c("Cropping2D", dict(cropping=((1, 0), (0, 1))), (N, 5, 6, 3))
    c("Cropping2D", dict(cropping=((1, 2), (2, 3)), data_format=cf), (N, 3, 5, 6))
    c("Cropping2D", dict(cropping=((1, 2), (2, 3))), (N, N, N, 3))
    c("Cropping2D", dict(cropping=((3, 2), (0, 0))), (N, 5, 6, 3))
    c("Cropping2D", dict(cropping=((3, 3), (0, 0))), (N, 5, 6, 3))
    c("Cropping3D", dict(), (N, 4, 5, 6, 2))
    c("Cropping3D", dict(cropping=((1, 0), (0, 2), (2, 1)), data_format=cf), (N, 2, 4, 5, 6))
    c("UpSampling1D", dict(), (N, 5, 3))
    c("UpSampling1D", dict(size=3), (N, N, 3))
    c("UpSampling2D", dict(), (N, 5, 6, 3))
    c("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (N, 5, 6, 3))
    c("UpSampling2D", dict(size=2, data_format=cf), (N, 3, 5, N))
    c("UpSampling3D", dict(), (N, 2, 3, 4, 5))
    c("UpSampling3D", dict(size=(1, 2, 3), data_format=cf), (N, 5, 2, 3, 4))
    c("UpSampling2D", dict(), (N, 5, 3))
    c("UpSampling2D", dict(), (N, 5, N, 3))
    c("UpSampling2D", dict(), (N, N, 6, 3))
    c("UpSampling2D", dict(size=(2, 3), data_format=cf), (N, 3, N, 6))
    c("UpSampling2D", dict(size=(2, 3), data_format=cf), (N, 3, 5, 6))
    c("UpSampling3D", dict(), (N, 2, N, 4, 5))
    c("UpSampling3D", dict(data_format=cf), (N, 5, 2, N, 4))
    c("UpSampling3D", dict(data_format=cf), (N, 5, N, N, N))

    # Preprocessing
    c("CenterCrop", dict(height=4, width=6), (N, 10, 10, 3))
    c("CenterCrop", dict(height=4, width=6), (N, N, N, 3))
    c("Resizing", dict(height=5, width=7), (N, 10, 10, 3))
    c("Resizing", dict(height=5, width=7), (N, N, N, 3))
    c("Resizing", dict(height=5, width=7, crop_to_aspect_ratio=True), (N, 10, 12, 3))
    if k3:
        c("CenterCrop", dict(height=4, width=6, data_format=cf), (N, 3, 10, 10))
        c("Resizing", dict(height=5, width=7, data_format=cf), (N, 3, 10, 10))

    # Embedding
    c("Embedding", dict(input_dim=10, output_dim=4), (N, 5))
    c("Embedding", dict(input_dim=10, output_dim=4, mask_zero=True), (N, N))
    c("Embedding", dict(input_dim=7, output_dim=3), (N,))
    c("Embedding", dict(input_dim=7, output_dim=3), (N, 2, 3))
    if not k3:
        c("Embedding", dict(input_dim=10, output_dim=4, input_length=5), (N, 5))

    # keras.applications helper layers that are not in keras.layers
    c("LayerScale", dict(init_values=1e-6, projection_dim=96), (N, 7, 7, 96))
    c("LayerScale", dict(init_values=1e-6, projection_dim=8), (N, 8))
    c("StochasticDepth", dict(drop_path_rate=0.1), (N, 7, 7, 96))
    c("CustomScaleLayer", dict(scale=0.17), (N, 5, 5, 8), (N, 5, 5, 8))
    c("CustomScaleLayer", dict(scale=0.5), (N, 5, 5, 8), (N, 1, 1, 8))

    # tf-keras turns TF ops on Keras tensors into TFOpLambda layers (MobileNetV3, RegNet, ConvNeXt)
    if not k3:
        import tensorflow as tf

        c(("TFOpLambda", lambda x: x + 3.0), {}, (N, 4, 4, 3))
        c(("TFOpLambda", lambda x: x * (1.0 / 6.0)), {}, (N, 4, 3))
        c(("TFOpLambda", lambda x, y: x + y), {}, (N, 4, 4, 3), (N, 4, 4, 3))
        c(("TFOpLambda", lambda x, y: tf.math.multiply(x, y)), {}, (N, 1, 1, 3), (N, 4, 4, 3))
        c(("TFOpLambda", lambda x, y: tf.math.multiply(x, y)), {}, (N, N, N, 3), (N, 1, 1, 3))
        c(("TFOpLambda", lambda x: tf.nn.relu6(x)), {}, (N, 4, 3))
        c(("TFOpLambda", lambda x: tf.math.sigmoid(x)), {}, (N, 4, 3))
        c(("TFOpLambda", lambda x, y: x - y), {}, (N, 4, 3), (N, 3))
        c(("TFOpLambda", lambda x, y: x / y), {}, (N, 3), (N, 4, 3))
    C.extend(call_cases(d))
    return C


def call_cases(d):
    """Cases built by calling a function on the Input tensors: the layer is
    the one that made the (first) output; its inputs and call kwargs are read
    back from the saved node. RNNs, wrappers, attention, Lambda, TF ops."""
    k3 = d == "k3"
    if k3:
        import keras as K
    else:
        import tf_keras as K
    L = K.layers
    C = []

    def c(cls, fn, *shapes):
        C.append(((cls, fn), {}, list(shapes)))

    for rnn in ["LSTM", "GRU", "SimpleRNN"]:
        R = getattr(L, rnn)
        c(rnn, lambda x, R=R: R(3)(x), (N, 5, 4))
        c(rnn, lambda x, R=R: R(3, return_sequences=True)(x), (N, N, 4))
        c(rnn, lambda x, R=R: R(3, return_state=True)(x), (N, 5, 4))
        c(rnn, lambda x, R=R: R(2, return_sequences=True, return_state=True, use_bias=False)(x), (2, 5, 4))
        c(rnn, lambda x, R=R: R(4, go_backwards=True, stateful=True)(x), (3, 6, 2))
    c("GRU", lambda x: L.GRU(3, reset_after=False)(x), (N, 5, 4))
    c("GRU", lambda x: L.GRU(3, reset_after=False, return_state=True)(x), (N, 5, 4))
    c("LSTM", lambda x, h, s: L.LSTM(3)(x, initial_state=[h, s]), (N, 5, 4), (N, 3), (N, 3))
    c("GRU", lambda x, h: L.GRU(3, return_sequences=True)(x, initial_state=h), (N, 5, 4), (N, 3))
    if not k3:
        c("LSTM", lambda x: L.LSTM(3, time_major=True, return_sequences=True, return_state=True)(x), (5, N, 4))
        c("GRU", lambda x: L.GRU(2, time_major=True)(x), (5, N, 4))
        from tf_keras.src.layers.rnn import cudnn_gru, cudnn_lstm

        c("CuDNNLSTM", lambda x: cudnn_lstm.CuDNNLSTM(3)(x), (N, 5, 4))
        c("CuDNNLSTM", lambda x: cudnn_lstm.CuDNNLSTM(3, return_sequences=True, return_state=True)(x), (N, 5, 4))
        c("CuDNNGRU", lambda x: cudnn_gru.CuDNNGRU(3, return_state=True)(x), (N, 5, 4))
    for mode in ["concat", "sum", "mul", "ave", None]:
        c("Bidirectional", lambda x, m=mode: L.Bidirectional(L.LSTM(3), merge_mode=m)(x), (N, 5, 4))
        c("Bidirectional", lambda x, m=mode: L.Bidirectional(L.GRU(2, return_sequences=True, return_state=True),
                                                            merge_mode=m)(x), (N, N, 4))
    c("Bidirectional", lambda x: L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True))(x), (N, 5, 4))
    c("Bidirectional", lambda x: L.Bidirectional(L.SimpleRNN(3), backward_layer=L.SimpleRNN(
        2, go_backwards=True))(x), (N, 5, 4))
    c("TimeDistributed", lambda x: L.TimeDistributed(L.Dense(4))(x), (N, 5, 3))
    c("TimeDistributed", lambda x: L.TimeDistributed(L.Dense(4, use_bias=False))(x), (N, N, 2, 3))
    c("TimeDistributed", lambda x: L.TimeDistributed(L.Conv2D(2, 3))(x), (N, 4, 8, 8, 3))
    c("TimeDistributed", lambda x: L.TimeDistributed(L.MaxPooling2D())(x), (N, 4, 8, 8, 3))
    c("TimeDistributed", lambda x: L.TimeDistributed(L.Flatten())(x), (N, 4, 2, 3))
    c("TimeDistributed", lambda x: L.TimeDistributed(L.BatchNormalization())(x), (N, 4, 3))
    c("ConvLSTM2D", lambda x: L.ConvLSTM2D(2, 3)(x), (N, 4, 8, 8, 3))
    c("ConvLSTM2D", lambda x: L.ConvLSTM2D(2, 3, padding="same", return_sequences=True)(x), (N, N, 8, 7, 3))
    c("ConvLSTM2D", lambda x: L.ConvLSTM2D(2, (3, 1), strides=2, return_state=True)(x), (N, 4, 9, 9, 1))
    c("ConvLSTM2D", lambda x: L.ConvLSTM2D(2, 3, data_format="channels_first", use_bias=False)(x), (N, 4, 3, 8, 8))
    c("ConvLSTM1D", lambda x: L.ConvLSTM1D(3, 2, return_sequences=True)(x), (N, 4, 8, 2))
    c("ConvLSTM3D", lambda x: L.ConvLSTM3D(2, 2)(x), (N, 3, 5, 5, 5, 2))

    MHA = L.MultiHeadAttention
    c("MultiHeadAttention", lambda q, v: MHA(2, 4)(q, v), (N, 5, 6), (N, 7, 3))
    c("MultiHeadAttention", lambda q: MHA(2, 4)(q, q), (N, 5, 6))
    c("MultiHeadAttention", lambda q, v, k: MHA(3, 2, value_dim=5)(q, v, k), (N, 5, 6), (N, 7, 3), (N, 7, 2))
    c("MultiHeadAttention", lambda q, v: MHA(2, 4, output_shape=8, use_bias=False)(q, value=v), (N, 5, 6), (N, N, 3))
    c("MultiHeadAttention", lambda q, v: MHA(2, 4)(query=q, value=v, key=v), (N, 5, 6), (N, 7, 3))
    c("MultiHeadAttention", lambda q, v: MHA(2, 4)(q, v, return_attention_scores=True), (N, 5, 6), (N, 7, 3))
    c("MultiHeadAttention", lambda q, v: MHA(2, 3, attention_axes=(1, 2))(q, v, return_attention_scores=True),
      (N, 3, 4, 6), (N, 2, 5, 6))
    c("MultiHeadAttention", lambda q, v: MHA(2, 3)(q, v, return_attention_scores=True), (N, 3, 4, 6), (N, 3, 5, 6))
    c("MultiHeadAttention", lambda q, v: MHA(2, 3, output_shape=(2, 4))(q, v), (N, 5, 6), (N, 7, 3))
    c("Attention", lambda q, v: L.Attention()([q, v]), (N, 5, 4), (N, 7, 4))
    c("Attention", lambda q, v, k: L.Attention(use_scale=True)([q, v, k]), (N, 5, 4), (N, 7, 3), (N, 7, 4))
    c("Attention", lambda q, v: L.Attention(score_mode="concat")([q, v], return_attention_scores=True),
      (N, 5, 4), (N, 7, 4))
    c("AdditiveAttention", lambda q, v: L.AdditiveAttention()([q, v]), (N, 5, 4), (N, 7, 4))
    c("AdditiveAttention", lambda q, v: L.AdditiveAttention(use_scale=False)([q, v], return_attention_scores=True),
      (N, 5, 4), (N, N, 4))

    c("Lambda", lambda x: L.Lambda(lambda t: t[:, :2], output_shape=(2,))(x), (N, 5))
    c("Lambda", lambda x, y: L.Lambda(lambda t: t[0][:, :2, :] + t[1], output_shape=(2, 3))([x, y]), (N, 4, 3), (N, 2, 3))

    if k3:
        ops = K.ops
        c("Add", lambda x: x + 1.0, (N, 4, 3))
        c("Multiply", lambda x, y: x * y, (N, 4, 3), (N, 1, 3))
        c("Subtract", lambda x, y: ops.subtract(x, y), (N, 4, 3), (N, 3))
        c("Divide", lambda x: ops.divide(x, 2.0), (N, 3))
        c("Reshape", lambda x: ops.reshape(x, (-1, 12)), (N, 4, 3))
        c("Transpose", lambda x: ops.transpose(x, (0, 2, 1)), (N, 4, 3))
        c("Mean", lambda x: ops.mean(x, axis=1), (N, 4, 3))
        c("Sum", lambda x: ops.sum(x, axis=-1, keepdims=True), (N, 4, 3))
        c("Relu", lambda x: ops.relu(x), (N, 4, 3))
        c("Sigmoid", lambda x: ops.sigmoid(x), (N, 4, 3))
        c("ExpandDims", lambda x: ops.expand_dims(x, -1), (N, 4, 3))
        c("Squeeze", lambda x: ops.squeeze(x, axis=1), (N, 1, 3))
        c("Matmul", lambda x, y: ops.matmul(x, y), (N, 4, 3), (N, 3, 5))
        c("Concatenate", lambda x, y: ops.concatenate([x, y], axis=1), (N, 4, 3), (N, 2, 3))
        return C

    import tensorflow as tf

    c("TFOpLambda", lambda x: x - 1.5, (N, 4, 3))
    c("TFOpLambda", lambda x: 2.0 - x, (N, 4, 3))
    c("TFOpLambda", lambda x, y: tf.math.add(x, y), (N, 4, 3), (N, 1, 3))
    c("TFOpLambda", lambda x, y: tf.math.multiply(x, y=y), (N, 4, 1), (N, 3))
    c("TFOpLambda", lambda x: tf.math.maximum(x, 0.5), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.nn.softmax(x, axis=1), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.clip_by_value(x, 0.0, 1.0), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.math.l2_normalize(x, axis=-1), (N, 3))
    c("TFOpLambda", lambda x: tf.cast(x, "int32"), (N, 3))
    c("TFOpLambda", lambda x, y: tf.concat([x, y], axis=1), (N, 4, 3), (N, 2, 3))
    c("TFOpLambda", lambda x, y: tf.concat([x, y], -1), (N, 4, 3), (N, 4, 2))
    c("TFOpLambda", lambda x, y: tf.stack([x, y], axis=1), (N, 4, 3), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.reshape(x, [-1, 12]), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.reshape(x, (-1, 2, 6)), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.transpose(x, perm=[0, 2, 1]), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.transpose(x), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.expand_dims(x, -1), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.expand_dims(x, axis=1), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.squeeze(x, axis=1), (N, 1, 3))
    c("TFOpLambda", lambda x: tf.squeeze(x, [1, 3]), (N, 1, 3, 1))
    c("TFOpLambda", lambda x: tf.reduce_mean(x, axis=1, keepdims=True), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.math.reduce_sum(x, axis=[1, 2]), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.math.reduce_max(x, -1), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.reduce_min(x), (N, 4, 3))
    c("TFOpLambda", lambda x, y: tf.matmul(x, y), (N, 4, 3), (N, 3, 5))
    c("TFOpLambda", lambda x, y: tf.matmul(x, y, transpose_b=True), (N, 4, 3), (N, 5, 3))
    c("TFOpLambda", lambda x, y: tf.linalg.matmul(x, y, transpose_a=True), (N, 3, 4), (N, 3, 5))
    c("TFOpLambda", lambda x: tf.split(x, 2, axis=1), (N, 4, 3))
    c("TFOpLambda", lambda x: tf.shape(x), (N, 4, 3))
    c("SlicingOpLambda", lambda x: x[:, 1:3], (N, 4, 3))
    c("SlicingOpLambda", lambda x: x[:, 0], (N, 4, 3))
    c("SlicingOpLambda", lambda x: x[..., None], (N, 4, 3))
    c("SlicingOpLambda", lambda x: x[:, ::2, -1], (N, 5, 3))
    c("SlicingOpLambda", lambda x: x[:, -2:], (N, 5, 3))
    c("SlicingOpLambda", lambda x: x[:, 1:], (N, N, 3))
    return C


LIST_INPUT = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
              "CustomScaleLayer"}


def run_dialect(d, apps):
    if d == "k2":
        import tf_keras as K
        from tf_keras.src.applications import convnext as cnx
        from tf_keras.src.applications import inception_resnet_v2 as irv2
        from tf_keras.src.saving.legacy import saving_utils
        from tf_keras.src.saving.legacy import serialization
        from tf_keras.src.saving.legacy.saved_model import json_utils

        assert K.__version__ == KERAS2_VERSION, K.__version__

        def metadata(model):
            model.use_legacy_config = True
            return saving_utils.model_metadata(model, include_optimizer=False)

        def layer_config(layer):
            layer.use_legacy_config = True
            return serialization.serialize_keras_object(layer)

        def shape_of(t):
            return list(t.shape.as_list())

    else:
        import keras as K
        from keras.src.applications import convnext as cnx
        from keras.src.applications import inception_resnet_v2 as irv2
        from keras.src.legacy.saving import json_utils
        from keras.src.legacy.saving import saving_options
        from keras.src.legacy.saving import saving_utils
        from keras.src.legacy.saving import serialization

        assert K.__version__ == KERAS3_VERSION, K.__version__
        assert K.backend.backend() == "tensorflow"

        def metadata(model):
            with saving_options.keras_option_scope(use_legacy_config=True):
                return saving_utils.model_metadata(model, include_optimizer=False)

        def layer_config(layer):
            with saving_options.keras_option_scope(use_legacy_config=True):
                return serialization.serialize_keras_object(layer)

        def shape_of(t):
            return list(t.shape)

    def jsonable(v):
        return json.loads(json.dumps(v, default=json_utils.get_json_type))

    extra = {
        "LayerScale": cnx.LayerScale,
        "StochasticDepth": cnx.StochasticDepth,
        "CustomScaleLayer": irv2.CustomScaleLayer,
    }

    def weights_of(layer):
        ws = []
        for w, tr in [(w, True) for w in getattr(layer, "trainable_weights", [])] + [
            (w, False) for w in getattr(layer, "non_trainable_weights", [])
        ]:
            name = w.name.split("/")[-1].split(":")[0]
            ws.append({"name": name, "shape": [int(x) for x in w.shape], "trainable": tr})
        return ws

    out = []
    skipped = []
    for i, (cls, kw, shapes) in enumerate(cases(d)):
        name = "case_%d" % i
        rec = {"class": cls if isinstance(cls, str) else cls[0], "inputs": shapes}
        inputs = [K.Input(batch_shape=tuple(s), name="in_%d_%d" % (i, j)) for j, s in enumerate(shapes)]
        if isinstance(cls, tuple):  # a function of the Input tensors (TF ops, RNNs, attention...)
            try:
                rec = call_case(d, K, cls, inputs, shapes, i, metadata, jsonable, weights_of, shape_of)
            except Exception as e:  # noqa: BLE001 - reported, never recorded
                skipped.append("%s %s: %s" % (cls[0], shapes, " ".join(str(e).split())[:150]))
                continue
            out.append(rec)
            continue
        ctor = extra.get(cls) or getattr(K.layers, cls)
        try:
            layer = ctor(name=name, **kw)
        except (TypeError, ValueError) as e:
            msg = " ".join(str(e).split())
            if isinstance(e, TypeError) or "keyword" in msg:
                skipped.append("%s %s: %s" % (cls, kw, msg[:100]))
                continue
            cfg = jsonable(dict(kw, name=name))
            rec.update(config=cfg, error=True, error_at="construct", message=msg[:300])
            out.append(rec)
            continue
        try:
            # Merge layers always get a list (also of one tensor), like Add()([x]).
            o = layer(inputs if len(inputs) > 1 or cls in LIST_INPUT else inputs[0])
        except Exception as e:  # noqa: BLE001 - any refusal is an error case
            entry = layer_config(layer)
            rec.update(
                {"class": entry["class_name"]},
                config=jsonable(entry["config"]),
                error=True,
                error_at="call",
                message=" ".join(str(e).split())[:300] or type(e).__name__,
            )
            out.append(rec)
            continue
        model = K.Model(inputs, o)
        entry = [l for l in metadata(model)["model_config"]["config"]["layers"] if l["name"] == name][0]
        # class_name is the registered name, e.g. "Custom>CustomScaleLayer" in tf-keras.
        rec.update({"class": entry["class_name"]}, config=jsonable(entry["config"]))
        outs = o if isinstance(o, (list, tuple)) else [o]
        rec.update(outputs=[shape_of(t) for t in outs], weights=weights_of(layer), params=layer.count_params())
        out.append(rec)

    # InputLayer cases: every Input above is one; add a few explicit ones.
    for shape_kw in [dict(shape=(4,)), dict(batch_shape=(None, 224, 224, 3)), dict(shape=(None, None, 3)),
                     dict(batch_shape=(2, 5)), dict(shape=()), dict(batch_shape=(None, None))]:
        x = K.Input(**shape_kw)
        model = K.Model(x, K.layers.Identity()(x))
        entry = [l for l in metadata(model)["model_config"]["config"]["layers"] if l["class_name"] == "InputLayer"][0]
        out.append({"class": "InputLayer", "inputs": [], "config": jsonable(entry["config"]),
                    "outputs": [shape_of(x)], "weights": [], "params": 0})

    if apps:
        out.extend(app_cases(d, K, metadata, jsonable, weights_of, shape_of))
    return out, skipped


def call_case(d, K, cls, inputs, shapes, i, metadata, jsonable, weights_of, shape_of):
    """One case built by calling cls[1] on the Input tensors; see call_cases."""
    o = cls[1](*inputs)
    outs = list(o) if isinstance(o, (list, tuple)) else [o]
    hist = outs[0]._keras_history
    layer = hist.layer if d == "k2" else hist.operation
    model = K.Model(inputs, outs)
    entry = [l for l in metadata(model)["model_config"]["config"]["layers"] if l["name"] == layer.name][0]
    by_name = {"in_%d_%d" % (i, j): s for j, s in enumerate(shapes)}
    ins, kwargs = node_inputs(entry["inbound_nodes"][0], by_name)
    rec = {"class": entry["class_name"], "config": jsonable(entry["config"]), "inputs": ins}
    if kwargs:
        rec["kwargs"] = jsonable(kwargs)
    params = layer.count_params() if hasattr(layer, "count_params") else 0
    rec.update(outputs=[shape_of(t) for t in outs], weights=weights_of(layer), params=params)
    return rec


def node_inputs(node, by_name):
    """The shapes of the tensors a saved node reads, positional ones first,
    then those passed as keywords in sorted key order, and the call's
    keyword arguments as saved."""
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        def tensors(v):
            if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
                return [by_name[v["config"]["keras_history"][0]]]
            if isinstance(v, (list, tuple)):
                return [s for e in v for s in tensors(e)]
            return []
        kwargs = node.get("kwargs") or {}
        ins = tensors(node["args"]) + [s for k in sorted(kwargs) for s in tensors(kwargs[k])]
        return ins, kwargs
    # Keras 2: [[name, node_index, tensor_index, kwargs], ...], or one such
    # entry unwrapped when the call's first argument is one tensor (TF ops).
    if isinstance(node[0], str):
        node = [node]
    kwargs = node[0][3] if len(node[0]) > 3 else {}

    def is_tensor(v):
        return isinstance(v, list) and len(v) == 3 and isinstance(v[0], str) and v[0] in by_name
    ins = [by_name[e[0]] for e in node if e[0] != "_CONSTANT_VALUE"]
    ins += [by_name[kwargs[k][0]] for k in sorted(kwargs) if is_tensor(kwargs[k])]
    return ins, kwargs


APPS = {
    "k3": ["ResNet50", "ResNet50V2", "VGG16", "VGG19", "MobileNet", "MobileNetV2", "MobileNetV3Small",
           "EfficientNetB0", "EfficientNetV2B0", "DenseNet121", "InceptionV3", "InceptionResNetV2",
           "Xception", "NASNetMobile", "ConvNeXtTiny"],
}
APPS["k2"] = APPS["k3"] + ["RegNetX002", "RegNetY002", "ResNetRS50"]


def tf_nest_flatten(x):
    import tensorflow as tf

    return tf.nest.flatten(x)


def app_cases(d, K, metadata, jsonable, weights_of, shape_of):
    out, seen = [], set()
    for app in APPS[d]:
        kwargs = dict(weights=None)
        model = getattr(K.applications, app)(**kwargs)
        entries = {l["name"]: l for l in metadata(model)["model_config"]["config"]["layers"]}
        for layer in model.layers:
            entry = entries[layer.name]
            if entry["class_name"] in ("Functional", "Sequential", "InputLayer"):
                continue
            node = layer._inbound_nodes[0]
            ins = node.keras_inputs if d == "k2" else node.input_tensors
            outs = tf_nest_flatten(node.outputs) if d == "k2" else node.output_tensors
            cfg = jsonable(entry["config"])
            inputs = [shape_of(t) for t in ins]
            key = json.dumps([entry["class_name"], {k: v for k, v in cfg.items() if k != "name"}, inputs],
                             sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            out.append({"class": entry["class_name"], "source": "apps:" + app, "inputs": inputs, "config": cfg,
                        "outputs": [shape_of(t) for t in outs], "weights": weights_of(layer),
                        "params": layer.count_params()})
        K.backend.clear_session()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", action="store_true", help="add the layers of keras.applications models")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "layer_cases"))
    ap.add_argument("--dialect", choices=["k2", "k3"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.dialect:  # child process
        t = time.time()
        recs, skipped = run_dialect(args.dialect, args.apps)
        for s in skipped:
            print("%s: skipped %s" % (args.dialect, s), file=sys.stderr)
        doc = {
            "generator": "testdata/gen_layer_cases.py",
            "dialect": "keras2" if args.dialect == "k2" else "keras3",
            "keras_version": KERAS2_VERSION if args.dialect == "k2" else KERAS3_VERSION,
            "cases": recs,
        }
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, args.dialect + ".json")
        with open(path, "w") as f:
            f.write("{\n")
            f.write('"generator": %s,\n"dialect": %s,\n"keras_version": %s,\n"cases": [\n'
                    % tuple(json.dumps(doc[k]) for k in ("generator", "dialect", "keras_version")))
            f.write(",\n".join(json.dumps(r, sort_keys=True) for r in recs))
            f.write("\n]}\n")
        nerr = sum(1 for r in recs if r.get("error"))
        print("%s: %d cases (%d errors) in %.1fs -> %s" % (args.dialect, len(recs), nerr, time.time() - t, path),
              file=sys.stderr)
        return
    # oneDNN only changes float rounding; turning it off silences its banner.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", TF_ENABLE_ONEDNN_OPTS="0",
               PYTHONHASHSEED="0")  # set order in messages
    t = time.time()
    procs = []
    for d in ("k2", "k3"):
        cmd = [sys.executable, os.path.abspath(__file__), "--dialect", d, "--out", args.out]
        if args.apps:
            cmd.append("--apps")
        procs.append(subprocess.Popen(cmd, env=env))
    rc = max(p.wait() for p in procs)
    print("done in %.1fs" % (time.time() - t), file=sys.stderr)
    sys.exit(rc)


if __name__ == "__main__":
    main()
