"""The pushed images' layers as the registry stores them (their manifests, read back with BatchGetImage), drawn as one
bar per image: each layer a segment as wide as its compressed size; layers that images share (the Lambda base) in
grey, since ECR stores (and bills) them once.
"""
from __future__ import annotations

import json
from collections import Counter

from matplotlib.figure import Figure

from helpers import aws
from helpers.core.config import KitConfig
from helpers.core.figures import finish, new_figure
from helpers.core.aws_facts.image_manifests import ALL_MANIFEST_TYPES

Layers = dict[str, list[tuple[str, int]]]  # image tag -> [(layer digest, compressed bytes)], base first


def image_layers(cfg: KitConfig, repository: str) -> Layers:
    """Every tagged image's layers in `repository`, from the manifests ECR returns."""
    ecr = aws.client("ecr", cfg)
    with aws.aws_errors():
        details = [d for page in ecr.get_paginator("describe_images").paginate(repositoryName=repository)
                   for d in page["imageDetails"] if d.get("imageTags")]
        if not details:
            return {}
        images = ecr.batch_get_image(repositoryName=repository, acceptedMediaTypes=list(ALL_MANIFEST_TYPES),
                                     imageIds=[{"imageDigest": d["imageDigest"]} for d in details])["images"]
    # an image's runtime tag names its bar; a deployed image also carries live-* tags (helpers.build.live_tags)
    tags = {d["imageDigest"]: ", ".join(sorted(d["imageTags"], key=lambda t: t.startswith("live-"))) for d in details}
    return {tags[i["imageId"]["imageDigest"]]: [(x["digest"], int(x["size"]))
                                                 for x in json.loads(i["imageManifest"]).get("layers", [])]
            for i in images}


def plot_layers(layers: Layers) -> Figure:
    """One horizontal bar per image, one segment per layer (MB); shared layers grey, the image's own coloured."""
    fig, ax = new_figure(9, 1.2 + 0.6 * len(layers))
    shared = {d for d, n in Counter(d for ls in layers.values() for d, _ in set(ls)).items() if n > 1}
    for row, (tag, image) in enumerate(sorted(layers.items())):
        left = 0.0
        for i, (digest, size) in enumerate(image):
            mb = size / 1e6
            ax.barh(row, mb, left=left, color="#bbbbbb" if digest in shared else f"C{i % 10}", edgecolor="white")
            if mb > 0.08 * max(sum(s for _, s in ls) / 1e6 for ls in layers.values()):
                ax.text(left + mb / 2, row, f"{mb:.0f} MB", ha="center", va="center", fontsize=7)
            left += mb
        ax.text(left, row, f"  {len(image)} layers, {left:.0f} MB", va="center", fontsize=8)
    ax.set_yticks(range(len(layers)), sorted(layers))
    ax.set(xlabel="compressed size in the registry (MB); grey: layers shared with another image (stored once)",
           title="The pushed images, layer by layer")
    ax.margins(x=0.25)
    return finish(fig)
