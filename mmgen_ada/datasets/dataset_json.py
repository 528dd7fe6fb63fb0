# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Reading and writing the ``dataset.json`` label file of NVlabs datasets.

Format (NVlabs ``dataset_tool.py``), at the root of the folder or zip::

    {"labels": [["00000/img00000000.png", 6], ["00000/img00000001.png", 9]],
     "class_names": ["cat", "dog", ...]}          # optional, mmgen-ada only

``labels`` is ``null`` for an unlabelled dataset. A label is either a class
index (int >= 0) or a vector of finite numbers (all of the same length):
``NaN``, ``Infinity`` and numbers beyond the float32 range, which Python's
``json`` reads as non-finite values, are rejected with the file and entry
named. Other top-level keys are ignored, as in NVlabs.
"""
import json
import math
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from .image_archive import ImageArchive

DATASET_JSON = 'dataset.json'
#: Largest finite float32: label vectors are float32 tensors in training.
FLOAT32_MAX = float(np.finfo(np.float32).max)

Label = Union[int, List[float]]


class DatasetLabels:
    """Labels parsed from ``dataset.json``.

    Args:
        labels (dict[str, int | list[float]]): Label of each file name.
        class_names (list[str], optional): Names of the classes, index
            ``i`` naming class ``i``. Defaults to None.
        source (str): Where the labels were read from, for error messages.
    """

    def __init__(self,
                 labels: Dict[str, Label],
                 class_names: Optional[List[str]] = None,
                 source: str = DATASET_JSON) -> None:
        self.labels = labels
        self.class_names = class_names
        self.source = source
        kinds = {isinstance(v, int) for v in labels.values()}
        if len(kinds) > 1:
            raise ValueError(f'{source}: labels mix class indices and '
                             'vectors; use one kind for all images')
        self.is_class_index = kinds != {False}
        if not self.is_class_index:
            lengths = {len(v) for v in labels.values()}
            if len(lengths) > 1:
                raise ValueError(f'{source}: label vectors have different '
                                 f'lengths {sorted(lengths)}')

    def vectors(self,
                names: Sequence[str],
                num_classes: Optional[int] = None,
                display=lambda n: n) -> np.ndarray:
        """float32 label matrix ``(len(names), label_dim)`` for ``names``.

        Class indices become one-hot rows of length ``num_classes`` (default:
        ``len(class_names)`` if given, else the largest index + 1, as NVlabs).

        Args:
            names (Sequence[str]): Image names, in dataset order.
            num_classes (int, optional): Number of classes. Defaults to None.
            display (callable): Maps a name to its name in error messages.

        Raises:
            ValueError: An image has no label, or a class index is out of
                range; the message names the image.
        """
        for name in names:
            if name not in self.labels:
                raise ValueError(f'{display(name)}: image has no label in '
                                 f'{self.source}')
        if not self.is_class_index:
            if num_classes is not None:
                raise ValueError(f'{self.source}: num_classes={num_classes} '
                                 'is only valid for class-index labels, but '
                                 'the labels are vectors')
            return np.asarray([self.labels[n] for n in names],
                              dtype=np.float32).reshape(len(names), -1)
        idx = np.asarray([self.labels[n] for n in names], dtype=np.int64)
        if num_classes is None:
            if self.class_names is not None:
                num_classes = len(self.class_names)
            else:
                num_classes = int(idx.max()) + 1 if idx.size else 0
        elif (self.class_names is not None
              and num_classes != len(self.class_names)):
            raise ValueError(f'num_classes={num_classes} but {self.source} '
                             f'names {len(self.class_names)} classes')
        bad = np.nonzero(idx >= num_classes)[0]
        if bad.size:
            name = names[int(bad[0])]
            raise ValueError(f'{display(name)}: class index '
                             f'{self.labels[name]} is out of range for '
                             f'{num_classes} classes')
        onehot = np.zeros((len(names), num_classes), dtype=np.float32)
        onehot[np.arange(len(names)), idx] = 1
        return onehot


def check_finite_vector(values: Sequence[float], where: str) -> None:
    """Raise unless every entry of a label vector is finite in float32.

    Labels are used as float32 tensors, so ``1e39`` (finite in Python) is
    as fatal as ``inf``: a conditional model fed it trains to NaN.

    Args:
        values (Sequence[float]): The label vector.
        where (str): Names the file and entry in the message.

    Raises:
        ValueError: The first non-finite entry, with its index and value.
    """
    for k, x in enumerate(values):
        x = float(x)
        if not math.isfinite(x) or abs(x) > FLOAT32_MAX:
            raise ValueError(f'{where}: label vector entry [{k}] is {x!r}; '
                             'labels must be finite float32 numbers (fix or '
                             'drop this entry of the labels)')


def _check_label(value, where: str) -> Label:
    if isinstance(value, bool):
        raise ValueError(f'{where}: label must be a class index or a list '
                         f'of numbers, got {value!r}')
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f'{where}: class index must be >= 0, got '
                             f'{value}')
        return value
    if isinstance(value, list) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool)
            for x in value):
        check_finite_vector(value, where)
        return [float(x) for x in value]
    raise ValueError(f'{where}: label must be a class index or a list of '
                     f'numbers, got {value!r}')


def parse_dataset_json(text: Union[str, bytes],
                       source: str = DATASET_JSON) -> Optional[DatasetLabels]:
    """Parse the text of a ``dataset.json``.

    Args:
        text (str | bytes): The JSON text.
        source (str): Name of the file, for error messages.

    Returns:
        DatasetLabels | None: None when ``labels`` is null.

    Raises:
        ValueError: Malformed JSON or labels; the message names ``source``.
    """
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'{source}: invalid JSON ({e})') from e
    if not isinstance(meta, dict) or 'labels' not in meta:
        raise ValueError(f'{source}: expected an object with a "labels" key')
    entries = meta['labels']
    if entries is None:
        return None
    if not isinstance(entries, list):
        raise ValueError(f'{source}: "labels" must be a list of '
                         '[file name, label] pairs or null')
    labels: Dict[str, Label] = {}
    for i, entry in enumerate(entries):
        if (not isinstance(entry, (list, tuple)) or len(entry) != 2
                or not isinstance(entry[0], str)):
            raise ValueError(f'{source}: labels[{i}] must be a [file name, '
                             f'label] pair, got {entry!r}')
        name = entry[0].replace('\\', '/')
        labels[name] = _check_label(entry[1], f'{source}: label of {name}')
    class_names = meta.get('class_names')
    if class_names is not None and (
            not isinstance(class_names, list)
            or not all(isinstance(c, str) for c in class_names)):
        raise ValueError(f'{source}: "class_names" must be a list of '
                         'strings')
    return DatasetLabels(labels, class_names, source)


def read_dataset_json(archive: ImageArchive) -> Optional[DatasetLabels]:
    """Labels of ``archive`` from its root ``dataset.json``.

    Returns:
        DatasetLabels | None: None without a ``dataset.json`` or with
        ``"labels": null``.
    """
    if not archive.exists(DATASET_JSON):
        return None
    return parse_dataset_json(
        archive.read_bytes(DATASET_JSON), archive.display_name(DATASET_JSON))


def dump_dataset_json(labels: Optional[Sequence[Sequence]],
                      class_names: Optional[Sequence[str]] = None) -> str:
    """Text of a ``dataset.json``.

    Args:
        labels (Sequence[(str, int | list[float])] | None): ``[name, label]``
            pairs, or None for an unlabelled dataset.
        class_names (Sequence[str], optional): Class names. Defaults to None.

    Returns:
        str: JSON text.

    Raises:
        ValueError: A label vector has a non-finite entry; the message names
            the image.
    """
    if labels is not None:
        for n, lab in labels:
            if isinstance(lab, (list, tuple)):
                check_finite_vector(lab, f'label of {n}')
    meta = dict(labels=None if labels is None else [[str(n), lab]
                                                    for n, lab in labels])
    if class_names is not None:
        meta['class_names'] = list(class_names)
    return json.dumps(meta)
