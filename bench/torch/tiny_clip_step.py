"""PyTorch peer of bench/clip-step.ts: the same small CLIP, the same training step (forward, symmetric
contrastive loss, backward, AdamW), timed the same way. Written as open_clip writes CLIP (pre-LN residual blocks,
nn.MultiheadAttention, QuickGELU). Prints one JSON line: {"torch": version, "threads": n, "ms": [...]}.
Usage: python3 tiny_clip_step.py BATCH STEPS WARMUP THREADS
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, mlp), QuickGELU(), nn.Linear(mlp, width))

    def forward(self, x, mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Tower(nn.Module):
    def __init__(self, width, layers, heads, mlp):
        super().__init__()
        self.blocks = nn.ModuleList([Block(width, heads, mlp) for _ in range(layers)])

    def forward(self, x, mask=None):
        for b in self.blocks:
            x = b(x, mask)
        return x


class TinyClip(nn.Module):
    def __init__(self, image=32, patch=4, vw=192, vl=6, vh=3, ctx=16, vocab=1000, tw=192, tl=4, th=3, mlp=768, embed=128):
        super().__init__()
        self.conv1 = nn.Conv2d(3, vw, patch, patch, bias=False)
        self.cls = nn.Parameter(torch.randn(vw) * vw ** -0.5)
        self.vpos = nn.Parameter(torch.randn((image // patch) ** 2 + 1, vw) * vw ** -0.5)
        self.ln_pre = nn.LayerNorm(vw)
        self.visual = Tower(vw, vl, vh, mlp)
        self.ln_post = nn.LayerNorm(vw)
        self.vproj = nn.Linear(vw, embed, bias=False)
        self.tok = nn.Embedding(vocab, tw)
        self.tpos = nn.Parameter(torch.randn(ctx, tw) * 0.01)
        self.text = Tower(tw, tl, th, mlp)
        self.ln_final = nn.LayerNorm(tw)
        self.tproj = nn.Linear(tw, embed, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(2.6592))
        self.register_buffer('causal', torch.full((ctx, ctx), float('-inf')).triu(1))

    def encode_image(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.vpos
        x = self.visual(self.ln_pre(x))
        return self.vproj(self.ln_post(x[:, 0]))

    def encode_text(self, ids):
        x = self.tok(ids) + self.tpos[: ids.shape[1]]
        x = self.ln_final(self.text(x, self.causal[: ids.shape[1], : ids.shape[1]]))
        return self.tproj(x[torch.arange(x.shape[0]), ids.argmax(-1)])


def main():
    batch, steps, warmup, threads = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = TinyClip()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    images = torch.randn(batch, 3, 32, 32)
    ids = torch.randint(1, 998, (batch, 16))
    ids[:, -1] = 999
    labels = torch.arange(batch)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        img = F.normalize(model.encode_image(images), dim=-1)
        txt = F.normalize(model.encode_text(ids), dim=-1)
        logits = model.logit_scale.exp() * img @ txt.t()
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(dt)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": times, "loss": float(loss)}))


if __name__ == "__main__":
    main()
