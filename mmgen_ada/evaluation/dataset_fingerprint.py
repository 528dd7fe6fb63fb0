# Copyright (c) mmgen-ada contributors. All rights reserved.
"""A text that changes when a dataset's content changes (cache keys)."""
import hashlib
import json

import numpy as np
import torch


def _sample_bytes(item: dict) -> bytes:
    inputs = item['inputs'] if isinstance(item, dict) else item
    arr = inputs.numpy() if isinstance(inputs,
                                       torch.Tensor) else np.asarray(inputs)
    return str(arr.shape).encode() + np.ascontiguousarray(arr).tobytes()


def dataset_fingerprint(dataset, num_probes: int = 16) -> str:
    """Fingerprint of a dataset's content, for real-statistics caches.

    Uses ``dataset.content_hash()`` when the dataset defines it (mmgen-ada's
    image datasets hash file names and bytes). Otherwise hashes the class
    name, the length, every ``get_data_info(i)`` entry when available (file
    names and labels) and the pixels of ``num_probes`` evenly spaced items
    after the pipeline.

    Args:
        dataset: A map-style dataset whose items are dicts with ``inputs``.
        num_probes (int): Items whose pixels are hashed in the fallback.
            Defaults to 16.

    Returns:
        str: A hex digest prefixed with its method ('content:' or 'probe:').
    """
    content_hash = getattr(dataset, 'content_hash', None)
    if callable(content_hash):
        return f'content:{content_hash()}'
    n = len(dataset)
    digest = hashlib.sha1(f'{type(dataset).__name__}:{n}'.encode())
    get_info = getattr(dataset, 'get_data_info', None)
    if callable(get_info):
        for i in range(n):
            digest.update(
                json.dumps(get_info(i), sort_keys=True, default=str).encode())
    for i in sorted({int(k) for k in np.linspace(0, n - 1, num_probes)}):
        digest.update(_sample_bytes(dataset[i]))
    return f'probe:{digest.hexdigest()}'
