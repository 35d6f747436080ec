#!/usr/bin/env python3
"""PyTorch reference timings for mulki's cuda backend, on the GPU machine.

A ViT-B/16 CLIP (transformers CLIPModel built from a CLIPConfig written here with OpenAI ViT-B/16 sizes; random
init, no download) trained as in MTIL: 64 random 224x224 images against the 100 class prompts of the task
(77 tokens each), logits = 100 * img @ txt^T over L2-normalised features, cross-entropy with label smoothing 0.2,
backward, AdamW step. Timed as the median of >= 20 steps after warm-up, each bracketed by torch.cuda.synchronize.

Prints one line per measurement:
  RESULT torch_vitb16_step_ms <v> ms        bf16 autocast (the target to match)
  RESULT torch_mulki_step_ms <v> ms         the same + two frozen teachers' forward passes and the KL terms
  RESULT torch_vision_step_ms <v> ms        image tower only (64 images), bf16 autocast
  RESULT torch_vitb16_step_tf32_ms <v> ms   fp32 weights, TF32 matmuls, no autocast
  RESULT torch_vitb16_step_fp32_ms <v> ms   full fp32 (TF32 off)
Usage: python3 bench/gpu/torch_step.py [--steps 20] [--warmup 5] [--quick]
"""
import argparse
import copy
import statistics
import sys
import time

import torch
import torch.nn.functional as F

SCALE = 100.0
SMOOTHING = 0.2
TAU = 2.0


def clip_config():
    from transformers import CLIPConfig

    text = dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                num_attention_heads=8, max_position_embeddings=77, hidden_act="quick_gelu",
                bos_token_id=49406, eos_token_id=49407, pad_token_id=1, projection_dim=512)
    vision = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                  image_size=224, patch_size=16, num_channels=3, hidden_act="quick_gelu", projection_dim=512)
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=512, logit_scale_init_value=4.6052)


def build_model(device):
    from transformers import CLIPModel

    torch.manual_seed(0)
    model = CLIPModel(clip_config()).to(device)
    model.logit_scale.requires_grad_(False)  # fixed scale 100, as in MTIL
    return model


def image_features(model, pixels):
    pooled = model.vision_model(pixel_values=pixels).pooler_output
    return F.normalize(model.visual_projection(pooled), dim=-1)


def text_features(model, ids):
    pooled = model.text_model(input_ids=ids).pooler_output
    return F.normalize(model.text_projection(pooled), dim=-1)


def kl(student_logits, teacher_logits):
    """KL(p_teacher || p_student) * tau^2 with temperature tau, batch mean."""
    p = F.log_softmax(teacher_logits.float() / TAU, dim=-1)
    q = F.log_softmax(student_logits.float() / TAU, dim=-1)
    return F.kl_div(q, p, log_target=True, reduction="batchmean") * TAU * TAU


def make_optimizer(model):
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        return torch.optim.AdamW(params, lr=1e-5, weight_decay=0.0, fused=True), "fused"
    except (TypeError, RuntimeError):
        return torch.optim.AdamW(params, lr=1e-5, weight_decay=0.0), "foreach"


def median_ms(step, steps, warmup):
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(steps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times), min(times), max(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="skip the fp32 / tf32 variants")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_step.py: no CUDA device visible to PyTorch", file=sys.stderr)
        return 1
    dev = torch.device("cuda")
    import transformers

    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {torch.cuda.get_device_name(0)}")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    model = build_model(dev)
    n_params = sum(p.numel() for p in model.parameters())
    attn = getattr(model.config, "_attn_implementation", None) or getattr(model.vision_model.config, "_attn_implementation", "?")
    print(f"CLIP ViT-B/16: {n_params / 1e6:.1f} M parameters, attention implementation: {attn}")
    opt, kind = make_optimizer(model)
    print(f"AdamW: {kind}")

    g = torch.Generator(device=dev).manual_seed(1)
    pixels = torch.randn(64, 3, 224, 224, device=dev, generator=g)
    ids = torch.randint(0, 49405, (100, 77), device=dev, generator=g)
    ids[:, 0] = 49406
    ids[:, -1] = 49407  # end of text: the pooled position
    labels = torch.randint(0, 100, (64,), device=dev, generator=g)

    def clip_loss(m):
        img = image_features(m, pixels)
        txt = text_features(m, ids)
        logits = SCALE * img @ txt.t()
        return F.cross_entropy(logits.float(), labels, label_smoothing=SMOOTHING), img, txt, logits

    def step_bf16():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = clip_loss(model)[0]
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def step_fp32():
        loss = clip_loss(model)[0]
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    def vision_only():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            img = image_features(model, pixels)
            loss = (img.float() ** 2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    # Two frozen teachers (T0, T1) for the MulKI step.
    teachers = []
    for _ in range(2):
        t = copy.deepcopy(model).eval()
        for p in t.parameters():
            p.requires_grad_(False)
        teachers.append(t)

    def step_mulki():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss, img, txt, logits = clip_loss(model)
            for t in teachers:
                with torch.no_grad():
                    t_img = image_features(t, pixels)
                    t_txt = text_features(t, ids)
                    t_logits = SCALE * t_img @ t_txt.t()
                    t_intra_img = SCALE * t_img @ t_img.t()
                    t_intra_txt = SCALE * t_txt @ t_txt.t()
                # feature, inter-modal (image->text, text->image) and intra-modal relation terms
                loss = loss + (1 - (img * t_img).sum(-1)).mean() + (1 - (txt * t_txt).sum(-1)).mean()
                loss = loss + kl(logits, t_logits) + kl(logits.t(), t_logits.t())
                loss = loss + kl(SCALE * img @ img.t(), t_intra_img) + kl(SCALE * txt @ txt.t(), t_intra_txt)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    results = []

    def report(name, fn):
        med, lo, hi = median_ms(fn, args.steps, args.warmup)
        print(f"RESULT {name} {med:.2f} ms   (min {lo:.2f}, max {hi:.2f}, {args.steps} steps)", flush=True)
        results.append((name, med))

    report("torch_vitb16_step_ms", step_bf16)
    report("torch_mulki_step_ms", step_mulki)
    report("torch_vision_step_ms", vision_only)
    print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
    if not args.quick:
        torch.backends.cuda.matmul.allow_tf32 = True
        report("torch_vitb16_step_tf32_ms", step_fp32)
        torch.backends.cuda.matmul.allow_tf32 = False
        report("torch_vitb16_step_fp32_ms", step_fp32)
    return 0


if __name__ == "__main__":
    sys.exit(main())
