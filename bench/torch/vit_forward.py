"""PyTorch peer of bench/clip.ts: a ViT-B/16 CLIP image encoder (open_clip's layout: conv patch embedding, class
token, positional embedding, ln_pre, 12 pre-LN blocks with nn.MultiheadAttention and QuickGELU, ln_post, projection),
random weights, forward only under inference_mode. Prints one JSON line {"torch", "threads", "ms": [...]}.
Usage: python3 vit_forward.py BATCH STEPS WARMUP THREADS
"""
import json
import sys
import time

import torch
import torch.nn as nn


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, w, h):
        super().__init__()
        self.ln_1 = nn.LayerNorm(w)
        self.attn = nn.MultiheadAttention(w, h, batch_first=True)
        self.ln_2 = nn.LayerNorm(w)
        self.mlp = nn.Sequential(nn.Linear(w, 4 * w), QuickGELU(), nn.Linear(4 * w, w))

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Visual(nn.Module):
    def __init__(self, size=224, patch=16, w=768, layers=12, heads=12, out=512):
        super().__init__()
        self.conv1 = nn.Conv2d(3, w, patch, patch, bias=False)
        self.cls = nn.Parameter(torch.randn(w) * w ** -0.5)
        self.pos = nn.Parameter(torch.randn((size // patch) ** 2 + 1, w) * w ** -0.5)
        self.ln_pre = nn.LayerNorm(w)
        self.blocks = nn.ModuleList([Block(w, heads) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Linear(w, out, bias=False)

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.pos
        x = self.ln_pre(x)
        for b in self.blocks:
            x = b(x)
        return self.proj(self.ln_post(x[:, 0]))


def main():
    batch, steps, warmup, threads = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Visual().eval()
    x = torch.randn(batch, 3, 224, 224)
    times = []
    with torch.inference_mode():
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            model(x)
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": times}))


if __name__ == "__main__":
    main()
