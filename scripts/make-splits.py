#!/usr/bin/env python3
"""Regenerates assets/splits/*: the train/test splits ZSCL made for the MTIL datasets that have no official one.

ZSCL (mtil/src/datasets/collections.py, ClassificationDataset.split_dataset) does

    train_size = int(0.8 * len(dataset))
    torch.utils.data.random_split(dataset, [train_size, len(dataset) - train_size],
                                  generator=torch.Generator().manual_seed(42))

for Caltech101, EuroSAT and SUN397. random_split draws torch.randperm(n) and gives the first train_size indices
to train and the rest to test, each in permutation order. This script runs that very call with a real PyTorch
(Debian's python3-torch: run it as /usr/bin/python3 scripts/make-splits.py) over a stand-in dataset of the right
length and stores the permutation as gzip'd little-endian uint32, plus a JSON description with checksums.

Checksums: sha256 of the index list as text, the decimal indices joined by "," (one for train, one for test).
"""
import gzip
import hashlib
import json
import os
import sys

import torch
from torch.utils.data import random_split

# n = the number of examples in the dataset order described by "order" (counts from the MTIL protocol).
DATASETS = {
    "caltech101": {
        "dataset": "Caltech101",
        "n": 8677,
        "order": "categories = sorted folder names of caltech101/101_ObjectCategories minus BACKGROUND_Google; "
        "category-major, then image_0001.jpg, image_0002.jpg, ... (torchvision Caltech101)",
        "exact": True,
    },
    "eurosat": {
        "dataset": "EuroSAT",
        "n": 27000,
        "order": "classes = sorted folder names of eurosat/2750; class-major, then file names sorted by code "
        "point (torchvision ImageFolder)",
        "exact": True,
    },
    "sun397": {
        "dataset": "SUN397",
        "n": 108754,
        "order": "every SUN397/<letter>/<class path>/sun_*.jpg sorted by its relative path (code point order). "
        "torchvision lists them with Path.rglob, whose order depends on the file system, so ZSCL's exact split "
        "cannot be reproduced; the permutation itself is ZSCL's",
        "exact": False,
    },
}

RATIO = 0.8
SEED = 42


def index_text(indices):
    return ",".join(str(i) for i in indices)


def sha256(text):
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "splits")
    os.makedirs(out_dir, exist_ok=True)
    for key, spec in DATASETS.items():
        n = spec["n"]
        n_train = int(RATIO * n)  # exactly ZSCL's expression
        n_test = n - n_train
        train, test = random_split(range(n), [n_train, n_test], generator=torch.Generator().manual_seed(SEED))
        train_idx = list(train.indices)
        test_idx = list(test.indices)
        perm = train_idx + test_idx
        assert sorted(perm) == list(range(n)), f"{key}: not a permutation"
        # Cross-check: random_split is randperm(n) under the same generator.
        assert perm == torch.randperm(n, generator=torch.Generator().manual_seed(SEED)).tolist()

        raw = b"".join(i.to_bytes(4, "little") for i in perm)
        perm_file = f"{key}.perm.u32le.gz"
        with open(os.path.join(out_dir, perm_file), "wb") as f:
            f.write(gzip.compress(raw, compresslevel=9, mtime=0))

        meta = {
            "dataset": spec["dataset"],
            "n": n,
            "nTrain": n_train,
            "nTest": n_test,
            "seed": SEED,
            "method": "torch.utils.data.random_split(dataset, [int(0.8 * n), n - int(0.8 * n)], "
            "generator=torch.Generator().manual_seed(42)) as in ZSCL; train = permutation[:nTrain], "
            "test = permutation[nTrain:]",
            "order": spec["order"],
            "matchesZSCL": spec["exact"],
            "torch": torch.__version__,
            "permutationFile": perm_file,
            "permutationEncoding": "uint32 little-endian, gzip",
            "checksumText": "sha256 of the indices in decimal joined by ','",
            "sha256": {"train": sha256(index_text(train_idx)), "test": sha256(index_text(test_idx))},
            "head": {"train": train_idx[:5], "test": test_idx[:5]},
        }
        with open(os.path.join(out_dir, f"{key}.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        print(f"{key}: n={n} train={n_train} test={n_test} head={train_idx[:5]}", file=sys.stderr)


if __name__ == "__main__":
    main()
