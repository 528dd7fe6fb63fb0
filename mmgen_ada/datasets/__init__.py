# Copyright (c) mmgen-ada contributors. All rights reserved.
from .dataset_json import (DatasetLabels, dump_dataset_json,
                           parse_dataset_json, read_dataset_json)
from .decode_image import ImageDecodeError, decode_image
from .gan_batch_sampler import GANBatchSampler
from .image_archive import IMAGE_EXTENSIONS, ImageArchive, is_image_name
from .image_folder_dataset import ImageFolderDataset
from .transforms import LoadGANImage, PackGANInputs

__all__ = [
    'DatasetLabels', 'dump_dataset_json', 'parse_dataset_json',
    'read_dataset_json', 'ImageDecodeError', 'decode_image', 'GANBatchSampler',
    'IMAGE_EXTENSIONS', 'ImageArchive', 'is_image_name', 'ImageFolderDataset',
    'LoadGANImage', 'PackGANInputs'
]
