# Copyright (c) mmgen-ada contributors. All rights reserved.
"""Packaging for mmgen-ada. Reads requirements/*.txt; never imports torch."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    """Read ``__version__`` from mmgen_ada/version.py without importing it."""
    with open(osp.join(HERE, 'mmgen_ada', 'version.py'), encoding='utf-8') as f:
        match = re.search(r"^__version__ = '([^']+)'", f.read(), re.M)
    return match.group(1)


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``fname``, following ``-r`` includes, no comments."""
    reqs = []
    with open(osp.join(HERE, fname), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs += parse_requirements(
                    osp.join(osp.dirname(fname), line[3:].strip()))
            else:
                reqs.append(line)
    return reqs


def read_readme() -> str:
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


setup(
    name='mmgen-ada',
    version=get_version(),
    description='StyleGAN2/3 with adaptive discriminator augmentation (ADA) '
    'for small datasets, on mmengine',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    python_requires='>=3.9',
    # mmcv is not in install_requires: either mmcv-lite (pure Python) or a
    # full mmcv build (adds CUDA kernels) satisfies it, and pip would install
    # one over the other. requirements.txt and the 'mim' extra name mmcv-lite.
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': parse_requirements('requirements/tests.txt'),
        'optional': parse_requirements('requirements/optional.txt'),
        'mim': parse_requirements('requirements/mminstall.txt'),
        'all': parse_requirements('requirements.txt'),
    },
    classifiers=[
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
    # Each runs the matching tools/ script (mmgen_ada/cli.py): needs a
    # source checkout installed with `pip install -e .`.
    entry_points={
        'console_scripts': [
            'mmgen-ada-train=mmgen_ada.cli:train',
            'mmgen-ada-test=mmgen_ada.cli:test',
            'mmgen-ada-generate=mmgen_ada.cli:generate',
            'mmgen-ada-style-mixing=mmgen_ada.cli:style_mixing',
            'mmgen-ada-project=mmgen_ada.cli:project',
            'mmgen-ada-dataset-tool=mmgen_ada.cli:dataset_tool',
            'mmgen-ada-convert-nvlabs-pkl=mmgen_ada.cli:convert_nvlabs_pkl',
        ],
    },
)
