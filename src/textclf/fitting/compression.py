"""Small model files: θ quantised, the vocabulary front-coded, features of no weight pruned.

**int8** (``--bits 8``): each output column k of a weight matrix W (a class's θ column, a
layer's unit) gets one scale, and its weights become integers in [−127, 127]:

    s_k = max_j |W_jk| / 127,     q_jk = round(W_jk / s_k),     W_jk ≈ s_k · q_jk

(|error| ≤ s_k / 2). Biases stay in float32: θ's last row (the dummy feature's), the
network's bias vectors. **float16** (``--float16``): every parameter in half precision
(11 significant bits). Loading turns both back into float32 arrays, so a compressed model
predicts, explains and serves like any other.

**The vocabulary**: terms sorted (within each block, with character n-grams; the model's
columns, and the nb weightings' ratios, permuted with them: nothing else changes), then
front-coded: each term stored as the number of leading characters it shares
with the term before it (at most 255) and the rest of it in UTF-8, the rests separated by
the byte 0xFF, which UTF-8 never uses. Document frequencies become uint16 or uint32, and
idf is not stored where it is exactly ln((1 + N)/(1 + df)) + 1 of those (it is recomputed
on loading). The nb ratios are stored as float32 where θ is quantised (else as they are).
All the featuriser's arrays then go into one xz stream (LZMA, stdlib ``lzma``): the front-coded
terms, the document frequencies and the ratios share one context, which makes them about 40 %
smaller than deflating each array apart; decoding it is a copy's cost (50 ms for IMDB's).

**Pruning** (``--prune-below ε``): the terms whose weights are all below ε in absolute value
(every output's θⱼₖ, or every unit's W₁ row) are dropped from the vocabulary and θ. With
tf-idf (and the nb weightings), a document's remaining values are then normalised without
them.
"""

from __future__ import annotations

import lzma

import numpy as np

from textclf.core.modelfile import ALLOWED_DTYPES, MAX_EXPANSION
from textclf.errors import SettingsError
from textclf.features.terms import pack_terms
from textclf.features.weighting import inverse_document_frequency

QUANTIZERS = ("int8", "float16")
SEPARATOR = 0xFF  # never a byte of UTF-8
MAX_PREFIX = 255
PER_TERM = ("document_frequency", "idf", "nb_scale")  # a vocabulary's arrays, a value a term
PACKED = "featurizer.packed"  # the one xz stream of the featuriser's arrays
XZ_PRESET = 6  # 8 MiB dictionary: decoding needs about 9 MiB
XZ_MEMORY = 32 << 20  # the most memory decoding a stream may ask for (a file's is untrusted)


# θ -------------------------------------------------------------------------------------------
def quantize_int8(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(q, s): q = round(W / s) in int8, one scale s_k = max_j |W_jk| / 127 per column (1
    for a column of zeros); W is 2-D, (rows, columns)."""
    scale = np.abs(W).max(axis=0, initial=0.0) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(W / scale), -127, 127).astype(np.int8)
    return q, scale


def encode_parameter(name: str, W: np.ndarray, bias_index, quantize: str) -> dict:
    """The arrays that store parameter ``name`` (see the module docstring)."""
    if quantize == "float16":
        return {f"{name}.float16": W.astype(np.float16)}
    if bias_index is not None and not isinstance(bias_index, int):  # a bias vector
        return {f"{name}.float32": W.astype(np.float32)}
    matrix = W.reshape(W.shape[0], -1)
    weights = matrix[:-1] if bias_index == -1 else matrix
    q, scale = quantize_int8(weights.astype(np.float64))
    arrays = {f"{name}.int8": q, f"{name}.scale": scale}
    if bias_index == -1:
        arrays[f"{name}.bias"] = matrix[-1].astype(np.float32)
    return arrays


def decode_parameter(name: str, kind: str, arrays: dict, shape: tuple) -> np.ndarray:
    """The float32 parameter of ``shape`` from its stored arrays (checked)."""
    if kind in ("float16", "float32"):
        W = arrays[f"{name}.{kind}"]
        if W.dtype != np.dtype(kind) or W.shape != shape:
            raise SettingsError(f"{name}: stored as {W.dtype}{list(W.shape)}")
        return W.astype(np.float32)
    q, scale = arrays[f"{name}.int8"], arrays[f"{name}.scale"]
    columns = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
    bias = arrays.get(f"{name}.bias")
    rows = shape[0] - (bias is not None)
    if q.dtype != np.int8 or q.shape != (rows, columns) or scale.dtype != np.float32 \
            or scale.shape != (columns,) or not np.all(np.isfinite(scale)) \
            or not np.all(scale > 0) or (bias is not None and (
                bias.dtype != np.float32 or bias.shape != (columns,))):
        raise SettingsError(f"{name}: its int8 values, scales or biases do not fit {shape}")
    W = q.astype(np.float32) * scale
    if bias is not None:
        W = np.vstack([W, bias[None, :]])
    return W.reshape(shape)


# the vocabulary ----------------------------------------------------------------------------------
def front_code(terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(shared, rests): per term, the characters it shares with the one before (≤ 255); the
    rest of each term in UTF-8, separated by 0xFF."""
    shared = np.zeros(len(terms), np.uint8)
    rests, previous = [], ""
    for i, term in enumerate(terms):
        limit, p = min(len(previous), len(term), MAX_PREFIX), 0
        while p < limit and previous[p] == term[p]:
            p += 1
        shared[i] = p
        rests.append(term[p:].encode("utf-8", "surrogatepass"))
        previous = term
    return shared, np.frombuffer(bytes([SEPARATOR]).join(rests), np.uint8).copy()


def front_decode(shared: np.ndarray, rests: np.ndarray) -> list[str]:
    """The terms :func:`front_code` coded; a ``SettingsError`` if the arrays do not fit."""
    if shared.dtype != np.uint8 or rests.dtype != np.uint8 or shared.ndim != 1 \
            or rests.ndim != 1:
        raise SettingsError("the front-coded vocabulary's arrays are not uint8 vectors")
    pieces = rests.tobytes().split(bytes([SEPARATOR])) if len(shared) else []
    if len(pieces) != len(shared):
        raise SettingsError(f"the front-coded vocabulary holds the rests of {len(pieces)} "
                            f"terms for {len(shared)} terms")
    terms, previous = [], ""
    try:
        for p, rest in zip(shared.tolist(), pieces, strict=True):
            if p > len(previous):
                raise SettingsError("a front-coded term shares more than its predecessor has")
            previous = previous[:p] + rest.decode("utf-8", "surrogatepass")
            terms.append(previous)
    except UnicodeDecodeError as err:
        raise SettingsError(f"a front-coded term is not valid UTF-8 ({err})") from err
    return terms


def encode_vocabulary(meta: dict, arrays: dict, lossy: bool = False) -> dict:
    """The featuriser's arrays, compact: front-coded terms, df as uint16/uint32, idf left
    out where it is recomputed exactly from df, the nb ratios as float32 where θ is
    quantised (``lossy``); with blocks of words and characters, each block's (arrays
    ``words.NAME``, ``chars.NAME``)."""
    if "parts" in meta:
        return {f"{unit}.{k}": v for unit in meta["parts"]
                for k, v in encode_vocabulary(meta["parts"][unit], block_arrays(arrays, unit),
                                              lossy).items()}
    utf8, offsets = arrays["terms_utf8"], arrays["terms_offsets"]
    data, bounds = utf8.tobytes(), offsets.tolist()
    terms = [data[a:b].decode("utf-8", "surrogatepass")
             for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    shared, rests = front_code(terms)
    df = np.asarray(arrays["document_frequency"])
    compact = {"terms_shared": shared, "terms_rests": rests,
               "document_frequency": df.astype(np.uint16 if df.max(initial=0) < 2**16
                                               else np.uint32)}
    if not np.array_equal(inverse_document_frequency(df, meta["n_documents"]), arrays["idf"]):
        compact["idf"] = arrays["idf"]
    if "nb_scale" in arrays:
        compact["nb_scale"] = np.asarray(arrays["nb_scale"], np.float32 if lossy else None)
    return compact


def block_arrays(arrays: dict, unit: str) -> dict:
    """The arrays of block ``unit`` (named ``unit.NAME``), as NAME."""
    return {k.removeprefix(f"{unit}."): v for k, v in arrays.items() if k.startswith(f"{unit}.")}


def decode_vocabulary(meta: dict, arrays: dict) -> tuple[dict, dict]:
    """The featuriser's meta (with its ``terms``) and arrays as
    :meth:`VocabularyFeaturizer.from_state` reads them (each block's, with blocks)."""
    if "parts" in meta:
        parts, decoded = dict(meta["parts"]), {}
        for unit in parts:
            parts[unit], block = decode_vocabulary(parts[unit], block_arrays(arrays, unit))
            decoded |= {f"{unit}.{k}": v for k, v in block.items()}
        return {**meta, "parts": parts}, decoded
    terms = front_decode(arrays["terms_shared"], arrays["terms_rests"])
    df = arrays["document_frequency"]
    if df.dtype not in (np.uint16, np.uint32):
        raise SettingsError(f"compact document frequencies are {df.dtype}")
    df = df.astype(np.int64)
    idf = arrays["idf"] if "idf" in arrays \
        else inverse_document_frequency(df, int(meta["n_documents"]))
    decoded = {"document_frequency": df, "idf": idf}
    if "nb_scale" in arrays:
        decoded["nb_scale"] = arrays["nb_scale"]
    return {**meta, "terms": terms}, decoded


def repacked(terms: list[str]) -> dict:
    """pack_terms's arrays of ``terms``, by name."""
    utf8, offsets = pack_terms(terms)
    return {"terms_utf8": utf8, "terms_offsets": offsets}


# the model file ---------------------------------------------------------------------------------
def encode(meta: dict, arrays: dict[str, np.ndarray], model, spec: dict) -> None:
    """Rewrite ``meta`` and ``arrays`` (a classifier's, as
    :func:`~textclf.fitting.fitted.write_model_file` writes them) in
    place in the compact form ``spec`` asks for (its ``quantize``)."""
    record = {**spec, "parameters": {}}
    if meta["featurizer"].get("settings", {}).get("hash_bits") is None:
        featurizer = {k.removeprefix("featurizer."): arrays.pop(k)
                      for k in [k for k in arrays if k.startswith("featurizer.")]}
        compact = encode_vocabulary(meta["featurizer"], featurizer,
                                    lossy=spec.get("quantize") is not None)
        arrays |= {f"featurizer.{k}": v for k, v in compact.items()}
        record["vocabulary"] = "front-coded"
    if spec.get("quantize") is not None:
        biases = model.biases()
        for name, W in model.parameters().items():
            del arrays[f"model.{name}"]
            stored = encode_parameter(name, np.asarray(W), biases.get(name), spec["quantize"])
            arrays |= {f"model.{k}": v for k, v in stored.items()}
            kind = next(k.rsplit(".", 1)[1] for k in stored if k.rsplit(".", 1)[1] in
                        ("int8", "float16", "float32"))
            record["parameters"][name] = {"as": kind, "shape": list(np.shape(W))}
    names = [k for k in arrays if k.startswith("featurizer.")]
    if names:
        arrays[PACKED], record["packed"] = pack_arrays({k: arrays.pop(k) for k in names})
    meta["compression"] = record


def pack_arrays(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, list[dict]]:
    """The arrays' bytes, one after the other, in one xz stream (uint8), and what each one
    is: its name, dtype and shape, in order."""
    layout = [{"name": name, "dtype": str(a.dtype), "shape": list(a.shape)}
              for name, a in arrays.items()]
    compressor = lzma.LZMACompressor(preset=XZ_PRESET)
    stream = b"".join([*(compressor.compress(np.ascontiguousarray(a).tobytes())
                         for a in arrays.values()), compressor.flush()])
    return np.frombuffer(stream, np.uint8).copy(), layout


def unpack_arrays(stream: np.ndarray, layout: object) -> dict[str, np.ndarray]:
    """The arrays :func:`pack_arrays` packed; a ``SettingsError`` where the layout is not a
    list of featuriser arrays of allowed dtypes, or the stream does not decode to exactly
    their bytes. What decoding may allocate is bounded before it starts: the listed bytes
    at most :data:`MAX_EXPANSION` times the stream's (as a zip member's), the decoder's
    memory at most :data:`XZ_MEMORY`."""
    if not (isinstance(layout, list) and all(
            isinstance(e, dict) and isinstance(e.get("name"), str)
            and e["name"].startswith("featurizer.") and e.get("dtype") in ALLOWED_DTYPES
            and isinstance(e.get("shape"), list)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                    for n in e["shape"]) for e in layout)):
        raise SettingsError("the packed arrays' layout is not a list of featuriser arrays "
                            "with a name, an allowed dtype and a shape")
    if stream.dtype != np.uint8 or stream.ndim != 1:
        raise SettingsError(f"the packed arrays are {stream.dtype}{list(stream.shape)}, not "
                            "bytes")
    sizes = [int(np.prod(e["shape"], dtype=object)) * np.dtype(e["dtype"]).itemsize
             for e in layout]
    total = sum(sizes)
    if total > MAX_EXPANSION * len(stream) + 1024:
        raise SettingsError(f"the packed arrays claim {total} bytes from a stream of "
                            f"{len(stream)}")
    decoder = lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=XZ_MEMORY)
    try:
        data = decoder.decompress(stream.tobytes(), max_length=total)
    except lzma.LZMAError as err:
        raise SettingsError(f"the packed arrays cannot be decoded ({err})") from err
    if len(data) != total or not decoder.eof or decoder.unused_data:
        raise SettingsError(f"the packed arrays' stream does not hold exactly the {total} "
                            "bytes its layout lists")
    arrays, at = {}, 0
    for entry, size in zip(layout, sizes, strict=True):
        arrays[entry["name"]] = np.frombuffer(data, entry["dtype"], size // np.dtype(
            entry["dtype"]).itemsize if size else 0, at).reshape(entry["shape"]).copy()
        at += size
    return arrays


def decode(meta: dict, arrays: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """The featuriser's meta and all the arrays of a compact model file as an ordinary one
    holds them (``meta`` checked against META_SCHEMA already); a ``SettingsError`` (or
    KeyError) where they do not fit."""
    record = meta["compression"]
    arrays, featurizer_meta = dict(arrays), meta["featurizer"]
    if PACKED in arrays or "packed" in record:  # (files of textclf 0.1 deflated each array)
        if PACKED not in arrays:
            raise SettingsError("the compression record lists packed arrays but the file "
                                "holds none")
        arrays |= unpack_arrays(arrays.pop(PACKED), record.get("packed"))
    if record.get("vocabulary") == "front-coded":
        featurizer = {k.removeprefix("featurizer."): arrays.pop(k)
                      for k in [k for k in arrays if k.startswith("featurizer.")]}
        featurizer_meta, decoded = decode_vocabulary(featurizer_meta, featurizer)
        arrays |= {f"featurizer.{k}": v for k, v in decoded.items()}
    for name, stored in record.get("parameters", {}).items():
        kind, shape = stored.get("as"), stored.get("shape")
        if kind not in ("int8", "float16", "float32") or not isinstance(shape, list) \
                or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise SettingsError(f"parameter {name!r}: stored as {kind!r} of shape {shape!r}")
        parts = {k.removeprefix(f"model.{name}."): arrays.pop(k)
                 for k in [k for k in arrays if k.startswith(f"model.{name}.")]}
        arrays[f"model.{name}"] = decode_parameter(
            name, kind, {f"{name}.{k}": v for k, v in parts.items()}, tuple(shape))
    return featurizer_meta, arrays


# shrinking a classifier in memory -------------------------------------------------------------
def term_weights(model) -> np.ndarray:
    """Per feature column (not the bias), its largest |weight|: over θ's outputs, or over
    the first layer's units for a network."""
    params = model.parameters()
    W = np.asarray(params["hidden1.W"] if "hidden1.W" in params else params["theta"])
    return np.abs(W[:-1].reshape(W.shape[0] - 1, -1)).max(axis=1, initial=0.0)


def with_columns(model, columns: np.ndarray):
    """The model over the feature columns ``columns`` (in that order), then the bias."""
    arrays = {name: np.array(array) for name, array in model.parameters().items()}
    name = "hidden1.W" if "hidden1.W" in arrays else "theta"
    arrays[name] = np.concatenate([arrays[name][columns], arrays[name][-1:]])
    config = model.config()
    config["n_features"] = len(columns) + 1
    return type(model).from_config(config, arrays)


def blocks_of(featurizer) -> list[tuple[int, object]]:
    """(first column, featuriser) of each block of a vocabulary: its words and characters,
    or the one vocabulary."""
    parts = list(getattr(featurizer, "parts", {}).values()) or [featurizer]
    starts = np.cumsum([0, *(len(part.terms) for part in parts)])
    return list(zip(starts[:-1].tolist(), parts, strict=True))


def sorted_columns(featurizer, columns: np.ndarray) -> np.ndarray:
    """``columns`` ordered by term within each block (the blocks stay in their order)."""
    ordered = []
    for start, part in blocks_of(featurizer):
        mine = columns[(columns >= start) & (columns < start + len(part.terms))] - start
        ordered += [start + j for j in sorted(mine.tolist(), key=part.terms.__getitem__)]
    return np.array(ordered, dtype=np.int64)


def featurizer_with_columns(featurizer, columns: np.ndarray):
    """A vocabulary featuriser with the terms ``columns`` (in that order, each block's
    within the block) of ``featurizer``: their df, idf and nb ratios with them."""
    if getattr(featurizer, "parts", None):
        chosen = type(featurizer)(featurizer.settings, jobs=featurizer.jobs,
                                  dtype=featurizer.dtype)
        for start, part in blocks_of(featurizer):
            mine = columns[(columns >= start) & (columns < start + len(part.terms))] - start
            chosen.parts[part.unit] = featurizer_with_columns(part, mine)
        chosen.learned_from_parts()
        return chosen
    meta, arrays = featurizer.state()
    terms = [featurizer.terms[j] for j in columns.tolist()]
    arrays = {**arrays, **repacked(terms),
              **{name: arrays[name][columns] for name in PER_TERM if name in arrays}}
    chosen = type(featurizer).from_state({**meta, "n_terms": len(terms)}, arrays)
    chosen.jobs, chosen.dtype = featurizer.jobs, featurizer.dtype
    return chosen


def compress(fitted, quantize: str | None = "int8", prune_below: float | None = None) -> dict:
    """Make ``fitted`` (a :class:`~textclf.fitting.fitted.Fitted`) small (see the module
    docstring): its terms sorted, those below ``prune_below`` dropped (a hashed model's rows
    set to 0), and ``fitted.compression`` set, so that saving writes θ as ``quantize``
    asks. Returns what was done."""
    if quantize not in (None, *QUANTIZERS):
        raise SettingsError(f"quantize must be one of {', '.join(QUANTIZERS)} or None, got "
                            f"{quantize!r}")
    if prune_below is not None and not (isinstance(prune_below, int | float)
                                        and np.isfinite(prune_below) and prune_below >= 0):
        raise SettingsError(f"prune_below must be a number ≥ 0, got {prune_below!r}")
    weights = term_weights(fitted.model)
    keep = np.arange(len(weights)) if prune_below is None \
        else np.flatnonzero(weights >= prune_below)
    pruned = len(weights) - len(keep)
    if fitted.featurizer.kind == "vocabulary":
        keep = sorted_columns(fitted.featurizer, keep)
        if pruned or not np.array_equal(keep, np.arange(len(weights))):
            fitted.featurizer = featurizer_with_columns(fitted.featurizer, keep)
            fitted.model = with_columns(fitted.model, keep)
    elif pruned:  # hashed columns stay; their weights go to 0
        dropped = np.setdiff1d(np.arange(len(weights)), keep)
        for name, array in fitted.model.parameters().items():
            if name in ("theta", "hidden1.W"):
                array[dropped] = 0.0
    fitted.compression = {"quantize": quantize, "prune_below": prune_below, "pruned": pruned}
    fitted.dev_probabilities = None  # (θ is stored otherwise now: the fit's P no longer holds)
    return {"features": len(weights), "pruned": pruned, "quantize": quantize}
