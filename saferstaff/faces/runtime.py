"""Running the face models with ONNX Runtime: on an NVIDIA GPU when one is there, otherwise on the CPU.

The models ship with weight-only int8 quantisation in blocks (``DequantizeLinear`` with ``block_size``),
which ONNX Runtime's CPU kernels refuse, and with fixed input sizes. ``plain_model`` turns such a file
into an ordinary float32 model once per process, in memory: each quantised weight is expanded back to
float32 (``(q - zero_point) × scale``, per block), stale graph inputs are dropped and the chosen input
dimensions are left free. The arithmetic is what the quantised model's own first step does, so results
match OpenCV's run of the same file.

The GPU needs nothing but the package: install ``onnxruntime-gpu`` in place of ``onnxruntime`` and CUDA is
used (``FACE_DEVICE=cpu`` keeps to the CPU)."""

import functools
import os
import threading

import cv2
import numpy as np
import onnx
import onnxruntime
from onnx import helper, numpy_helper

GPU = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def providers(available: list[str] | None = None) -> list[str]:
    """The execution providers to use, best first."""
    available = onnxruntime.get_available_providers() if available is None else available
    wanted = [CPU] if os.environ.get("FACE_DEVICE", "auto") == "cpu" else [GPU, CPU]
    return [p for p in wanted if p in available]


def _expanded(node, weights: dict) -> np.ndarray:
    q = numpy_helper.to_array(weights[node.input[0]]).astype(np.float32)
    scale = numpy_helper.to_array(weights[node.input[1]]).astype(np.float32)
    zero = (
        numpy_helper.to_array(weights[node.input[2]]).astype(np.float32)
        if len(node.input) > 2 and node.input[2]
        else np.zeros_like(scale)
    )
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    axis, block = attrs.get("axis", 1), attrs.get("block_size", 0)
    if scale.size == 1:  # one scale for the whole tensor
        return (q - zero.reshape(())) * scale.reshape(())
    if block:  # one scale per block of ``block`` values along ``axis``
        keep = [slice(None)] * q.ndim
        keep[axis] = slice(0, q.shape[axis])
        return (q - np.repeat(zero, block, axis=axis)[tuple(keep)]) * np.repeat(scale, block, axis=axis)[
            tuple(keep)
        ]
    shape = [1] * q.ndim  # one scale per channel along ``axis``
    shape[axis] = -1
    return (q - zero.reshape(shape)) * scale.reshape(shape)


@functools.cache
def plain_model(path: str, free_input_dims: tuple[int, ...] = ()) -> bytes:
    """The model at ``path`` with its constant weights in float32 and the given input dimensions (and every
    output dimension) free, serialised."""
    model = onnx.load(path)
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    kept, expanded = [], []
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(x in weights for x in node.input if x):
            expanded.append(
                numpy_helper.from_array(_expanded(node, weights).astype(np.float32), node.output[0])
            )
        else:
            kept.append(node)
    consumed = {name for node in kept for name in node.input}
    still_used = [w for w in graph.initializer if w.name in consumed]
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(still_used + expanded)
    constant = {w.name for w in graph.initializer}
    inputs = [i for i in graph.input if i.name in consumed and i.name not in constant]
    del graph.input[:]
    graph.input.extend(inputs)
    if free_input_dims:
        for i in graph.input:
            for n in free_input_dims:
                i.type.tensor_type.shape.dim[n].dim_param = f"in{n}"
        for o in graph.output:
            for n, dim in enumerate(o.type.tensor_type.shape.dim):
                dim.dim_param = f"out{n}"
    return model.SerializeToString()


class _OnnxRuntime:
    def __init__(self, path: str, free_input_dims: tuple[int, ...]):
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # the models' harmless warnings would fill the worker's log
        # Album screening runs a photo per core already: threads spinning while they wait only steal time
        # (measured: 30 photos/s without spinning, 17-20 with).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            plain_model(path, free_input_dims), options, providers=providers()
        )
        self.outputs = [o.name for o in self._session.get_outputs()]

    def run(self, feeds: dict) -> list[np.ndarray]:
        return self._session.run(None, feeds)  # safe from several threads at once


class _OpenCV:
    def __init__(self, path: str):
        self._net = cv2.dnn.readNetFromONNX(path)
        self.outputs = list(self._net.getUnconnectedOutLayersNames())
        self._lock = threading.Lock()  # an OpenCV net is not safe to share between threads

    def run(self, feeds: dict) -> list[np.ndarray]:
        with self._lock:
            for name, blob in feeds.items():
                self._net.setInput(blob, name)
            return list(self._net.forward(self.outputs))


def network(path: str, free_input_dims: tuple[int, ...] = (), *, opencv_on_cpu: bool = False):
    """The model ready to ``run({input: blob}) -> [outputs]``: ONNX Runtime on the GPU when there is one;
    on the CPU, ONNX Runtime too unless ``opencv_on_cpu`` (a model OpenCV's DNN module runs faster:
    SFace, 7.6 against 11 ms a face here)."""
    if opencv_on_cpu and GPU not in providers():
        return _OpenCV(path)
    return _OnnxRuntime(path, free_input_dims)
