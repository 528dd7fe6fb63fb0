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
    install_requires=(parse_requirements('requirements/runtime.txt') +
                      parse_requirements('requirements/mminstall.txt')),
    extras_require={
        'tests': parse_requirements('requirements/tests.txt'),
        'optional': parse_requirements('requirements/optional.txt'),
        'all': parse_requirements('requirements.txt'),
    },
    classifiers=[
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
)
