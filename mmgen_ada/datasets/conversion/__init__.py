# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Dataset conversion behind ``tools/dataset_tool.py`` (not needed to train,
so not imported by :mod:`mmgen_ada.datasets`)."""
from .convert_dataset import ConversionSummary, convert_dataset
from .dataset_zip_writer import DatasetZipWriter
from .image_preparer import ImagePreparer, ImageSkipped
from .image_source import ImageSource, SourceItem

__all__ = [
    'ConversionSummary', 'convert_dataset', 'DatasetZipWriter',
    'ImagePreparer', 'ImageSkipped', 'ImageSource', 'SourceItem'
]
