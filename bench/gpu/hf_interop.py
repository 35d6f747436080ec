#!/usr/bin/env python3
"""Checks that a model folder written by mulki loads in Python transformers unchanged: CLIPModel.from_pretrained and
CLIPTokenizer.from_pretrained on the folder, then the token ids, text embeddings and image embeddings against mulki's
own (bench/gpu/hf-interop-expect.ts). Prints RESULT lines with the largest relative differences.
Usage: python3 bench/gpu/hf_interop.py EXPECT.json MODEL_DIR
"""
import json
import sys

import torch
from transformers import CLIPModel, CLIPTokenizer


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def main():
    expect = json.load(open(sys.argv[1]))
    folder = sys.argv[2]
    model = CLIPModel.from_pretrained(folder, torch_dtype=torch.float32).eval()
    tok = CLIPTokenizer.from_pretrained(folder)
    ctx = expect["contextLength"]
    n = len(expect["prompts"])
    ours = torch.tensor(expect["ids"]).view(n, ctx)
    enc = tok(expect["prompts"], padding="max_length", max_length=ctx, truncation=True, return_tensors="pt")
    hf_ids = enc["input_ids"]
    # Padding after the end token differs by convention (mulki pads with 0, HF with its pad token): compare up to and
    # including each end token.
    eot = tok.eos_token_id
    same = 0
    for r in range(n):
        a = ours[r].tolist()
        b = hf_ids[r].tolist()
        ea = a.index(max(a)) + 1
        eb = b.index(eot) + 1 if eot in b else len(b)
        ok = a[:ea] == b[:eb]
        same += ok
        if not ok:
            print(f"ids differ for {expect['prompts'][r]!r}: mulki {a[:ea]} transformers {b[:eb]}")
    print(f"RESULT hf_tokenizer_same_ids {same}/{n} prompts")
    with torch.no_grad():
        text = model.get_text_features(input_ids=ours)
        S = expect["imageSize"]
        px = torch.tensor(expect["pixels"]).view(-1, 3, S, S)
        image = model.get_image_features(pixel_values=px)
    if hasattr(text, "pooler_output"):
        text = text.pooler_output
    if hasattr(image, "pooler_output"):
        image = image.pooler_output
    D = expect["embedDim"]
    t = rel(text, torch.tensor(expect["textEmbeds"]).view(-1, D))
    i = rel(image, torch.tensor(expect["imageEmbeds"]).view(-1, D))
    print(f"RESULT hf_text_embeds_rel_diff {t:.2e}")
    print(f"RESULT hf_image_embeds_rel_diff {i:.2e}")
    ok = same == n and t < 1e-4 and i < 1e-4
    print("interop:", "ok" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
