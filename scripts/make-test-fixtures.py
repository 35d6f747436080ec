#!/usr/bin/env python3
"""Regenerates test/fixtures/data/: small real MATLAB v5 and Python pickle files for the data tests.

Run with Debian's Python (numpy from python3-numpy, scipy from python3-scipy):

    /usr/bin/python3 scripts/make-test-fixtures.py

Everything else the tests need (images, IDX files, text splits, the CIFAR binary version) is built in TypeScript at
test time. Output is deterministic (fixed seeds, no time stamps), so re-running it gives the same bytes except for
the creation date scipy writes into MAT headers.
"""
import io
import json
import os
import pickle
import struct

import numpy as np
import scipy.io

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "data")


def path(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


# ---------------------------------------------------------------------------------------------------------------
# Python 2 style pickles. CIFAR's python files were written by Python 2's cPickle with protocol 2: str objects are
# byte strings (SHORT_BINSTRING / BINSTRING opcodes) and numpy's array payload is such a byte string. Python 3's
# pickler writes bytes as _codecs.encode(...) under protocol 2, so this pickler restores the Python 2 opcodes.
# ---------------------------------------------------------------------------------------------------------------
class Py2Pickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_string(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        n = len(data)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_string
    dispatch[str] = save_py2_string


def py2_dumps(obj):
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


FINE = [
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle", "bowl", "boy",
    "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle", "chair", "chimpanzee", "clock",
    "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish",
    "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom", "oak_tree", "orange",
    "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine",
    "possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk",
    "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank",
    "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale",
    "willow_tree", "wolf", "woman", "worm",
]
COARSE = [
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
    "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes", "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates",
    "people", "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
]


def cifar_batch(rng, n, split):
    """A CIFAR-100 batch dict: planar RGB uint8 (n, 3072), fine/coarse labels, file names."""
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    fine = [int(x) for x in rng.integers(0, 100, size=n)]
    return {
        "filenames": [f"img_{split}_{i:03d}.png" for i in range(n)],
        "batch_label": f"{split} batch 1 of 1",
        "fine_labels": fine,
        "coarse_labels": [f % 20 for f in fine],
        "data": data,
    }


def make_pickles():
    rng = np.random.default_rng(7)
    train = cifar_batch(rng, 6, "training")
    test = cifar_batch(rng, 4, "testing")
    # Python 2 had byte-string keys; the Py2Pickler writes every str as a byte string.
    open(path("cifar-100-python", "train"), "wb").write(py2_dumps(train))
    open(path("cifar-100-python", "test"), "wb").write(py2_dumps(test))
    open(path("cifar-100-python", "meta"), "wb").write(
        py2_dumps({"fine_label_names": FINE, "coarse_label_names": COARSE})
    )
    def pixels(batch):
        d = batch["data"]
        # pixel (0, 0) and (31, 31) of image 0 as RGB: planar layout R plane, G plane, B plane
        return {"first_rgb": [int(d[0, 0]), int(d[0, 1024]), int(d[0, 2048])],
                "last_rgb": [int(d[0, 1023]), int(d[0, 2047]), int(d[0, 3071])],
                "sum": int(d.astype(np.int64).sum())}

    cifar_expect = {
        "train": {"fine_labels": train["fine_labels"], **pixels(train)},
        "test": {"fine_labels": test["fine_labels"], **pixels(test)},
    }
    json.dump(cifar_expect, open(path("cifar-100-python", "expect.json"), "w"), indent=1)

    # CIFAR-10, one image per batch file (python version; Python 2 style like the real files).
    names10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    labels10 = {}
    for f in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]:
        data = rng.integers(0, 256, size=(1, 3072), dtype=np.uint8)
        label = int(rng.integers(0, 10))
        labels10[f] = {"label": label, "first_rgb": [int(data[0, 0]), int(data[0, 1024]), int(data[0, 2048])]}
        batch = {"batch_label": f, "labels": [label], "data": data, "filenames": [f"{f}_0.png"]}
        open(path("cifar-10-batches-py", f), "wb").write(py2_dumps(batch))
    open(path("cifar-10-batches-py", "batches.meta"), "wb").write(
        py2_dumps({"label_names": names10, "num_cases_per_batch": 1, "num_vis": 3072})
    )
    json.dump(labels10, open(path("cifar-10-batches-py", "expect.json"), "w"), indent=1)

    # The same content as the test batch for comparison, and Python 3 pickles of other protocols.
    small = cifar_batch(rng, 2, "small")
    for proto in (2, 3, 4, 5):
        open(path("pickles", f"batch-p{proto}.pkl"), "wb").write(pickle.dumps(small, protocol=proto))
    expect = {
        "filenames": small["filenames"],
        "fine_labels": small["fine_labels"],
        "data_shape": list(small["data"].shape),
        "data_head": [int(x) for x in small["data"].reshape(-1)[:8]],
        "data_sum": int(small["data"].astype(np.int64).sum()),
    }
    # Other numpy dtypes, a Fortran-ordered array, a big-endian array and plain Python values.
    misc = {
        "f32": np.array([[1.5, -2.0], [3.25, 4.0]], dtype=np.float32),
        "i64": np.array([-(2**40), 5], dtype=np.int64),
        "be_u16": np.array([1, 258, 65535], dtype=">u2"),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
        "bools": np.array([True, False, True]),
        "text": "caf\u00e9",
        "raw": b"\x00\xffab",
        "big": 2**70,
        "neg": -3,
        "pi": 3.5,
        "none": None,
        "tup": (1, "two"),
    }
    for proto in (2, 4, 5):
        open(path("pickles", f"misc-p{proto}.pkl"), "wb").write(pickle.dumps(misc, protocol=proto))
    json.dump(expect, open(path("pickles", "batch.json"), "w"), indent=1)

    # Malicious pickles: a data file must never make mulki call anything.
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    class EvilEval:
        def __reduce__(self):
            return (eval, ("__import__('os').system('echo pwned')",))

    open(path("pickles", "evil-system-p2.pkl"), "wb").write(pickle.dumps({"data": Evil()}, protocol=2))
    open(path("pickles", "evil-eval-p4.pkl"), "wb").write(pickle.dumps([EvilEval()], protocol=4))


# ---------------------------------------------------------------------------------------------------------------
# MATLAB v5 files (scipy.io.savemat writes the same element formats as MATLAB: miMATRIX, miCOMPRESSED, small data
# elements, char arrays, cells, structs and struct arrays).
# ---------------------------------------------------------------------------------------------------------------
def make_mats():
    # Flowers-102, miniature: 12 images; labels 1-based as in imagelabels.mat; ids 1-based.
    labels = np.array([[1, 1, 2, 2, 3, 3, 77, 77, 102, 102, 5, 5]], dtype=np.float64)
    scipy.io.savemat(path("flowers-102", "imagelabels.mat"), {"labels": labels}, do_compression=True)
    scipy.io.savemat(
        path("flowers-102", "setid.mat"),
        {
            "trnid": np.array([[1, 3, 5, 7, 9]], dtype=np.float64),
            "valid": np.array([[2, 4, 11]], dtype=np.float64),
            "tstid": np.array([[6, 8, 10, 12]], dtype=np.float64),
        },
        do_compression=True,
    )

    # Stanford Cars, miniature: 3 classes; annotation structs like the devkit's (uint8/uint16 fields).
    class_names = np.empty((1, 3), dtype=object)
    class_names[0, :] = ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "smart fortwo Convertible 2012"]
    scipy.io.savemat(path("stanford_cars", "devkit", "cars_meta.mat"), {"class_names": class_names})

    def annos(rows):
        dt = [("bbox_x1", "O"), ("bbox_y1", "O"), ("bbox_x2", "O"), ("bbox_y2", "O"), ("class", "O"), ("fname", "O")]
        a = np.zeros((1, len(rows)), dtype=dt)
        for i, (x1, y1, x2, y2, c, f) in enumerate(rows):
            a[0, i] = (np.array([[x1]], np.uint8), np.array([[y1]], np.uint8), np.array([[x2]], np.uint16),
                       np.array([[y2]], np.uint16), np.array([[c]], np.uint8), f)
        return a

    train = annos([(39, 116, 569, 375, 1, "00001.jpg"), (36, 116, 868, 587, 3, "00002.jpg"),
                   (85, 109, 601, 381, 2, "00003.jpg"), (21, 9, 300, 200, 3, "00004.jpg")])
    test = annos([(30, 52, 246, 147, 2, "00001.jpg"), (100, 19, 576, 203, 1, "00002.jpg"),
                  (51, 105, 968, 659, 3, "00003.jpg")])
    scipy.io.savemat(path("stanford_cars", "devkit", "cars_train_annos.mat"), {"annotations": train},
                     do_compression=True)
    scipy.io.savemat(path("stanford_cars", "cars_test_annos_withlabels.mat"), {"annotations": test},
                     do_compression=True)

    # Every kind of value the reader supports, uncompressed and compressed.
    strs = np.array(["ab", "cd"])
    cell = np.empty((1, 3), dtype=object)
    cell[0, 0] = np.array([[1.0]])
    cell[0, 1] = "two"
    cell[0, 2] = np.array([[3, 4]], dtype=np.int32)
    st = {"a": np.array([[2.5]]), "b": "bee"}
    sa = np.zeros((1, 2), dtype=[("x", "O"), ("name", "O")])
    sa[0, 0] = (np.array([[1]], np.int16), "first")
    sa[0, 1] = (np.array([[2, 3]], np.int16), "second")
    kinds = {
        "d": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
        "s": np.array([[1.5, -2.25]], dtype=np.float32),
        "i8": np.array([[-128, 127]], dtype=np.int8),
        "u8": np.array([[0, 255, 7]], dtype=np.uint8),
        "i16": np.array([[-32768, 32767]], dtype=np.int16),
        "u16": np.array([[65535]], dtype=np.uint16),
        "i32": np.array([[-(2**31), 2**31 - 1]], dtype=np.int32),
        "u32": np.array([[2**32 - 1, 1]], dtype=np.uint32),
        "i64": np.array([[-(2**62) - 3, 2**53 + 1]], dtype=np.int64),
        "u64": np.array([[2**64 - 1]], dtype=np.uint64),
        "b": np.array([[True, False, True]]),
        "z": np.array([[1 + 2j, 3 - 4j]]),
        "e": np.zeros((0, 0)),
        "str": "hello",
        "strs": strs,
        "uni": "h\u00e9llo \u2713",
        "cell": cell,
        "st": st,
        "sa": sa,
        "cube": np.arange(24, dtype=np.float64).reshape(2, 3, 4),
    }
    scipy.io.savemat(path("mat", "kinds.mat"), kinds, do_compression=False)
    scipy.io.savemat(path("mat", "kinds-compressed.mat"), kinds, do_compression=True)


if __name__ == "__main__":
    make_pickles()
    make_mats()
    total = 0
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    print(f"fixtures written under {os.path.normpath(ROOT)}: {total} bytes")
