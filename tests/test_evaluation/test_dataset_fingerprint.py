# Copyright (c) mmgen-ada contributors. All rights reserved.
import torch

from mmgen_ada.evaluation import dataset_fingerprint


class Images(torch.utils.data.Dataset):

    def __init__(self, images, names=None):
        self.images = images
        self.names = names

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return dict(inputs=self.images[i])


class WithInfo(Images):

    def get_data_info(self, i):
        return dict(img_path=self.names[i])


class WithHash(Images):

    def content_hash(self):
        return 'abc123'


def test_fingerprint_changes_with_content_and_uses_content_hash():
    g = torch.Generator().manual_seed(0)
    imgs = torch.randint(0, 256, (40, 3, 4, 4), generator=g, dtype=torch.uint8)
    base = dataset_fingerprint(Images(imgs))
    assert base.startswith('probe:')
    assert dataset_fingerprint(Images(imgs.clone())) == base
    changed = imgs.clone()
    changed[0, 0, 0, 0] ^= 1  # item 0 is always probed
    assert dataset_fingerprint(Images(changed)) != base
    assert dataset_fingerprint(Images(imgs[:39])) != base
    names = [f'{i}.png' for i in range(40)]
    other_names = names[:-1] + ['x.png']
    assert dataset_fingerprint(WithInfo(imgs, names)) != \
        dataset_fingerprint(WithInfo(imgs, other_names))
    assert dataset_fingerprint(WithHash(imgs)) == 'content:abc123'
